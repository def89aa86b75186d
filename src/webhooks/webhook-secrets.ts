import { randomBytes } from 'node:crypto';
import { type CredentialSealer, fromSecretColumns, SEAL_PURPOSE, type SealBinding, type SealedSecretColumns, toSecretColumns } from '../crypto/credential-sealer';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** After a rotation the previous secret keeps signing this long, so receivers can switch without a gap. */
export const SECRET_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;

/** Sealed to its webhook's row, for this purpose only: it opens nowhere else, and nothing else opens as it. */
export function webhookSecretBinding(webhookId: string, customerId: string): SealBinding {
  return { connectionId: webhookId, customerId, purpose: SEAL_PURPOSE.webhookSecret };
}

/** What a webhook row seals: the current secret and, for the grace period after a rotation, the previous one. */
export interface WebhookSecrets {
  current: string;
  previous?: string;
  /** ISO time until which `previous` still signs. */
  previous_until?: string;
}

/** `whsec_` + base64 of 32 random bytes, the Standard Webhooks form. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The secrets that sign at `now`: the current one, then the previous one while its grace lasts. */
export function signingSecrets(secrets: WebhookSecrets, now: Date): string[] {
  const signing = [secrets.current];
  if (secrets.previous && secrets.previous_until && Date.parse(secrets.previous_until) > now.getTime()) signing.push(secrets.previous);
  return signing;
}

/** The rotated secrets: `next` signs from now on, the current one for the grace period too. */
export function rotatedSecrets(secrets: WebhookSecrets, next: string, now: Date): WebhookSecrets {
  return { current: next, previous: secrets.current, previous_until: new Date(now.getTime() + SECRET_ROTATION_GRACE_MS).toISOString() };
}

/** The row's sealed secrets; an IntegrityError when they were altered or moved to another row. */
export function openWebhookSecrets(
  sealer: CredentialSealer,
  row: SealedSecretColumns & { id: string; customerId: string },
): WebhookSecrets {
  return sealer.open(fromSecretColumns(row), webhookSecretBinding(row.id, row.customerId)) as unknown as WebhookSecrets;
}

/** The columns of a webhook row that hold its sealed secrets. */
export function sealWebhookSecrets(
  sealer: CredentialSealer,
  secrets: WebhookSecrets,
  { webhookId, customerId }: { webhookId: string; customerId: string },
): SealedSecretColumns {
  return toSecretColumns(sealer.seal({ ...secrets }, webhookSecretBinding(webhookId, customerId)));
}
