/**
 * The intervals of refreshing, in one object so that tests can shrink them (the harness passes its
 * own to `createApp`) instead of waiting real minutes. Production uses the defaults.
 */
export interface RefreshSchedule {
  /** How often each replica looks for connections to refresh ahead of expiry (the contract: at least every 10 s). */
  backgroundIntervalMs: number;
  /** The first backoff after a failed refresh; it doubles with each failure in a row. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** The first pause of an app whose token endpoint failed every call; it doubles with each failed probe. */
  appPauseBaseMs: number;
  appPauseMaxMs: number;
  /** How often a fetch waiting for another replica's refresh looks again. */
  waitPollMs: number;
  /** Refreshes one replica runs at once in the background. */
  backgroundConcurrency: number;
}

export const DEFAULT_REFRESH_SCHEDULE: RefreshSchedule = {
  backgroundIntervalMs: 10_000,
  backoffBaseMs: 30_000,
  backoffMaxMs: 3_600_000,
  appPauseBaseMs: 15_000,
  appPauseMaxMs: 300_000,
  waitPollMs: 100,
  backgroundConcurrency: 4,
};

export const REFRESH_SCHEDULE = Symbol('REFRESH_SCHEDULE');
