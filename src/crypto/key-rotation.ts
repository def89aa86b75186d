import type { DataSource } from 'typeorm';
import { type CredentialSealer, SEAL_PURPOSE } from './credential-sealer';

/** A row of a sealed table as the rotation reads it: its id, its wrapped data key and that key's id, and what binds it. */
export interface SealedRow {
  id: string;
  wrapped_data_key: Buffer;
  key_id: string;
  [bindingColumn: string]: unknown;
}

/**
 * A table whose rows keep a data key wrapped under a master key: the rotation re-wraps each of them
 * under the active key. Another sealed table (OAuth app client secrets, webhook secrets) is one more
 * entry in SEALED_TABLES, with the columns its binding needs and its `rewrap`.
 */
export interface SealedTable {
  /** The table; its primary key is a uuid `id`, with `wrapped_data_key` (bytea) and `key_id` (text) beside it. */
  table: string;
  /** Columns read besides those three: what the row's seal is bound to. */
  bindingColumns: string[];
  /** The row's data key wrapped under the active master key; throws when it does not open. */
  rewrap(sealer: CredentialSealer, row: SealedRow): Buffer;
}

export const SEALED_TABLES: SealedTable[] = [
  {
    table: 'connections',
    bindingColumns: ['customer_id'],
    rewrap: (sealer, row) =>
      sealer.rewrap({ wrappedDataKey: row.wrapped_data_key, keyId: row.key_id }, { connectionId: row.id, customerId: row.customer_id as string }).wrappedDataKey,
  },
  {
    table: 'oauth_apps',
    bindingColumns: ['customer_id'],
    rewrap: (sealer, row) =>
      sealer.rewrap(
        { wrappedDataKey: row.wrapped_data_key, keyId: row.key_id },
        { connectionId: row.id, customerId: row.customer_id as string, purpose: SEAL_PURPOSE.oauthAppSecret },
      ).wrappedDataKey,
  },
  {
    table: 'webhooks',
    bindingColumns: ['customer_id'],
    rewrap: (sealer, row) =>
      sealer.rewrap(
        { wrappedDataKey: row.wrapped_data_key, keyId: row.key_id },
        { connectionId: row.id, customerId: row.customer_id as string, purpose: SEAL_PURPOSE.webhookSecret },
      ).wrappedDataKey,
  },
];

export interface TableRotation {
  table: string;
  /** Rows under another key when the rotation of the table started. */
  total: number;
  /** Rows read so far, re-wrapped or not. */
  done: number;
  /** Data keys now wrapped under the active master key. */
  rewrapped: number;
  /** Rows whose data key did not open (altered, or its master key is not configured). */
  failed: string[];
  /** Set on the last call for the table, once no row is left after the cursor. */
  finished: boolean;
}

export interface RotationReport {
  /** Data keys now wrapped under the active master key, in every table. */
  rewrapped: number;
  /** Ids of the rows whose data key did not open. */
  failed: string[];
  /**
   * Rows still under another key when the rotation had gone through every table, counted again at the
   * end: those that failed, and any written meanwhile behind the cursor (by a replica still sealing
   * under the old key). Anything but 0 means the old keys cannot be dropped yet.
   */
  remaining: number;
  tables: TableRotation[];
}

const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Re-wraps every data key that is not under the active master key, table by table, `batchSize` rows
 * at a time in id order, each batch one short UPDATE, so the service keeps serving meanwhile. The
 * sealed values themselves are untouched. A row changed meanwhile (re-sealed by a PATCH) is left as
 * that change wrote it. `onProgress` is called when a table starts, after each batch, and when the
 * table is done (`finished`).
 */
export async function rotateDataKeys(
  dataSource: DataSource,
  sealer: CredentialSealer,
  {
    batchSize = 500,
    tables = SEALED_TABLES,
    onProgress,
  }: { batchSize?: number; tables?: SealedTable[]; onProgress?: (progress: TableRotation) => void | Promise<void> } = {},
): Promise<RotationReport> {
  const rotations: TableRotation[] = [];
  for (const sealed of tables) rotations.push(await rotateTable(dataSource, sealer, sealed, batchSize, onProgress));
  let remaining = 0;
  for (const sealed of tables) remaining += await countUnderOtherKeys(dataSource, sealed, sealer.activeKeyId);
  return {
    rewrapped: rotations.reduce((sum, rotation) => sum + rotation.rewrapped, 0),
    failed: rotations.flatMap((rotation) => rotation.failed),
    remaining,
    tables: rotations,
  };
}

async function countUnderOtherKeys(dataSource: DataSource, { table }: SealedTable, activeKeyId: string): Promise<number> {
  const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM ${table} WHERE key_id <> $1`, [activeKeyId]);
  return count;
}

async function rotateTable(
  dataSource: DataSource,
  sealer: CredentialSealer,
  sealed: SealedTable,
  batchSize: number,
  onProgress: ((progress: TableRotation) => void | Promise<void>) | undefined,
): Promise<TableRotation> {
  const { table } = sealed;
  const progress: TableRotation = { table, total: await countUnderOtherKeys(dataSource, sealed, sealer.activeKeyId), done: 0, rewrapped: 0, failed: [], finished: false };
  await onProgress?.(progress);
  const columns = ['id', 'wrapped_data_key', 'key_id', ...sealed.bindingColumns].join(', ');
  let after = FIRST_ID;
  for (;;) {
    const rows: SealedRow[] = await dataSource.query(`SELECT ${columns} FROM ${table} WHERE key_id <> $1 AND id > $2 ORDER BY id LIMIT $3`, [
      sealer.activeKeyId,
      after,
      batchSize,
    ]);
    if (rows.length === 0) {
      progress.finished = true;
      await onProgress?.(progress);
      return progress;
    }
    after = rows[rows.length - 1].id;

    const ids: string[] = [];
    const wrapped: Buffer[] = [];
    const previous: Buffer[] = [];
    for (const row of rows) {
      try {
        wrapped.push(sealed.rewrap(sealer, row));
        ids.push(row.id);
        previous.push(row.wrapped_data_key);
      } catch {
        progress.failed.push(row.id);
      }
    }
    if (ids.length > 0) {
      const [, updated] = await dataSource.query(
        `UPDATE ${table} AS t SET wrapped_data_key = u.wrapped, key_id = $4
           FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS u(id, wrapped, previous)
          WHERE t.id = u.id AND t.wrapped_data_key = u.previous`,
        [ids, wrapped, previous, sealer.activeKeyId],
      );
      progress.rewrapped += Number(updated);
    }
    // Rows may have come under another key since the count: never report more done than total.
    progress.done += rows.length;
    progress.total = Math.max(progress.total, progress.done);
    await onProgress?.(progress);
  }
}
