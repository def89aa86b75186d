import type { Client } from 'pg';
import { type AuditKeys, chainStateMac, FINGERPRINT_BYTES, SealMac } from './audit-mac';
import { EVENT_COLUMNS } from './audit-events.sql';
import type { StoredEventRow } from './audit-sealer';

export type VerifyResult =
  | { ok: true; sealedEvents: number; seals: number; unsealedEvents: number; oldestUnsealedAt: Date | null; prunedThroughSeq: string }
  | { ok: false; problem: string; eventId?: string; seq?: string };

interface SealRow {
  first_seq: string;
  last_seq: string;
  holes: string[];
  fingerprints: Buffer;
  key_id: string;
  mac: Buffer;
}

/** Rows fetched from a cursor at a time. */
const CURSOR_BATCH = 5_000;

class Failure extends Error {
  constructor(
    readonly problem: string,
    readonly eventId?: string,
    readonly seq?: string,
  ) {
    super(problem);
  }
}

/**
 * Checks the whole trail in one consistent snapshot, streaming seals and events in seq order, and stops
 * at the first bad thing, naming it:
 * - the chain row's MAC (its head and pruned point), then each seal's MAC over the seal before it, so
 *   a seal cut, added or edited is seen, and the newest seals cannot be cut unseen;
 * - each event's own MAC (an edit, or a row written by SQL), its place (the seal's fingerprint at that
 *   position: a reorder), and that every sealed seq is there (a deletion) and no event sits in a hole
 *   or outside the seals (an insertion);
 * - events after the last seal are "not yet sealed": their own MACs are checked and they are counted
 *   (a deletion among them is not detectable until they are sealed, about a second after commit).
 */
export async function verifyAuditTrail(client: Client, keys: AuditKeys): Promise<VerifyResult> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    return await walk(client, keys);
  } catch (error) {
    if (error instanceof Failure) return { ok: false, problem: error.problem, eventId: error.eventId, seq: error.seq };
    throw error;
  } finally {
    await client.query('ROLLBACK');
  }
}

async function walk(client: Client, keys: AuditKeys): Promise<VerifyResult> {
  const [chain] = (await client.query(`SELECT head_seq::text AS head_seq, head_mac, pruned_seq::text AS pruned_seq, pruned_mac, key_id, mac FROM audit_chain WHERE id = 1`)).rows;
  if (!chain) throw new Failure('the chain row (audit_chain) is missing');
  const headSeq = BigInt(chain.head_seq);
  const prunedSeq = BigInt(chain.pruned_seq);
  if (chain.mac === null) {
    if (headSeq !== 0n || prunedSeq !== 0n) throw new Failure('the chain row has no MAC');
  } else {
    const key = keyOf(keys, chain.key_id, 'the chain row');
    if (!chainStateMac(key, headSeq, chain.head_mac, prunedSeq, chain.pruned_mac).equals(chain.mac)) throw new Failure('the chain row was edited: its MAC does not match');
  }

  const events = cursor<StoredEventRow>(client, 'audit_verify_events', `SELECT ${EVENT_COLUMNS} FROM audit_events ORDER BY audit_events.seq`);
  const seals = cursor<SealRow>(client, 'audit_verify_seals', `SELECT first_seq::text AS first_seq, last_seq::text AS last_seq, holes::text[] AS holes, fingerprints, key_id, mac FROM audit_seals ORDER BY audit_seals.first_seq`);
  let event = await events.next();
  let previousMac: Buffer | null = chain.pruned_mac;
  let expectedFirst = prunedSeq + 1n;
  let sealCount = 0;
  let sealedEvents = 0;

  const checkEventMac = (row: StoredEventRow, where: string) => {
    const key = keyOf(keys, row.key_id, `event ${row.id}`);
    if (!keys.eventMac(key, row).equals(row.mac)) {
      throw new Failure(`event ${row.id} (seq ${row.seq}${where}) was edited or written by SQL: its MAC does not match`, row.id, row.seq);
    }
  };

  for (let seal = await seals.next(); seal !== undefined; seal = await seals.next()) {
    const first = BigInt(seal.first_seq);
    const last = BigInt(seal.last_seq);
    if (first !== expectedFirst) throw new Failure(`the seal starting at seq ${seal.first_seq} does not follow the one before (expected seq ${expectedFirst}): a seal was deleted or inserted`);
    const key = keyOf(keys, seal.key_id, `the seal starting at seq ${seal.first_seq}`);
    const holes = seal.holes.map(BigInt);
    const holeSet = new Set(seal.holes.map(Number));
    const mac = new SealMac(key, previousMac, first, last, holes);
    let position = 0;
    for (let seq = Number(first); seq <= Number(last); seq++) {
      if (event !== undefined && Number(event.seq) < seq) {
        throw new Failure(`event ${event.id} (seq ${event.seq}) lies outside every seal: inserted by SQL`, event.id, event.seq);
      }
      if (holeSet.has(seq)) {
        if (event !== undefined && Number(event.seq) === seq) throw new Failure(`event ${event.id} (seq ${event.seq}) holds a number sealed as unused: inserted by SQL`, event.id, event.seq);
        continue;
      }
      if (event === undefined || Number(event.seq) > seq) {
        throw new Failure(`the sealed event at seq ${seq} is missing: deleted${event ? ` (the next event present is ${event.id}, seq ${event.seq})` : ''}`, undefined, String(seq));
      }
      checkEventMac(event, '');
      const fingerprint = seal.fingerprints.subarray(position * FINGERPRINT_BYTES, (position + 1) * FINGERPRINT_BYTES);
      if (!event.mac.subarray(0, FINGERPRINT_BYTES).equals(fingerprint)) {
        throw new Failure(`event ${event.id} (seq ${event.seq}) is not the event sealed at this place: events were reordered`, event.id, event.seq);
      }
      mac.add(BigInt(seq), event.mac);
      position++;
      sealedEvents++;
      event = await events.next();
    }
    if (position * FINGERPRINT_BYTES !== seal.fingerprints.length || !mac.digest().equals(seal.mac)) {
      throw new Failure(`the seal of seqs ${seal.first_seq}..${seal.last_seq} was edited: its MAC does not match`);
    }
    previousMac = seal.mac;
    expectedFirst = last + 1n;
    sealCount++;
  }
  if (expectedFirst - 1n !== headSeq || (headSeq > prunedSeq && !(previousMac?.equals(chain.head_mac) ?? false))) {
    throw new Failure(`the seals end at seq ${expectedFirst - 1n} but the chain's head is seq ${headSeq}: seals were cut or added`);
  }

  let unsealedEvents = 0;
  let oldestUnsealedAt: Date | null = null;
  for (; event !== undefined; event = await events.next()) {
    if (BigInt(event.seq) <= headSeq) throw new Failure(`event ${event.id} (seq ${event.seq}) lies outside every seal: inserted by SQL`, event.id, event.seq);
    checkEventMac(event, ', not yet sealed');
    unsealedEvents++;
    if (oldestUnsealedAt === null || event.occurred_at < oldestUnsealedAt) oldestUnsealedAt = event.occurred_at;
  }
  return { ok: true, sealedEvents, seals: sealCount, unsealedEvents, oldestUnsealedAt, prunedThroughSeq: chain.pruned_seq };
}

function keyOf(keys: AuditKeys, keyId: string, what: string): Buffer {
  const key = keys.key(keyId);
  if (!key) throw new Failure(`${what} is under key id "${keyId}", which is not configured (ENCRYPTION_KEY / ENCRYPTION_PREVIOUS_KEYS)`);
  return key;
}

/** A server-side cursor read `CURSOR_BATCH` rows at a time, in the open transaction. */
function cursor<T>(client: Client, name: string, text: string): { next(): Promise<T | undefined> } {
  let buffer: T[] = [];
  let index = 0;
  let declared = false;
  let exhausted = false;
  return {
    async next() {
      if (index < buffer.length) return buffer[index++];
      if (exhausted) return undefined;
      if (!declared) {
        await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${text}`);
        declared = true;
      }
      buffer = (await client.query(`FETCH FORWARD ${CURSOR_BATCH} FROM ${name}`)).rows as T[];
      index = 0;
      if (buffer.length < CURSOR_BATCH) exhausted = true;
      return buffer.length === 0 ? undefined : buffer[index++];
    },
  };
}
