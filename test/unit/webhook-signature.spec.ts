import { Webhook as StandardWebhook } from 'standardwebhooks';
import { loadConfig } from '../../src/config/app-config';
import { generateWebhookSecret, rotatedSecrets, SECRET_ROTATION_GRACE_MS, signingSecrets } from '../../src/webhooks/webhook-secrets';
import { webhookSignature } from '../../src/webhooks/webhook-signature';

const KEY = { ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') };

describe('webhookSignature', () => {
  it('is the signature the standardwebhooks package makes for the same message', () => {
    const secret = generateWebhookSecret();
    const at = new Date('2026-12-06T03:00:00.000Z');
    const body = '{"type":"connection.created","timestamp":"2026-12-06T03:00:00.000Z","data":{"id":"x"}}';
    expect(webhookSignature('msg_1', at.getTime() / 1000, body, [secret])).toBe(new StandardWebhook(secret).sign('msg_1', at, body));
  });

  it('joins one v1 signature per secret with spaces', () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    const both = webhookSignature('msg_1', 1, 'x', [a, b]).split(' ');
    expect(both).toEqual([webhookSignature('msg_1', 1, 'x', [a]), webhookSignature('msg_1', 1, 'x', [b])]);
  });
});

describe('webhook secrets', () => {
  it('are whsec_ and the base64 of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('sign with the previous secret for 24 hours after a rotation, then with the new one alone', () => {
    const rotatedAt = new Date('2026-12-06T00:00:00.000Z');
    const secrets = rotatedSecrets({ current: 'whsec_old' }, 'whsec_new', rotatedAt);
    expect(SECRET_ROTATION_GRACE_MS).toBe(24 * 3600 * 1000);
    expect(signingSecrets(secrets, new Date(rotatedAt.getTime() + SECRET_ROTATION_GRACE_MS - 1))).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(secrets, new Date(rotatedAt.getTime() + SECRET_ROTATION_GRACE_MS))).toEqual(['whsec_new']);
    // A second rotation drops the oldest: two secrets at most.
    expect(rotatedSecrets(secrets, 'whsec_newer', rotatedAt)).toEqual({ current: 'whsec_newer', previous: 'whsec_new', previous_until: expect.any(String) });
  });
});

describe('webhook configuration', () => {
  it('defaults to the contract: 10 s per attempt, retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    const config = loadConfig(KEY);
    expect(config.webhookTimeoutMs).toBe(10_000);
    expect(config.webhookRetryDelaysMs).toEqual([5, 300, 1800, 7200, 18_000, 36_000, 36_000].map((seconds) => seconds * 1000));
    expect(config.webhookLeaseMs).toBeGreaterThan(config.webhookTimeoutMs);
  });

  it('refuses a timeout over the contract\u2019s 10 s, a malformed schedule, and a lease not longer than the timeout', () => {
    expect(() => loadConfig({ ...KEY, WEBHOOK_TIMEOUT_MS: '10001' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
    expect(() => loadConfig({ ...KEY, WEBHOOK_RETRY_DELAYS_MS: '5s,5m' })).toThrow(/WEBHOOK_RETRY_DELAYS_MS/);
    expect(() => loadConfig({ ...KEY, WEBHOOK_TIMEOUT_MS: '5000', WEBHOOK_LEASE_MS: '5000' })).toThrow(/WEBHOOK_LEASE_MS/);
    expect(loadConfig({ ...KEY, WEBHOOK_RETRY_DELAYS_MS: '10, 20' }).webhookRetryDelaysMs).toEqual([10, 20]);
  });
});
