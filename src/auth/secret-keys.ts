import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'hck_';
export const PROXY_KEY_PREFIX = 'hcp_';
/** 32 random bytes, base64url: 43 characters, 256 bits. */
const SECRET_LENGTH = 43;
const SECRET_PATTERN = /^[A-Za-z0-9_-]+$/;
/** How much of a key is kept to tell keys apart: the type prefix and 8 characters (48 of 256 bits). */
const DISPLAY_PREFIX_LENGTH = 12;

export type KeyPrefix = typeof API_KEY_PREFIX | typeof PROXY_KEY_PREFIX;

/** A new secret key: readable type prefix + 256 random bits. Shown once, stored only as its hash. */
export function generateSecretKey(prefix: KeyPrefix): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** The lookup hash of a key (SHA-256). Keys have 256 bits of entropy, so no salt or slow hash is needed. */
export function hashSecretKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH);
}

/** Whether a presented value has the shape of a key of this kind; anything else is not looked up. */
export function hasKeyShape(value: string, prefix: KeyPrefix): boolean {
  return (
    value.length === prefix.length + SECRET_LENGTH && value.startsWith(prefix) && SECRET_PATTERN.test(value.slice(prefix.length))
  );
}

/** Constant-time equality of a stored hash and the hash of a presented key. */
export function hashesEqual(stored: Buffer, presented: Buffer): boolean {
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}
