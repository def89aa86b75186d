import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { WEBHOOK_TEST_EVENT } from './dto/webhook.dto';

/** A due attempt this replica has claimed, with what it takes to send it. */
export interface ClaimedDelivery {
  id: string;
  leaseToken: string;
  webhookId: string;
  customerId: string;
  url: string;
  eventId: string;
  eventType: string;
  occurredAt: Date;
  messageId: string;
  attempt: number;
  /** The event's `data` (the Connection or Grant as the API shows it); null for a test event. */
  data: Record<string, unknown> | null;
  secretCiphertext: Buffer;
  secretNonce: Buffer;
  wrappedDataKey: Buffer;
  keyId: string;
}

export type AttemptOutcome = { ok: true; responseStatus: number } | { ok: false; responseStatus: number | null; error: string };

interface ClaimedRow {
  id: string;
  webhook_id: string;
  customer_id: string;
  url: string;
  event_id: string;
  event_type: string;
  occurred_at: Date;
  message_id: string;
  attempt: number;
  data: Record<string, unknown> | null;
  secret_ciphertext: Buffer;
  secret_nonce: Buffer;
  wrapped_data_key: Buffer;
  key_id: string;
}

/**
 * The SQL of the delivery queue (`webhook_deliveries`): replicas claim due attempts with
 * `FOR UPDATE SKIP LOCKED` and a lease, then write each outcome under the claim's token. A failed
 * attempt and the scheduling of the next are one statement.
 */
@Injectable()
export class WebhookDeliveryQueue {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Claims up to `limit` due attempts for `leaseMs`: no other replica takes them until the lease passes
   * (a replica that died mid-attempt is taken over then). Attempts of a disabled webhook wait, except
   * a test event, which the customer asked for.
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const leaseToken = randomUUID();
    const rows: ClaimedRow[] = await this.dataSource.query(
      `WITH claimed AS (
         UPDATE webhook_deliveries AS d SET lease_until = now() + $2 * interval '1 millisecond', lease_token = $3
          WHERE d.id IN (
            SELECT q.id FROM webhook_deliveries q JOIN webhooks w ON w.id = q.webhook_id
             WHERE q.status = 'pending' AND q.next_attempt_at <= now()
               AND (q.lease_until IS NULL OR q.lease_until <= now())
               AND (w.enabled OR q.event_type = $4)
             ORDER BY q.next_attempt_at
             LIMIT $1
             FOR UPDATE OF q SKIP LOCKED)
         RETURNING d.id, d.webhook_id, d.event_id, d.event_type, d.occurred_at, d.message_id, d.attempt)
       SELECT c.id, c.webhook_id, w.customer_id, w.url, c.event_id, c.event_type, c.occurred_at, c.message_id, c.attempt, e.data,
              w.secret_ciphertext, w.secret_nonce, w.wrapped_data_key, w.key_id
         FROM claimed c JOIN webhooks w ON w.id = c.webhook_id LEFT JOIN connection_events e ON e.id = c.event_id`,
      [limit, leaseMs, leaseToken, WEBHOOK_TEST_EVENT],
    );
    return rows.map((row) => ({
      id: row.id,
      leaseToken,
      webhookId: row.webhook_id,
      customerId: row.customer_id,
      url: row.url,
      eventId: row.event_id,
      eventType: row.event_type,
      occurredAt: row.occurred_at,
      messageId: row.message_id,
      attempt: row.attempt,
      data: row.data,
      secretCiphertext: row.secret_ciphertext,
      secretNonce: row.secret_nonce,
      wrappedDataKey: row.wrapped_data_key,
      keyId: row.key_id,
    }));
  }

  /**
   * Writes the attempt's outcome, if the claim is still this replica's. A failure with a `retryDelayMs`
   * schedules the next attempt as a new pending row in the same statement; without one it is given up.
   */
  async record(claim: Pick<ClaimedDelivery, 'id' | 'leaseToken'>, outcome: AttemptOutcome, retryDelayMs: number | null): Promise<void> {
    if (outcome.ok) {
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'succeeded', response_status = $3, error = NULL, next_attempt_at = NULL, lease_until = NULL, lease_token = NULL
          WHERE id = $1 AND lease_token = $2`,
        [claim.id, claim.leaseToken, outcome.responseStatus],
      );
      return;
    }
    await this.dataSource.query(
      `WITH failed AS (
         UPDATE webhook_deliveries
            SET status = 'failed', response_status = $3, error = $4, lease_until = NULL, lease_token = NULL,
                next_attempt_at = CASE WHEN $5::bigint IS NULL THEN NULL ELSE now() + $5::bigint * interval '1 millisecond' END
          WHERE id = $1 AND lease_token = $2
          RETURNING webhook_id, event_id, event_type, occurred_at, message_id, attempt, next_attempt_at)
       INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, occurred_at, message_id, attempt, status, next_attempt_at)
       SELECT webhook_id, event_id, event_type, occurred_at, message_id, attempt + 1, 'pending', next_attempt_at FROM failed
        WHERE next_attempt_at IS NOT NULL`,
      [claim.id, claim.leaseToken, outcome.responseStatus, outcome.error.slice(0, 1024), retryDelayMs],
    );
  }

  /** Gives claimed attempts back at once (on shutdown), so another replica need not wait for their lease. */
  async release(claims: Pick<ClaimedDelivery, 'id' | 'leaseToken'>[]): Promise<void> {
    if (claims.length === 0) return;
    await this.dataSource.query(
      `UPDATE webhook_deliveries AS d SET lease_until = NULL, lease_token = NULL
         FROM unnest($1::uuid[], $2::uuid[]) AS c(id, token)
        WHERE d.id = c.id AND d.lease_token = c.token AND d.status = 'pending'`,
      [claims.map((claim) => claim.id), claims.map((claim) => claim.leaseToken)],
    );
  }
}
