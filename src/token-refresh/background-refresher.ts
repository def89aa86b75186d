import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SYSTEM_CALLER } from '../audit/caller';
import { AppConfig } from '../config/app-config';
import { ConnectionReads } from '../connections/connection-reads';
import { ConnectionEvents } from '../events/connection-events';
import { APP_LOGGER, type AppLogger } from '../logging/logger';
import { RefreshEngine } from './refresh-engine';
import { REFRESH_SCHEDULE, type RefreshSchedule } from './refresh-schedule';
import { APP_FAILURES_TO_PAUSE } from './token-request';

/** Connections due for a refresh ahead of expiry: refreshable, not backing off, not leased, their app not paused. */
const DUE_FOR_REFRESH = `SELECT c.id, c.credentials_version FROM connections c
  WHERE c.auth_type = 'oauth2' AND c.has_refresh_token IS NOT FALSE AND c.status IN ('active', 'error', 'expired')
    AND c.expires_at <= clock_timestamp() + $1 * interval '1 millisecond'
    AND (c.next_refresh_at IS NULL OR c.next_refresh_at <= clock_timestamp())
    AND (c.refresh_lease_expires_at IS NULL OR c.refresh_lease_expires_at < clock_timestamp())
    AND EXISTS (SELECT 1 FROM oauth_apps a WHERE a.customer_id = c.customer_id AND a.provider = c.provider
                AND (a.consecutive_failures < $3 OR a.paused_until IS NULL OR a.paused_until <= clock_timestamp()))
  ORDER BY c.expires_at LIMIT $2`;

/**
 * Past expiry and not refreshable: `expired`, with its event, in one transaction. Rows another replica
 * is marking are skipped (SKIP LOCKED), so each transition is written once.
 */
const MARK_EXPIRED = `UPDATE connections c SET status = 'expired', updated_at = now()
  WHERE c.id IN (SELECT e.id FROM connections e
                  WHERE e.status = 'active' AND e.expires_at <= clock_timestamp()
                    AND NOT (e.auth_type = 'oauth2' AND e.has_refresh_token IS NOT FALSE
                             AND EXISTS (SELECT 1 FROM oauth_apps a WHERE a.customer_id = e.customer_id AND a.provider = e.provider))
                  LIMIT 100 FOR UPDATE SKIP LOCKED)
  RETURNING c.id, c.customer_id`;

/**
 * Every replica looks, every `backgroundIntervalMs` (with jitter), for connections expiring within
 * `OAUTH_REFRESH_AHEAD_SECONDS` and refreshes them through the engine, whose lease makes each refresh
 * happen once whichever replica finds it first; and marks the connections that expired with nothing
 * to refresh them.
 */
@Injectable()
export class BackgroundRefresher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly aheadMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: RefreshEngine,
    private readonly events: ConnectionEvents,
    private readonly reads: ConnectionReads,
    @Inject(REFRESH_SCHEDULE) private readonly schedule: RefreshSchedule,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    config: AppConfig,
  ) {
    this.aheadMs = config.oauthRefreshAheadMs;
  }

  onApplicationBootstrap(): void {
    this.scheduleNext();
  }

  /** Before the database closes: no new pass, and the one running ends (its refreshes written with their events). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: refresh what is due, then mark what expired. Exposed for tests that do not want to wait. */
  async tick(): Promise<void> {
    const due: { id: string; credentials_version: number }[] = await this.dataSource.query(DUE_FOR_REFRESH, [this.aheadMs, 200, APP_FAILURES_TO_PAUSE]);
    let next = 0;
    const worker = async () => {
      while (!this.stopped && next < due.length) {
        const { id, credentials_version } = due[next++];
        await this.engine.refresh(id, 'background', SYSTEM_CALLER, credentials_version);
      }
    };
    await Promise.all(Array.from({ length: this.schedule.backgroundConcurrency }, worker));
    await this.markExpired();
  }

  private async markExpired(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [expired]: [{ id: string; customer_id: string }[], number] = await manager.query(MARK_EXPIRED);
      for (const { id, customer_id } of expired) {
        const data = await this.reads.oneIn(manager, id);
        await this.events.record(manager, { type: 'connection.expired', customerId: customer_id, connectionId: id, data: data! });
      }
    });
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    // Jitter, so that replicas started together do not look at the same moment.
    const delay = this.schedule.backgroundIntervalMs * (0.75 + 0.5 * Math.random());
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'background refresh pass failed'))
        .finally(() => {
          this.running = undefined;
          this.scheduleNext();
        });
    }, delay);
    this.timer.unref();
  }
}
