import type { FetchQuery } from './fetch-query';
import type { GrantedConnectionRow } from './fetch-lookup';

/**
 * What the fetch does with the connections the lookup found, before opening anything. Pure, so that
 * each outcome is tested on its own (test/unit/fetch-decision.spec.ts).
 */
export type FetchDecision =
  | { outcome: 'not_found' }
  | { outcome: 'ambiguous' }
  | { outcome: 'forbidden' }
  | { outcome: 'revoked'; row: GrantedConnectionRow }
  /** Serve it; `refresh` when its token is due and an app can refresh it, `expired` when past due and none can. */
  | { outcome: 'serve'; row: GrantedConnectionRow; refresh: boolean; expired: boolean };

export function decideFetch(query: FetchQuery, granted: GrantedConnectionRow[], now: Date, skewMs: number): FetchDecision {
  if (granted.length === 0) return { outcome: 'not_found' };
  if (granted.length > 1) return { outcome: 'ambiguous' };
  const [row] = granted;
  if (query.capability !== undefined && !row.capabilities.includes(query.capability)) return { outcome: 'forbidden' };
  if (row.status === 'revoked') return { outcome: 'revoked', row };
  const due = row.expires_at !== null && row.expires_at.getTime() <= now.getTime() + skewMs;
  const refreshable = due && row.auth_type === 'oauth2' && row.app_exists === true && row.has_refresh_token !== false;
  const expired = !refreshable && row.expires_at !== null && row.expires_at.getTime() <= now.getTime();
  return { outcome: 'serve', row, refresh: refreshable, expired };
}

/**
 * After a refresh the fetch waited for failed: a token still valid is served anyway; an expired one is
 * a 503 that says when the next attempt comes.
 */
export function afterFailedRefresh(expiresAt: Date | null, nextAttemptAt: Date | null, now: Date): { serve: true } | { serve: false; retryAfterSeconds: number } {
  if (expiresAt === null || expiresAt.getTime() > now.getTime()) return { serve: true };
  const wait = nextAttemptAt === null ? 1 : Math.ceil((nextAttemptAt.getTime() - now.getTime()) / 1000);
  return { serve: false, retryAfterSeconds: Math.max(1, wait) };
}
