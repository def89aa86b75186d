/** What the webhook code reads the time from; tests may provide their own. Due times are the database's `now()`. */
export interface WebhookClock {
  now(): Date;
}

export const WEBHOOK_CLOCK = Symbol('WEBHOOK_CLOCK');

export const systemClock: WebhookClock = { now: () => new Date() };
