import { createHash } from 'node:crypto';
import {
  API_KEY_PREFIX,
  displayPrefix,
  generateSecretKey,
  hashesEqual,
  hashSecretKey,
  hasKeyShape,
  PROXY_KEY_PREFIX,
} from '../../src/auth/secret-keys';

describe('secret keys', () => {
  describe('generateSecretKey', () => {
    it('makes customer API keys hck_ + 43 base64url characters', () => {
      expect(generateSecretKey(API_KEY_PREFIX)).toMatch(/^hck_[A-Za-z0-9_-]{43}$/);
    });

    it('makes proxy keys hcp_ + 43 base64url characters', () => {
      expect(generateSecretKey(PROXY_KEY_PREFIX)).toMatch(/^hcp_[A-Za-z0-9_-]{43}$/);
    });

    it('carries 256 random bits: 32 bytes after the prefix, never the same twice', () => {
      const keys = Array.from({ length: 200 }, () => generateSecretKey(API_KEY_PREFIX));
      for (const key of keys) expect(Buffer.from(key.slice(4), 'base64url')).toHaveLength(32);
      expect(new Set(keys).size).toBe(keys.length);
    });
  });

  describe('hashSecretKey', () => {
    it('is the SHA-256 of the whole key, as 32 bytes', () => {
      expect(hashSecretKey('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      const key = generateSecretKey(API_KEY_PREFIX);
      expect(hashSecretKey(key)).toEqual(createHash('sha256').update(key).digest());
    });

    it('tells keys one character apart', () => {
      expect(hashSecretKey('hck_a')).not.toEqual(hashSecretKey('hck_b'));
    });
  });

  describe('displayPrefix', () => {
    it('keeps the type prefix and 8 characters, far from the whole secret', () => {
      const key = generateSecretKey(PROXY_KEY_PREFIX);
      expect(displayPrefix(key)).toBe(key.slice(0, 12));
      expect(displayPrefix(key).startsWith('hcp_')).toBe(true);
    });
  });

  describe('hasKeyShape', () => {
    it('accepts a generated key of its kind only', () => {
      const apiKey = generateSecretKey(API_KEY_PREFIX);
      const proxyKey = generateSecretKey(PROXY_KEY_PREFIX);
      expect(hasKeyShape(apiKey, API_KEY_PREFIX)).toBe(true);
      expect(hasKeyShape(proxyKey, PROXY_KEY_PREFIX)).toBe(true);
      expect(hasKeyShape(apiKey, PROXY_KEY_PREFIX)).toBe(false);
      expect(hasKeyShape(proxyKey, API_KEY_PREFIX)).toBe(false);
    });

    it.each([
      ['one character short', `hck_${'a'.repeat(42)}`],
      ['one character long', `hck_${'a'.repeat(44)}`],
      ['a character outside base64url', `hck_${'a'.repeat(42)}+`],
      ['a space', `hck_${'a'.repeat(42)} `],
      ['an upper-case prefix', `HCK_${'a'.repeat(43)}`],
      ['no prefix', 'a'.repeat(47)],
      ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
      ['nothing', ''],
    ])('refuses %s', (_case, value) => {
      expect(hasKeyShape(value, API_KEY_PREFIX)).toBe(false);
    });
  });

  describe('hashesEqual', () => {
    it('compares stored and presented hashes, and is false (not a throw) for different lengths', () => {
      const hash = hashSecretKey('k');
      expect(hashesEqual(hash, hashSecretKey('k'))).toBe(true);
      expect(hashesEqual(hash, hashSecretKey('j'))).toBe(false);
      expect(hashesEqual(hash, hash.subarray(0, 16))).toBe(false);
    });
  });
});
