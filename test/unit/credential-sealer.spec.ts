import { randomBytes, randomUUID } from 'node:crypto';
import { CredentialSealer, KeyRing } from '../../src/crypto/credential-sealer';
import { IntegrityError } from '../../src/crypto/integrity-error';

const keyA = { id: 'a', key: randomBytes(32) };
const keyB = { id: 'b', key: randomBytes(32) };
const binding = { connectionId: randomUUID(), customerId: randomUUID() };
const credentials = { access_token: 'tok', nested: { list: [1, 'two', null] } };

describe('CredentialSealer', () => {
  const sealer = new CredentialSealer(new KeyRing(keyA, []));

  it('opens what it sealed, and the sealed form holds nothing of the plaintext', () => {
    const sealed = sealer.seal(credentials, binding);
    expect(sealed.keyId).toBe('a');
    expect(sealed.ciphertext.toString('latin1')).not.toContain('tok');
    expect(sealer.open(sealed, binding)).toEqual(credentials);
  });

  it('uses a fresh data key and nonce every time', () => {
    const first = sealer.seal(credentials, binding);
    const second = sealer.seal(credentials, binding);
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
    expect(first.nonce.equals(second.nonce)).toBe(false);
    expect(first.wrappedDataKey.equals(second.wrappedDataKey)).toBe(false);
  });

  it.each([
    ['another connection id', { ...binding, connectionId: randomUUID() }],
    ['another customer id', { ...binding, customerId: randomUUID() }],
  ])('refuses to open under %s', (_case, otherBinding) => {
    const sealed = sealer.seal(credentials, binding);
    expect(() => sealer.open(sealed, otherBinding)).toThrow(IntegrityError);
  });

  it.each(['ciphertext', 'nonce', 'wrappedDataKey'] as const)('refuses an altered %s', (part) => {
    const sealed = sealer.seal(credentials, binding);
    const altered = Buffer.from(sealed[part]);
    altered[altered.length - 1] ^= 1;
    expect(() => sealer.open({ ...sealed, [part]: altered }, binding)).toThrow(IntegrityError);
  });

  it('refuses a key id relabelled to another configured key', () => {
    const both = new CredentialSealer(new KeyRing(keyA, [keyB]));
    const sealed = both.seal(credentials, binding);
    expect(() => both.open({ ...sealed, keyId: 'b' }, binding)).toThrow(IntegrityError);
  });

  it('refuses a key id that is not configured', () => {
    const sealed = sealer.seal(credentials, binding);
    expect(() => new CredentialSealer(new KeyRing(keyB, [])).open(sealed, binding)).toThrow(IntegrityError);
  });

  it('rewraps the data key under the active key, leaving the ciphertext as it was', () => {
    const sealed = sealer.seal(credentials, binding);
    const rotated = new CredentialSealer(new KeyRing(keyB, [keyA]));
    const rewrapped = rotated.rewrap(sealed, binding);
    expect(rewrapped.keyId).toBe('b');
    const afterRotation = new CredentialSealer(new KeyRing(keyB, []));
    expect(afterRotation.open({ ...sealed, ...rewrapped }, binding)).toEqual(credentials);
  });
});
