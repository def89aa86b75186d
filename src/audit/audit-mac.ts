import { createHmac, hkdfSync } from 'node:crypto';
import type { MasterKey } from '../config/app-config';

/** Bytes kept of an event's HMAC-SHA256: 128 bits are far beyond forging, and half the row's share. */
export const EVENT_MAC_BYTES = 16;
/** Bytes of each event's MAC a seal keeps in order, to name the first event out of place. */
export const FINGERPRINT_BYTES = 4;

/** An audit event as it is stored, in the order its MAC covers (everything but `seq`, `key_id`, `mac`). */
export interface AuditEventFields {
  id: string;
  customer_id: string;
  occurred_at: Date;
  action: string;
  outcome: string;
  status: number | null;
  actor_kind: string;
  actor_id: string | null;
  connection_id: string | null;
  instance_id: string | null;
  grant_id: string | null;
  provider: string | null;
  capability: string | null;
  request_id: string | null;
}

/**
 * The audit trail's MAC keys: one per master key, derived by HKDF-SHA256 (`ENCRYPTION_KEY` and
 * `ENCRYPTION_PREVIOUS_KEYS`), named by the master key's id, and never stored. New events and seals use
 * the active key's; older ones verify as long as their master key is configured.
 */
export class AuditKeys {
  private readonly keys = new Map<string, Buffer>();
  readonly activeId: string;

  constructor(active: MasterKey, previous: MasterKey[]) {
    this.activeId = active.id;
    for (const master of [active, ...previous]) {
      this.keys.set(master.id, Buffer.from(hkdfSync('sha256', master.key, 'hydracore-audit', 'audit-trail-mac-v1', 32)));
    }
  }

  /** The derived key of `keyId`, or undefined when its master key is not configured. */
  key(keyId: string): Buffer | undefined {
    return this.keys.get(keyId);
  }

  get activeKey(): Buffer {
    return this.keys.get(this.activeId)!;
  }

  /** The event's own MAC: proves the service wrote the row as it reads now. */
  eventMac(key: Buffer, event: AuditEventFields): Buffer {
    return createHmac('sha256', key).update(canonicalEvent(event)).digest().subarray(0, EVENT_MAC_BYTES);
  }
}

/** The bytes an event's MAC covers: its fields as a JSON array, ids lowercase, time in ISO milliseconds. */
export function canonicalEvent(event: AuditEventFields): string {
  return JSON.stringify([
    event.id,
    event.customer_id,
    event.occurred_at.toISOString(),
    event.action,
    event.outcome,
    event.status,
    event.actor_kind,
    event.actor_id,
    event.connection_id,
    event.instance_id,
    event.grant_id,
    event.provider,
    event.capability,
    event.request_id,
  ]);
}

/**
 * The MAC of a seal, fed as its events come: the previous seal's MAC, its range and holes, then each
 * present event's seq and MAC in order.
 */
export class SealMac {
  private readonly hmac;

  constructor(key: Buffer, previousMac: Buffer | null, firstSeq: bigint, lastSeq: bigint, holes: bigint[]) {
    this.hmac = createHmac('sha256', key).update('seal\n').update(previousMac ?? Buffer.alloc(32));
    this.hmac.update(`${firstSeq}\n${lastSeq}\n${holes.join(',')}\n`);
  }

  add(seq: bigint, eventMac: Buffer): void {
    const number = Buffer.allocUnsafe(8);
    number.writeBigInt64BE(seq);
    this.hmac.update(number).update(eventMac);
  }

  digest(): Buffer {
    return this.hmac.digest();
  }
}

/** The MAC of the chain's state row: its head and its pruned point together. */
export function chainStateMac(key: Buffer, headSeq: bigint, headMac: Buffer | null, prunedSeq: bigint, prunedMac: Buffer | null): Buffer {
  return createHmac('sha256', key)
    .update(`chain\n${headSeq}\n${prunedSeq}\n`)
    .update(headMac ?? Buffer.alloc(32))
    .update(prunedMac ?? Buffer.alloc(32))
    .digest();
}
