import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { AppConfig, MasterKey } from '../config/app-config';
import { IntegrityError } from './integrity-error';

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;

/** What a connection's row holds of its credentials: nothing of it opens without the master key. */
export interface SealedCredentials {
  /** AES-256-GCM ciphertext of the credentials JSON under the data key, followed by the tag. */
  ciphertext: Buffer;
  nonce: Buffer;
  /** The data key under the master key `keyId`: nonce, ciphertext, tag. */
  wrappedDataKey: Buffer;
  keyId: string;
}

/** What a sealed value that is not a connection's credentials is, bound into its seal: one never opens as another. */
export const SEAL_PURPOSE = {
  oauthAppSecret: 'oauth_app_secret',
  webhookSecret: 'webhook_secret',
} as const;

/** The columns a row that is not a connection keeps its sealed value in (OAuth app and webhook secrets). */
export interface SealedSecretColumns {
  secretCiphertext: Buffer;
  secretNonce: Buffer;
  wrappedDataKey: Buffer;
  keyId: string;
}

export function toSecretColumns(sealed: SealedCredentials): SealedSecretColumns {
  return { secretCiphertext: sealed.ciphertext, secretNonce: sealed.nonce, wrappedDataKey: sealed.wrappedDataKey, keyId: sealed.keyId };
}

export function fromSecretColumns(row: SealedSecretColumns): SealedCredentials {
  return { ciphertext: row.secretCiphertext, nonce: row.secretNonce, wrappedDataKey: row.wrappedDataKey, keyId: row.keyId };
}

/** The row a sealed value belongs to; it is authenticated with the ciphertext, so a copy into another row fails. */
export interface SealBinding {
  /** The id of the row: a connection's, or the row of `purpose`. */
  connectionId: string;
  customerId: string;
  /** What the row is, when it is not a connection (`oauth_app_secret`): a value sealed for one purpose never opens for another. */
  purpose?: string;
}

/** The master keys: the active one seals, every one opens. */
export class KeyRing {
  private readonly keys: Map<string, Buffer>;

  constructor(
    readonly active: MasterKey,
    previous: MasterKey[],
  ) {
    this.keys = new Map([...previous, active].map((key) => [key.id, key.key]));
  }

  key(id: string): Buffer | undefined {
    return this.keys.get(id);
  }
}

function credentialsAad(binding: SealBinding): Buffer {
  const purpose = binding.purpose ?? 'credentials';
  return Buffer.from(`hydracore/${purpose}/v1|${binding.customerId}|${binding.connectionId}`, 'utf8');
}

function dataKeyAad(keyId: string, binding: SealBinding): Buffer {
  const purpose = binding.purpose === undefined ? '' : `${binding.purpose}|`;
  return Buffer.from(`hydracore/data-key/v1|${purpose}${keyId}|${binding.customerId}|${binding.connectionId}`, 'utf8');
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): { nonce: Buffer; sealed: Buffer } {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce);
  cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { nonce, sealed };
}

function decrypt(key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES) throw new IntegrityError('sealed value is malformed');
  const decipher = createDecipheriv(ALGORITHM, key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new IntegrityError('authentication tag mismatch');
  }
}

/**
 * Envelope encryption of connection credentials with AES-256-GCM: each connection's credentials under
 * a random data key of their own, the data key wrapped by a master key named by its id. Both layers
 * authenticate the row they belong to (customer id, connection id). Pure functions of node:crypto.
 */
export class CredentialSealer {
  constructor(private readonly keyRing: KeyRing) {}

  get activeKeyId(): string {
    return this.keyRing.active.id;
  }

  seal(credentials: Record<string, unknown>, binding: SealBinding): SealedCredentials {
    const dataKey = randomBytes(DATA_KEY_BYTES);
    try {
      const body = encrypt(dataKey, Buffer.from(JSON.stringify(credentials), 'utf8'), credentialsAad(binding));
      return { ciphertext: body.sealed, nonce: body.nonce, ...this.wrap(dataKey, binding) };
    } finally {
      dataKey.fill(0);
    }
  }

  /** The credentials, or an IntegrityError when any part was altered, moved to another row, or its key is gone. */
  open(sealed: SealedCredentials, binding: SealBinding): Record<string, unknown> {
    const dataKey = this.unwrap(sealed, binding);
    try {
      return JSON.parse(decrypt(dataKey, sealed.nonce, sealed.ciphertext, credentialsAad(binding)).toString('utf8'));
    } finally {
      dataKey.fill(0);
    }
  }

  /** The same data key wrapped under the active master key: the credentials' ciphertext does not change. */
  rewrap(sealed: Pick<SealedCredentials, 'wrappedDataKey' | 'keyId'>, binding: SealBinding): Pick<SealedCredentials, 'wrappedDataKey' | 'keyId'> {
    const dataKey = this.unwrap(sealed, binding);
    try {
      return this.wrap(dataKey, binding);
    } finally {
      dataKey.fill(0);
    }
  }

  private wrap(dataKey: Buffer, binding: SealBinding): Pick<SealedCredentials, 'wrappedDataKey' | 'keyId'> {
    const { id, key } = this.keyRing.active;
    const wrapped = encrypt(key, dataKey, dataKeyAad(id, binding));
    return { wrappedDataKey: Buffer.concat([wrapped.nonce, wrapped.sealed]), keyId: id };
  }

  private unwrap(sealed: Pick<SealedCredentials, 'wrappedDataKey' | 'keyId'>, binding: SealBinding): Buffer {
    const masterKey = this.keyRing.key(sealed.keyId);
    if (!masterKey) throw new IntegrityError(`master key "${sealed.keyId}" is not configured`);
    const wrapped = sealed.wrappedDataKey;
    return decrypt(masterKey, wrapped.subarray(0, NONCE_BYTES), wrapped.subarray(NONCE_BYTES), dataKeyAad(sealed.keyId, binding));
  }
}

/** The sealer of the configured keys: `ENCRYPTION_KEY` seals, it and `ENCRYPTION_PREVIOUS_KEYS` open. */
export function configuredSealer(config: AppConfig): CredentialSealer {
  return new CredentialSealer(new KeyRing(config.activeKey, config.previousKeys));
}
