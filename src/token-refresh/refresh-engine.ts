import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail';
import type { Caller } from '../audit/caller';
import { AppConfig } from '../config/app-config';
import { ConnectionReads } from '../connections/connection-reads';
import { holdsRefreshToken } from '../connections/credential-expiry';
import { CredentialSealer } from '../crypto/credential-sealer';
import type { ConnectionEventType } from '../events/connection-event.entity';
import { ConnectionEvents } from '../events/connection-events';
import { Metrics } from '../metrics/metrics';
import { openAppSecret } from '../oauth-apps/app-secret';
import type { OAuthApp } from '../oauth-apps/oauth-app.entity';
import { OutboundClient, OutboundError } from '../outbound/outbound-client';
import { REFRESH_SCHEDULE, type RefreshSchedule } from './refresh-schedule';
import { APP_FAILURES_TO_PAUSE, appPauseMs, mergeRefreshedCredentials, readTokenResponse, refreshBackoffMs, refreshTokenRequest, type TokenOutcome } from './token-request';

/** Why a refresh is asked for: a fetch (within the skew), the background refresher, or `POST …/refresh` (skips the backoff wait). */
export type RefreshReason = 'fetch' | 'background' | 'manual';

/** A connection as its refresh state stands, read after an attempt (whoever made it). */
export interface RefreshState {
  id: string;
  customerId: string;
  status: string;
  expiresAt: Date | null;
  credentialsVersion: number;
  /** oauth2, a refresh token (or not yet known), and an app for its provider. */
  refreshable: boolean;
  /** When the next attempt may come (the connection's backoff, or its app's pause); null: now. */
  nextAttemptAt: Date | null;
  sealed: { ciphertext: Buffer; nonce: Buffer; wrappedDataKey: Buffer; keyId: string };
}

interface StateRow {
  id: string;
  customer_id: string;
  provider: string;
  auth_type: string;
  status: string;
  expires_at: Date | null;
  credentials_version: number;
  next_refresh_at: Date | null;
  refresh_failures: number;
  refresh_lease_owner: string | null;
  refresh_lease_expires_at: Date | null;
  credentials_ciphertext: Buffer;
  credentials_nonce: Buffer;
  wrapped_data_key: Buffer;
  key_id: string;
  has_refresh_token: boolean | null;
  app_id: string | null;
  app_paused_until: Date | null;
  app_probe_until: Date | null;
  app_failures: number | null;
  db_now: Date;
}

const STATE_COLUMNS = `c.id, c.customer_id, c.provider, c.auth_type, c.status, c.expires_at, c.credentials_version, c.next_refresh_at,
  c.refresh_failures, c.refresh_lease_owner, c.refresh_lease_expires_at,
  c.credentials_ciphertext, c.credentials_nonce, c.wrapped_data_key, c.key_id, c.has_refresh_token,
  a.id AS app_id, a.paused_until AS app_paused_until, a.probe_until AS app_probe_until, a.consecutive_failures AS app_failures, clock_timestamp() AS db_now`;

/** The connection's state, with its app's pause; `c` must be named in FROM. */
const APP_JOIN = 'LEFT JOIN oauth_apps a ON a.customer_id = c.customer_id AND a.provider = c.provider';

/**
 * Refreshes OAuth2 tokens exactly once across fetches, background refreshers and replicas:
 * - in this process, concurrent asks for one connection share one attempt (`inFlight`);
 * - across replicas, an attempt first takes the connection's lease (one UPDATE … WHERE the lease is free
 *   and the credentials are still the version the asker saw); the others wait, polling the row without
 *   holding a pooled connection, and read the result; a lease left by a dead replica expires and is
 *   taken over;
 * - no lock or transaction is held across the call to the provider; the result is written with a
 *   compare-and-swap on the credentials' version, so a PATCH made meanwhile wins, and a rotated refresh
 *   token is replaced in the same write that stores the new access token (never sent again);
 * - an `invalid_grant` is taken for a revocation only after re-reading the connection: another replica
 *   may already have refreshed it with the token this one sent;
 * - every status change is written with its connection event, in one transaction.
 */
@Injectable()
export class RefreshEngine {
  /** Who holds a lease: this process, told apart from other replicas and from its own past lives. */
  readonly owner = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly inFlight = new Map<string, Promise<RefreshState | undefined>>();
  private readonly tokenTimeoutMs: number;
  /** A lease outlives the slowest token call, and is short enough that a dead replica's is taken over within 30 s. */
  private readonly leaseMs: number;
  private readonly outcomes;
  private readonly durations;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sealer: CredentialSealer,
    private readonly outbound: OutboundClient,
    private readonly events: ConnectionEvents,
    private readonly reads: ConnectionReads,
    private readonly audit: AuditTrail,
    @Inject(REFRESH_SCHEDULE) private readonly schedule: RefreshSchedule,
    config: AppConfig,
    metrics: Metrics,
  ) {
    this.outcomes = metrics.counter('hydracore_token_refreshes_total', 'Token requests by outcome (refreshed, refused: invalid_grant, failed) and by reason (fetch, background, manual)', [
      'outcome',
      'reason',
    ]);
    this.durations = metrics.histogram('hydracore_token_refresh_duration_seconds', 'Time of a token request to the provider, by outcome', ['outcome']);
    this.tokenTimeoutMs = config.oauthTokenTimeoutMs;
    this.leaseMs = Math.min(this.tokenTimeoutMs + 5_000, 25_000);
  }

  /**
   * Refreshes the connection unless it was refreshed since `seenVersion` (then that result is the
   * answer), and answers its state afterwards; undefined when the connection is gone. Concurrent calls
   * for one connection in this process share one attempt.
   */
  refresh(connectionId: string, reason: RefreshReason, by: Caller, seenVersion?: number): Promise<RefreshState | undefined> {
    const running = this.inFlight.get(connectionId);
    if (running) return running;
    const attempt = this.attempt(connectionId, reason, by, seenVersion).finally(() => this.inFlight.delete(connectionId));
    this.inFlight.set(connectionId, attempt);
    return attempt;
  }

  /** The connection's state now, without refreshing. */
  async state(connectionId: string): Promise<RefreshState | undefined> {
    const row = await this.readRow(connectionId);
    return row && toState(row);
  }

  private async attempt(connectionId: string, reason: RefreshReason, by: Caller, seenVersion: number | undefined): Promise<RefreshState | undefined> {
    let version = seenVersion;
    for (;;) {
      const claimed = await this.claim(connectionId, reason, version);
      if (claimed) return this.refreshClaimed(claimed, reason, by);
      const row = await this.readRow(connectionId);
      if (!row) return undefined;
      version ??= row.credentials_version;
      // Refreshed meanwhile (elsewhere), or no longer refreshable, or waiting out a backoff: that is the answer.
      if (row.credentials_version !== version || !['active', 'error', 'expired'].includes(row.status)) return toState(row);
      if (reason !== 'manual' && row.next_refresh_at !== null && row.next_refresh_at > row.db_now) return toState(row);
      const leaseHeld = row.refresh_lease_expires_at !== null && row.refresh_lease_expires_at > row.db_now;
      if (!leaseHeld) {
        // Free, not backing off, same version, and still not claimed: it is not refreshable (no app, not oauth2).
        return toState(row);
      }
      await sleep(this.schedule.waitPollMs);
    }
  }

  /** Takes the lease when it is free, the version is still `version` (when given) and no backoff forbids it. */
  private async claim(connectionId: string, reason: RefreshReason, version: number | undefined): Promise<StateRow | undefined> {
    // A WITH … SELECT answers its rows (a bare UPDATE would answer [rows, affected]).
    const rows: StateRow[] = await this.dataSource.query(
      `WITH claimed AS (
         UPDATE connections c SET refresh_lease_owner = $2, refresh_lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond'
          WHERE c.id = $1 AND c.auth_type = 'oauth2' AND c.status IN ('active', 'error', 'expired') AND c.has_refresh_token IS NOT FALSE
            AND (c.refresh_lease_expires_at IS NULL OR c.refresh_lease_expires_at < clock_timestamp())
            AND ($4::boolean OR c.next_refresh_at IS NULL OR c.next_refresh_at <= clock_timestamp())
            AND ($5::integer IS NULL OR c.credentials_version = $5)
            AND EXISTS (SELECT 1 FROM oauth_apps a WHERE a.customer_id = c.customer_id AND a.provider = c.provider)
         RETURNING c.*)
       SELECT ${STATE_COLUMNS} FROM claimed c ${APP_JOIN}`,
      [connectionId, this.owner, this.leaseMs, reason === 'manual', version ?? null],
    );
    return rows[0];
  }

  private async refreshClaimed(row: StateRow, reason: RefreshReason, by: Caller): Promise<RefreshState | undefined> {
    const binding = { connectionId: row.id, customerId: row.customer_id };
    const stored = this.sealer.open(
      { ciphertext: row.credentials_ciphertext, nonce: row.credentials_nonce, wrappedDataKey: row.wrapped_data_key, keyId: row.key_id },
      binding,
    );
    if (!holdsRefreshToken(stored)) {
      await this.dataSource.query(`UPDATE connections SET has_refresh_token = false, refresh_lease_owner = NULL, refresh_lease_expires_at = NULL WHERE id = $1 AND refresh_lease_owner = $2`, [row.id, this.owner]);
      return this.state(row.id);
    }
    const app = await this.takeAppTurn(row);
    if (!app) {
      await this.releaseLease(row.id);
      return this.state(row.id);
    }
    const started = process.hrtime.bigint();
    const outcome = await this.callTokenEndpoint(app, stored.refresh_token as string);
    this.durations.observe({ outcome: outcome.kind }, Number(process.hrtime.bigint() - started) / 1e9);
    this.outcomes.inc({ outcome: outcome.kind, reason });
    if (outcome.kind === 'refreshed') await this.recordSuccess(row, app, stored, outcome.token, reason, by);
    else if (outcome.kind === 'refused') await this.recordRefusal(row, app, outcome.message, reason, by);
    else await this.recordFailure(row, app, outcome.message, reason, by);
    return this.state(row.id);
  }

  /**
   * The app, when a call to its token endpoint may go now: always while it works; while it fails every
   * call, only once its pause is over and only for the one attempt that takes the probe.
   */
  private async takeAppTurn(row: StateRow): Promise<OAuthApp | undefined> {
    const [rows]: [OAuthAppRow[], number] = await this.dataSource.query(
      `UPDATE oauth_apps a SET probe_until = CASE WHEN a.consecutive_failures >= $3 THEN clock_timestamp() + $4 * interval '1 millisecond' ELSE a.probe_until END
        WHERE a.customer_id = $1 AND a.provider = $2
          AND (a.consecutive_failures < $3
               OR ((a.paused_until IS NULL OR a.paused_until <= clock_timestamp()) AND (a.probe_until IS NULL OR a.probe_until < clock_timestamp())))
        RETURNING a.id, a.customer_id, a.client_id, a.token_url, a.auth_method, a.secret_ciphertext, a.secret_nonce, a.wrapped_data_key, a.key_id, a.consecutive_failures`,
      [row.customer_id, row.provider, APP_FAILURES_TO_PAUSE, this.leaseMs],
    );
    const app = rows[0];
    return (
      app && {
        id: app.id,
        customerId: app.customer_id,
        clientId: app.client_id,
        tokenUrl: app.token_url,
        authMethod: app.auth_method,
        secretCiphertext: app.secret_ciphertext,
        secretNonce: app.secret_nonce,
        wrappedDataKey: app.wrapped_data_key,
        keyId: app.key_id,
        consecutiveFailures: app.consecutive_failures,
      } as OAuthApp
    );
  }

  private async callTokenEndpoint(app: OAuthApp, refreshToken: string): Promise<TokenOutcome> {
    const request = refreshTokenRequest({ clientId: app.clientId, clientSecret: openAppSecret(this.sealer, app), authMethod: app.authMethod }, refreshToken);
    try {
      const response = await this.outbound.post(app.tokenUrl, { ...request, timeoutMs: this.tokenTimeoutMs, maxResponseBytes: 64 * 1024 });
      return readTokenResponse(response.status, response.body);
    } catch (error) {
      if (error instanceof OutboundError) return { kind: 'failed', message: `The token request failed: ${error.message}` };
      throw error;
    }
  }

  private async recordSuccess(row: StateRow, app: OAuthApp, stored: Record<string, unknown>, token: Record<string, unknown>, reason: RefreshReason, by: Caller): Promise<void> {
    const now = new Date();
    const credentials = mergeRefreshedCredentials(stored, token, now);
    const sealed = this.sealer.seal(credentials, { connectionId: row.id, customerId: row.customer_id });
    const expiresAt = typeof credentials.expires_at === 'string' ? new Date(credentials.expires_at) : null;
    const scopes = typeof token.scope === 'string' ? JSON.stringify(token.scope.split(/\s+/).filter(Boolean)) : null;
    await this.dataSource.transaction(async (manager) => {
      const [updated]: [unknown[], number] = await manager.query(
        `UPDATE connections SET credentials_ciphertext = $3, credentials_nonce = $4, wrapped_data_key = $5, key_id = $6,
                credentials_version = credentials_version + 1, expires_at = $7, has_refresh_token = $8, scopes = COALESCE($9::jsonb, scopes),
                status = 'active', error_message = NULL, refresh_failures = 0, next_refresh_at = NULL,
                refresh_lease_owner = NULL, refresh_lease_expires_at = NULL, updated_at = now()
          WHERE id = $1 AND credentials_version = $2
        RETURNING id`,
        [row.id, row.credentials_version, sealed.ciphertext, sealed.nonce, sealed.wrappedDataKey, sealed.keyId, expiresAt, holdsRefreshToken(credentials), scopes],
      );
      await this.recordAudit(manager, row, reason, by, 'success');
      // New credentials were stored meanwhile (PATCH): they win, and this result is dropped.
      if (updated.length === 0) return;
      await this.recordEvent(manager, 'connection.refreshed', row);
      if (row.status === 'error' || row.status === 'expired') await this.recordEvent(manager, 'connection.recovered', row);
      await manager.query(`UPDATE oauth_apps SET consecutive_failures = 0, paused_until = NULL, probe_until = NULL WHERE id = $1`, [app.id]);
    });
  }

  /** `invalid_grant`: revoked, unless the connection was refreshed (or re-stored) since this attempt read it. */
  private async recordRefusal(row: StateRow, app: OAuthApp, message: string, reason: RefreshReason, by: Caller): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [updated]: [unknown[], number] = await manager.query(
        `UPDATE connections SET status = 'revoked', error_message = $3, refresh_lease_owner = NULL, refresh_lease_expires_at = NULL, updated_at = now()
          WHERE id = $1 AND credentials_version = $2
        RETURNING id`,
        [row.id, row.credentials_version, message],
      );
      // The endpoint itself works: it answered.
      await manager.query(`UPDATE oauth_apps SET consecutive_failures = 0, paused_until = NULL, probe_until = NULL WHERE id = $1`, [app.id]);
      await this.recordAudit(manager, row, reason, by, 'denied');
      if (updated.length > 0) await this.recordEvent(manager, 'connection.revoked', row);
    });
  }

  /** A failure that may pass: `error`, a backoff for the connection, and one more failure in a row for its app. */
  private async recordFailure(row: StateRow, app: OAuthApp, message: string, reason: RefreshReason, by: Caller): Promise<void> {
    const failures = row.refresh_failures + 1;
    const backoffMs = refreshBackoffMs(failures, this.schedule.backoffBaseMs, this.schedule.backoffMaxMs);
    const appFailures = app.consecutiveFailures + 1;
    const pauseMs = appFailures >= APP_FAILURES_TO_PAUSE ? appPauseMs(appFailures, this.schedule.appPauseBaseMs, this.schedule.appPauseMaxMs) : null;
    await this.dataSource.transaction(async (manager) => {
      const [updated]: [unknown[], number] = await manager.query(
        `UPDATE connections SET status = 'error', error_message = $3,
                refresh_failures = $4, next_refresh_at = clock_timestamp() + $5 * interval '1 millisecond',
                refresh_lease_owner = NULL, refresh_lease_expires_at = NULL, updated_at = now()
          WHERE id = $1 AND credentials_version = $2
        RETURNING id`,
        [row.id, row.credentials_version, message, failures, backoffMs],
      );
      await manager.query(
        `UPDATE oauth_apps SET consecutive_failures = consecutive_failures + 1, probe_until = NULL,
                paused_until = CASE WHEN $2::integer IS NULL THEN paused_until ELSE clock_timestamp() + $2 * interval '1 millisecond' END
          WHERE id = $1`,
        [app.id, pauseMs],
      );
      await this.recordAudit(manager, row, reason, by, 'error');
      if (updated.length > 0) await this.recordEvent(manager, 'connection.refresh_failed', row);
    });
  }

  /**
   * `connection.refresh`, with the attempt's outcome (`denied`: the provider refused the refresh token).
   * A background refresh is the system's (`SYSTEM_CALLER`) and answers no request (status null); one a
   * fetch or `POST …/refresh` waited for is that request's caller's (the first, when several share it).
   */
  private async recordAudit(manager: EntityManager, row: StateRow, reason: RefreshReason, by: Caller, outcome: 'success' | 'denied' | 'error'): Promise<void> {
    await this.audit.record(manager, {
      action: 'connection.refresh',
      by,
      customerId: row.customer_id,
      connectionId: row.id,
      provider: row.provider,
      outcome,
      status: reason === 'manual' ? 200 : null,
    });
  }

  private async releaseLease(connectionId: string): Promise<void> {
    await this.dataSource.query(`UPDATE connections SET refresh_lease_owner = NULL, refresh_lease_expires_at = NULL WHERE id = $1 AND refresh_lease_owner = $2`, [connectionId, this.owner]);
  }

  private async recordEvent(manager: EntityManager, type: ConnectionEventType, row: StateRow): Promise<void> {
    const data = await this.reads.oneIn(manager, row.id);
    if (data !== undefined) await this.events.record(manager, { type, customerId: row.customer_id, connectionId: row.id, data });
  }

  private async readRow(connectionId: string): Promise<StateRow | undefined> {
    const rows: StateRow[] = await this.dataSource.query(`SELECT ${STATE_COLUMNS} FROM connections c ${APP_JOIN} WHERE c.id = $1`, [connectionId]);
    return rows[0];
  }
}

interface OAuthAppRow {
  id: string;
  customer_id: string;
  client_id: string;
  token_url: string;
  auth_method: OAuthApp['authMethod'];
  secret_ciphertext: Buffer;
  secret_nonce: Buffer;
  wrapped_data_key: Buffer;
  key_id: string;
  consecutive_failures: number;
}

function toState(row: StateRow): RefreshState {
  const waits = [row.next_refresh_at, (row.app_failures ?? 0) >= APP_FAILURES_TO_PAUSE ? row.app_paused_until : null].filter(
    (at): at is Date => at !== null && at > row.db_now,
  );
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    expiresAt: row.expires_at,
    credentialsVersion: row.credentials_version,
    refreshable: row.auth_type === 'oauth2' && row.has_refresh_token !== false && row.app_id !== null,
    nextAttemptAt: waits.length === 0 ? null : new Date(Math.max(...waits.map((at) => at.getTime()))),
    sealed: { ciphertext: row.credentials_ciphertext, nonce: row.credentials_nonce, wrappedDataKey: row.wrapped_data_key, keyId: row.key_id },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
