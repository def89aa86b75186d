/** Latest instant a Date can hold is far beyond this; anything later is not a real expiry. */
const MAX_EPOCH_SECONDS = 253402300799; // 9999-12-31T23:59:59Z

/**
 * When the credentials expire, read from them: `expires_at` (ISO 8601, or epoch seconds as a number or
 * digit string) wins over `expires_in` (seconds from `now`). A value that does not parse gives null
 * rather than refusing the credentials: it is the provider's field, not ours.
 */
export function credentialsExpiry(credentials: Record<string, unknown>, now: Date = new Date()): Date | null {
  const expiresAt = credentials.expires_at;
  if (expiresAt !== undefined && expiresAt !== null) return parseInstant(expiresAt);
  const expiresIn = credentials.expires_in;
  const seconds = typeof expiresIn === 'string' && /^\d+(\.\d+)?$/.test(expiresIn.trim()) ? Number(expiresIn) : expiresIn;
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_EPOCH_SECONDS) {
    return new Date(now.getTime() + Math.round(seconds * 1000));
  }
  return null;
}

function parseInstant(value: unknown): Date | null {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const seconds = Number(value);
    return Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_EPOCH_SECONDS ? new Date(Math.round(seconds * 1000)) : null;
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    const date = new Date(value.trim());
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return null;
}

/** Whether the credentials can be refreshed by RFC 6749 §6: they hold a non-empty `refresh_token` string. */
export function holdsRefreshToken(credentials: Record<string, unknown>): boolean {
  return typeof credentials.refresh_token === 'string' && credentials.refresh_token.length > 0;
}
