import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { generateSecretKey, hashSecretKey, PROXY_KEY_PREFIX } from '../src/auth/secret-keys';
import type { CredentialSealer } from '../src/crypto/credential-sealer';

/** An instance the load generator can act as: its proxy key and the providers granted to it. */
export interface SeededInstance {
  id: string;
  proxyKey: string;
  providers: string[];
}

export interface SeedShape {
  customers: number;
  connectionsPerCustomer: number;
  instancesPerCustomer: number;
  grantsPerInstance: number;
}

const PROVIDERS = 50;
const BATCH_ROWS = 2_000;

/**
 * Seeds straight through the database, in batches of multi-row INSERTs from arrays, with credentials
 * sealed by the service's own CredentialSealer. Each customer has `connectionsPerCustomer`
 * connections over 50 providers; instance j of a customer is granted `grantsPerInstance` connections
 * of distinct providers, each with the capabilities read and write.
 */
export async function seedCustomers(pool: Pool, sealer: CredentialSealer, shape: SeedShape, label: string): Promise<{ customerIds: string[]; instances: SeededInstance[] }> {
  const customerIds: string[] = [];
  const instances: SeededInstance[] = [];
  const batch = new SeedBatch();
  const client = await pool.connect();
  try {
    await client.query('SET synchronous_commit = off');
    for (let c = 0; c < shape.customers; c++) {
      const customerId = randomUUID();
      customerIds.push(customerId);
      batch.customers.push([customerId, `${label} customer ${c}`]);
      const connectionIds: string[] = [];
      for (let k = 0; k < shape.connectionsPerCustomer; k++) {
        connectionIds.push(batch.connections.add(sealer, customerId, `p${k % PROVIDERS}`, `n${k}`));
        if (batch.connections.size >= BATCH_ROWS) await batch.insert(client);
      }
      for (let j = 0; j < shape.instancesPerCustomer; j++) {
        const proxyKey = generateSecretKey(PROXY_KEY_PREFIX);
        const instanceId = randomUUID();
        batch.instances.push([instanceId, customerId, `agent ${j}`, hashSecretKey(proxyKey)]);
        const providers: string[] = [];
        for (let g = 0; g < shape.grantsPerInstance; g++) {
          const k = (j * shape.grantsPerInstance + g) % Math.min(PROVIDERS, shape.connectionsPerCustomer);
          batch.grants.push([connectionIds[k], instanceId]);
          providers.push(`p${k}`);
        }
        instances.push({ id: instanceId, proxyKey, providers });
      }
      if (batch.customers.length >= BATCH_ROWS || batch.grants.length >= BATCH_ROWS) await batch.insert(client);
    }
    await batch.insert(client);
  } finally {
    client.release();
  }
  return { customerIds, instances };
}

/** Rows waiting to be written, inserted parents first so every foreign key holds. */
class SeedBatch {
  customers: [string, string][] = [];
  connections = new ConnectionRows();
  instances: [string, string, string, Buffer][] = [];
  grants: [string, string][] = [];

  async insert(client: { query: Pool['query'] }): Promise<void> {
    const column = <T>(rows: T[][], index: number) => rows.map((row) => row[index]);
    if (this.customers.length > 0) {
      await client.query('INSERT INTO customers (id, name) SELECT * FROM unnest($1::uuid[], $2::varchar[])', [column(this.customers, 0), column(this.customers, 1)]);
    }
    if (this.connections.size > 0) await this.connections.insert(client);
    if (this.instances.length > 0) {
      await client.query(
        'INSERT INTO instances (id, customer_id, name, proxy_key_hash) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::bytea[])',
        [0, 1, 2, 3].map((index) => column(this.instances as unknown[][], index)),
      );
    }
    if (this.grants.length > 0) {
      await client.query(
        `INSERT INTO grants (connection_id, instance_id, capabilities) SELECT c, i, '["read","write"]'::jsonb FROM unnest($1::uuid[], $2::uuid[]) AS u(c, i)`,
        [column(this.grants, 0), column(this.grants, 1)],
      );
    }
    this.customers = [];
    this.instances = [];
    this.grants = [];
  }
}

class ConnectionRows {
  private columns = ConnectionRows.empty();

  get size(): number {
    return this.columns.id.length;
  }

  add(sealer: CredentialSealer, customerId: string, provider: string, name: string): string {
    const id = randomUUID();
    const sealed = sealer.seal({ access_token: `bench-token-${id}`, refresh_token: `bench-refresh-${id}`, expires_in: 3600 }, { connectionId: id, customerId });
    const columns = this.columns;
    columns.id.push(id);
    columns.customer.push(customerId);
    columns.provider.push(provider);
    columns.name.push(name);
    columns.ciphertext.push(sealed.ciphertext);
    columns.nonce.push(sealed.nonce);
    columns.wrapped.push(sealed.wrappedDataKey);
    columns.keyId.push(sealed.keyId);
    return id;
  }

  async insert(client: { query: Pool['query'] }): Promise<void> {
    const c = this.columns;
    await client.query(
      `INSERT INTO connections (id, customer_id, provider, name, auth_type, scopes, credentials_ciphertext, credentials_nonce, wrapped_data_key, key_id)
       SELECT id, customer_id, provider, name, 'oauth2', '[]'::jsonb, ct, nonce, wrapped, key_id
         FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::bytea[], $6::bytea[], $7::bytea[], $8::varchar[])
           AS u(id, customer_id, provider, name, ct, nonce, wrapped, key_id)`,
      [c.id, c.customer, c.provider, c.name, c.ciphertext, c.nonce, c.wrapped, c.keyId],
    );
    this.columns = ConnectionRows.empty();
  }

  private static empty() {
    return { id: [] as string[], customer: [] as string[], provider: [] as string[], name: [] as string[], ciphertext: [] as Buffer[], nonce: [] as Buffer[], wrapped: [] as Buffer[], keyId: [] as string[] };
  }
}
