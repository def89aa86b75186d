import type { DataSource } from 'typeorm';
import type { CredentialSealer, SealBinding } from './credential-sealer';

export interface RotationReport {
  /** Data keys now wrapped under the active master key. */
  rewrapped: number;
  /** Rows (connections, webhooks) whose data key did not open (altered, or its master key is not configured). */
  failed: string[];
}

/** A table whose rows hold a sealed value: `id`, `customer_id`, `wrapped_data_key`, `key_id`, and the row's binding. */
interface SealedTable {
  table: 'connections' | 'webhooks';
  binding(row: SealedKeyRow): SealBinding;
}

/** Every table holding sealed values; `keys:rotate` re-wraps each in turn. */
const SEALED_TABLES: SealedTable[] = [
  { table: 'connections', binding: (row) => ({ connectionId: row.id, customerId: row.customer_id }) },
  // The purpose webhook secrets are sealed for (WEBHOOK_SECRET_PURPOSE in src/webhooks/webhook-secrets.ts).
  { table: 'webhooks', binding: (row) => ({ connectionId: row.id, customerId: row.customer_id, purpose: 'webhook_secret' }) },
];

interface SealedKeyRow {
  id: string;
  customer_id: string;
  wrapped_data_key: Buffer;
  key_id: string;
}

const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Re-wraps every data key that is not under the active master key, table by table, `batchSize` rows at
 * a time, each batch one short UPDATE, so the service keeps serving meanwhile. The sealed values'
 * ciphertext is untouched. A row changed meanwhile (re-sealed by a PATCH) is left as that change wrote it.
 */
export async function rotateDataKeys(
  dataSource: DataSource,
  sealer: CredentialSealer,
  { batchSize = 500, onBatch }: { batchSize?: number; onBatch?: (report: RotationReport) => void } = {},
): Promise<RotationReport> {
  const report: RotationReport = { rewrapped: 0, failed: [] };
  for (const table of SEALED_TABLES) await rotateTable(dataSource, sealer, table, report, batchSize, onBatch);
  return report;
}

async function rotateTable(
  dataSource: DataSource,
  sealer: CredentialSealer,
  { table, binding }: SealedTable,
  report: RotationReport,
  batchSize: number,
  onBatch: ((report: RotationReport) => void) | undefined,
): Promise<void> {
  let after = FIRST_ID;
  for (;;) {
    const rows: SealedKeyRow[] = await dataSource.query(
      `SELECT id, customer_id, wrapped_data_key, key_id FROM ${table}
        WHERE key_id <> $1 AND id > $2 ORDER BY id LIMIT $3`,
      [sealer.activeKeyId, after, batchSize],
    );
    if (rows.length === 0) return;
    after = rows[rows.length - 1].id;

    const ids: string[] = [];
    const wrapped: Buffer[] = [];
    const previous: Buffer[] = [];
    for (const row of rows) {
      try {
        const rewrapped = sealer.rewrap({ wrappedDataKey: row.wrapped_data_key, keyId: row.key_id }, binding(row));
        ids.push(row.id);
        wrapped.push(rewrapped.wrappedDataKey);
        previous.push(row.wrapped_data_key);
      } catch {
        report.failed.push(row.id);
      }
    }
    if (ids.length > 0) {
      const [, updated] = await dataSource.query(
        `UPDATE ${table} AS c SET wrapped_data_key = u.wrapped, key_id = $4
           FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS u(id, wrapped, previous)
          WHERE c.id = u.id AND c.wrapped_data_key = u.previous`,
        [ids, wrapped, previous, sealer.activeKeyId],
      );
      report.rewrapped += Number(updated);
    }
    onBatch?.(report);
  }
}
