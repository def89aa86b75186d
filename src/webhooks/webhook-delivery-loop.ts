import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { AppConfig } from '../config/app-config';
import { CredentialSealer } from '../crypto/credential-sealer';
import { IntegrityError } from '../crypto/integrity-error';
import { APP_LOGGER, type AppLogger } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { OutboundClient, OutboundError } from '../outbound/outbound-client';
import { WEBHOOK_TEST_EVENT } from './dto/webhook.dto';
import { WEBHOOK_CLOCK, type WebhookClock } from './webhook-clock';
import { type AttemptOutcome, type ClaimedDelivery, WebhookDeliveryQueue } from './webhook-delivery-queue';
import { openWebhookSecrets, signingSecrets } from './webhook-secrets';
import { webhookSignature } from './webhook-signature';

/** An endpoint's answer is read to at most this, and never stored: only its status is. */
export const WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024;
/** On shutdown, attempts in flight get this long to end before their claims are given back. */
const DRAIN_MS = 5_000;

/**
 * The background sender of every replica: claims due attempts (`WebhookDeliveryQueue`), signs and
 * posts each through the outbound client, and records the outcome, scheduling the retry. Runs off the
 * request path; polls every `WEBHOOK_POLL_INTERVAL_MS` when idle and at once while there is a backlog.
 */
@Injectable()
export class WebhookDeliveryLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** Attempts this replica has made since it started (tests and the bench read it). */
  attemptsMade = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private claiming = false;
  private backlog = false;
  private readonly inFlight = new Map<string, { claim: ClaimedDelivery; done: Promise<void> }>();
  private failingSince: number | undefined;
  private readonly attempts: Counter<'outcome'>;
  private readonly durations: Histogram<'outcome'>;

  constructor(
    private readonly queue: WebhookDeliveryQueue,
    private readonly outbound: OutboundClient,
    private readonly sealer: CredentialSealer,
    private readonly config: AppConfig,
    @Inject(WEBHOOK_CLOCK) private readonly clock: WebhookClock,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    this.attempts = metrics.counter('hydracore_webhook_deliveries_total', 'Webhook delivery attempts by outcome (succeeded, retrying, given_up)', ['outcome']);
    this.durations = metrics.histogram('hydracore_webhook_delivery_duration_seconds', 'Time of a webhook attempt, from the POST to the answer or the failure, by outcome', ['outcome']);
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  /** Stops claiming, lets attempts in flight end for a while, then gives back the claims of the rest. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const drained = Promise.allSettled([...this.inFlight.values()].map((entry) => entry.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))]);
    clearTimeout(timer);
    await this.queue.release([...this.inFlight.values()].map((entry) => entry.claim)).catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.claimDue(), delayMs);
  }

  private async claimDue(): Promise<void> {
    if (this.stopped || this.claiming) return;
    this.claiming = true;
    try {
      const room = this.config.webhookConcurrency - this.inFlight.size;
      const claimed = room > 0 ? await this.queue.claim(room, this.config.webhookLeaseMs) : [];
      if (this.stopped) {
        await this.queue.release(claimed);
        return;
      }
      for (const claim of claimed) this.start(claim);
      this.backlog = room <= 0 || claimed.length === room;
      this.failingSince = undefined;
    } catch (error) {
      // The database may be away for a while: say so once, keep polling.
      if (this.failingSince === undefined) {
        this.failingSince = Date.now();
        this.logger.warn({ err: error }, 'webhook deliveries: could not claim due attempts');
      }
      this.backlog = false;
    } finally {
      this.claiming = false;
    }
    // With a backlog, the end of an attempt claims again; the poll is the fallback.
    this.schedule(this.backlog && this.inFlight.size < this.config.webhookConcurrency ? 0 : this.config.webhookPollIntervalMs);
  }

  private start(claim: ClaimedDelivery): void {
    const done = this.deliver(claim).finally(() => {
      this.inFlight.delete(claim.id);
      if (this.backlog && this.inFlight.size <= this.config.webhookConcurrency / 2) this.schedule(0);
    });
    this.inFlight.set(claim.id, { claim, done });
  }

  private async deliver(claim: ClaimedDelivery): Promise<void> {
    const started = process.hrtime.bigint();
    const outcome = await this.attempt(claim);
    this.attemptsMade += 1;
    const delays = this.config.webhookRetryDelaysMs;
    const retryDelayMs = outcome.ok || claim.attempt > delays.length ? null : delays[claim.attempt - 1];
    const counted = outcome.ok ? 'succeeded' : retryDelayMs === null ? 'given_up' : 'retrying';
    this.attempts.inc({ outcome: counted });
    this.durations.observe({ outcome: outcome.ok ? 'succeeded' : 'failed' }, Number(process.hrtime.bigint() - started) / 1e9);
    if (!outcome.ok) {
      this.logger.info(
        { webhook_id: claim.webhookId, delivery_id: claim.id, event_type: claim.eventType, attempt: claim.attempt, error: outcome.error, retry_in_ms: retryDelayMs },
        retryDelayMs === null ? 'webhook attempt failed; given up' : 'webhook attempt failed; retry scheduled',
      );
    }
    try {
      await this.queue.record(claim, outcome, retryDelayMs);
    } catch (error) {
      // The claim's lease passes and the attempt is made again: at least once.
      this.logger.warn({ err: error, delivery_id: claim.id }, 'webhook deliveries: could not record an outcome');
    }
  }

  /** One signed POST; any answer but a 2xx within the timeout is a failure, said in a line. */
  private async attempt(claim: ClaimedDelivery): Promise<AttemptOutcome> {
    try {
      const now = this.clock.now();
      const secrets = signingSecrets(openWebhookSecrets(this.sealer, { ...claim, id: claim.webhookId }), now);
      const body = JSON.stringify({
        type: claim.eventType,
        timestamp: claim.occurredAt.toISOString(),
        data: claim.eventType === WEBHOOK_TEST_EVENT ? { webhook_id: claim.webhookId } : claim.data,
      });
      const timestamp = Math.floor(now.getTime() / 1000);
      const response = await this.outbound.post(claim.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'HydraCore-Webhooks/1',
          'webhook-id': claim.messageId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': webhookSignature(claim.messageId, timestamp, body, secrets),
        },
        body,
        timeoutMs: this.config.webhookTimeoutMs,
        maxResponseBytes: WEBHOOK_MAX_RESPONSE_BYTES,
      });
      if (response.status >= 200 && response.status < 300) return { ok: true, responseStatus: response.status };
      const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
      return { ok: false, responseStatus: response.status, error: `HTTP ${response.status}${redirect}` };
    } catch (error) {
      if (error instanceof OutboundError) return { ok: false, responseStatus: null, error: `${error.reason}: ${error.message}` };
      if (error instanceof IntegrityError) {
        this.logger.error({ webhook_id: claim.webhookId, integrity_failure: true }, 'integrity failure: a webhook secret did not open');
        return { ok: false, responseStatus: null, error: 'the webhook secret did not open' };
      }
      this.logger.error({ err: error, delivery_id: claim.id }, 'webhook attempt failed unexpectedly');
      return { ok: false, responseStatus: null, error: 'internal error' };
    }
  }
}
