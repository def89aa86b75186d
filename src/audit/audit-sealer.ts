import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { APP_LOGGER, type AppLogger } from '../logging/logger';
import { type AuditEventFields, AuditKeys, chainStateMac, FINGERPRINT_BYTES, SealMac } from './audit-mac';

export interface SealerTiming {
  /** How often unsealed events are sealed (and a new horizon taken). */
  sealIntervalMs: number;
  /** How often events past retention are pruned. */
  pruneIntervalMs: number;
  /** Events a seal holds at most. */
  maxEventsPerSeal: number;
}
export const AUDIT_SEALER_TIMING = Symbol('AUDIT_SEALER_TIMING');
export const DEFAULT_SEALER_TIMING: SealerTiming = { sealIntervalMs: 1_000, pruneIntervalMs: 60_000, maxEventsPerSeal: 10_000 };

/** Seals pruned per pass at most, each in its own transaction. */
const MAX_SEALS_PRUNED_PER_PASS = 100;

export type StoredEventRow = AuditEventFields & { seq: string; key_id: string; mac: Buffer };
/** What a seal needs of an event. */
type SealedRow = Pick<StoredEventRow, 'seq' | 'mac' | 'occurred_at'>;

interface ChainRow {
  head_seq: string;
  head_mac: Buffer | null;
  pruned_seq: string;
  pruned_mac: Buffer | null;
}

/** Events whose seq is decided: every seq up to `maxSeq` is committed or never will be, once no transaction older than `xmax` runs. */
interface Horizon {
  maxSeq: bigint;
  xmax: string;
}

/**
 * Chains the audit trail in the background, so that the fetch only inserts its event. Every tick:
 * 1. the events up to the horizon taken the tick before are sealed, once every transaction that was
 *    running then has ended (an event's transaction takes its id before its seq, see `AuditTrail`, so
 *    after that no event below the horizon can still appear): each seal holds their seqs, the numbers
 *    no committed event holds (`holes`: rolled back), the 4-byte fingerprints of their MACs, and a MAC
 *    over the previous seal's MAC and all of that;
 * 2. a new horizon is taken: the highest seq committed, and the snapshot's xmax.
 * Replicas take turns on the chain row's lock. Retention prunes whole seals, oldest first,
 * and moves the chain's pruned point with them, so what remains still verifies.
 */
@Injectable()
export class AuditSealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private horizon: Horizon | undefined;
  private running: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private readonly retentionMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: AuditKeys,
    @Inject(AUDIT_SEALER_TIMING) private readonly timing: SealerTiming,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    config: AppConfig,
  ) {
    this.retentionMs = config.auditRetentionDays * 86_400_000;
  }

  onApplicationBootstrap(): void {
    const seal = setInterval(() => void this.serially(() => this.tick()), this.timing.sealIntervalMs);
    const prune = setInterval(() => void this.serially(() => this.prune(new Date())), this.timing.pruneIntervalMs);
    this.timers = [seal, prune];
    for (const timer of this.timers) timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.running;
  }

  /** Seals every event committed before now (tests, and the verify of a quiet trail). */
  sealNow(): Promise<void> {
    return this.serially(async () => {
      const horizon = await this.takeHorizon();
      for (const deadline = Date.now() + 10_000; !(await this.isSettled(horizon)); ) {
        if (Date.now() > deadline) throw new Error('transactions older than the horizon still run');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await this.sealUpTo(horizon.maxSeq);
    });
  }

  /** Prunes, oldest first, the seals whose events all occurred before `now` less the retention. */
  pruneNow(now: Date): Promise<number> {
    let pruned = 0;
    return this.serially(async () => {
      pruned = await this.prune(now);
    }).then(() => pruned);
  }

  private serially(work: () => Promise<unknown>): Promise<void> {
    const next = this.running.then(work).then(
      () => undefined,
      (error: unknown) => this.logger.warn({ err: error }, 'audit sealer: pass failed, retried on the next tick'),
    );
    this.running = next;
    return next;
  }

  private async tick(): Promise<void> {
    if (this.horizon && (await this.isSettled(this.horizon))) await this.sealUpTo(this.horizon.maxSeq);
    this.horizon = await this.takeHorizon();
  }

  private async takeHorizon(): Promise<Horizon> {
    const [row] = await this.dataSource.query(
      `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax, (SELECT coalesce(max(seq), 0) FROM audit_events)::text AS max_seq`,
    );
    return { maxSeq: BigInt(row.max_seq), xmax: row.xmax };
  }

  private async isSettled(horizon: Horizon): Promise<boolean> {
    const [row] = await this.dataSource.query(`SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS settled`, [horizon.xmax]);
    return row.settled === true;
  }

  private async sealUpTo(upTo: bigint): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const chain = await this.lockChain(manager);
      let head = BigInt(chain.head_seq);
      let headMac = chain.head_mac;
      while (head < upTo) {
        const rows: SealedRow[] = await manager.query(
          `SELECT seq::text AS seq, mac, occurred_at FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY audit_events.seq LIMIT $3`,
          [head.toString(), upTo.toString(), this.timing.maxEventsPerSeal],
        );
        const last = rows.length === this.timing.maxEventsPerSeal ? BigInt(rows[rows.length - 1].seq) : upTo;
        headMac = await this.seal(manager, head, last, rows, headMac);
        head = last;
      }
      if (head !== BigInt(chain.head_seq)) await this.writeChain(manager, head, headMac, BigInt(chain.pruned_seq), chain.pruned_mac);
    });
  }

  /**
   * Seals the events `rows` of (`after`, `last`]; the numbers between them that no event holds are holes.
   * Their own MACs are not checked here: `audit:verify` checks every event's, sealed or not, so a row
   * written by SQL is named whether or not a seal covers it, and the sealer reads only seq, MAC and time.
   */
  private async seal(manager: EntityManager, after: bigint, last: bigint, rows: SealedRow[], previousMac: Buffer | null): Promise<Buffer> {
    const present = new Set(rows.map((row) => BigInt(row.seq)));
    const holes: bigint[] = [];
    for (let seq = after + 1n; seq <= last; seq++) if (!present.has(seq)) holes.push(seq);
    const mac = new SealMac(this.keys.activeKey, previousMac, after + 1n, last, holes);
    const fingerprints = Buffer.alloc(rows.length * FINGERPRINT_BYTES);
    let lastOccurredAt: Date | null = null;
    rows.forEach((row, index) => {
      mac.add(BigInt(row.seq), row.mac);
      row.mac.copy(fingerprints, index * FINGERPRINT_BYTES, 0, FINGERPRINT_BYTES);
      if (lastOccurredAt === null || row.occurred_at > lastOccurredAt) lastOccurredAt = row.occurred_at;
    });
    const digest = mac.digest();
    await manager.query(
      `INSERT INTO audit_seals (first_seq, last_seq, holes, fingerprints, last_occurred_at, key_id, mac) VALUES ($1, $2, $3::bigint[], $4, $5, $6, $7)`,
      [(after + 1n).toString(), last.toString(), holes.map(String), fingerprints, lastOccurredAt, this.keys.activeId, digest],
    );
    return digest;
  }

  private async prune(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.retentionMs);
    let pruned = 0;
    while (pruned < MAX_SEALS_PRUNED_PER_PASS) {
      const done = await this.dataSource.transaction(async (manager) => {
        const chain = await this.lockChain(manager);
        const [seal] = await manager.query(
          `SELECT last_seq::text AS last_seq, mac FROM audit_seals
            WHERE first_seq = $1 AND (last_occurred_at IS NULL OR last_occurred_at < $2)`,
          [(BigInt(chain.pruned_seq) + 1n).toString(), cutoff],
        );
        if (!seal) return true;
        await manager.query(`DELETE FROM audit_events WHERE seq > $1 AND seq <= $2`, [chain.pruned_seq, seal.last_seq]);
        await manager.query(`DELETE FROM audit_seals WHERE first_seq = $1`, [(BigInt(chain.pruned_seq) + 1n).toString()]);
        await this.writeChain(manager, BigInt(chain.head_seq), chain.head_mac, BigInt(seal.last_seq), seal.mac);
        return false;
      });
      if (done) break;
      pruned++;
    }
    return pruned;
  }

  private async lockChain(manager: EntityManager): Promise<ChainRow> {
    const [chain] = await manager.query(`SELECT head_seq::text AS head_seq, head_mac, pruned_seq::text AS pruned_seq, pruned_mac FROM audit_chain WHERE id = 1 FOR UPDATE`);
    return chain;
  }

  private async writeChain(manager: EntityManager, headSeq: bigint, headMac: Buffer | null, prunedSeq: bigint, prunedMac: Buffer | null): Promise<void> {
    await manager.query(`UPDATE audit_chain SET head_seq = $1, head_mac = $2, pruned_seq = $3, pruned_mac = $4, key_id = $5, mac = $6 WHERE id = 1`, [
      headSeq.toString(),
      headMac,
      prunedSeq.toString(),
      prunedMac,
      this.keys.activeId,
      chainStateMac(this.keys.activeKey, headSeq, headMac, prunedSeq, prunedMac),
    ]);
  }
}
