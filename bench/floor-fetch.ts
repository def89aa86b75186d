import { randomBytes, randomUUID } from 'node:crypto';
import { hashSecretKey } from '../src/auth/secret-keys';
import { CredentialSealer, KeyRing } from '../src/crypto/credential-sealer';
import { clientWithOwnSocket, type HeldClient, TurnWrites } from '../src/database/pipelined-statements';

/** A granted connection as the floor's statement returns it. */
export interface FloorRow {
  id: string;
  customer_id: string;
  credentials_ciphertext: Buffer;
  credentials_nonce: Buffer;
  wrapped_data_key: Buffer;
  key_id: string;
  capabilities: string[];
}

const FETCH = {
  name: 'floor_fetch',
  text: `SELECT c.id, c.customer_id, c.credentials_ciphertext, c.credentials_nonce, c.wrapped_data_key, c.key_id, g.capabilities
           FROM instances i
           JOIN grants g ON g.instance_id = i.id AND g.provider = $3
           JOIN connections c ON c.id = g.connection_id AND c.customer_id = i.customer_id
          WHERE i.id = $1 AND i.proxy_key_hash = $2
          LIMIT 2`,
};

/**
 * The same lookup with its audit event inserted in the same statement, hence the same round trip and
 * the same commit: the limit for a strict audit (each fetch's event committed before it answers).
 * The outcome is decided in SQL as the floor decides it (one found: 200, none: 404, more: 409); the
 * event's MAC is the caller's 16 bytes, as the service's is computed in Node. The events go to a table
 * of their own, made like `audit_events` (same columns, identity and indexes): in `audit_events` the
 * service's sealer, idle beside the floor, would chain them, on the floor's time and then on its own.
 */
const AUDITED_FETCH = {
  name: 'floor_fetch_audited',
  text: `WITH found AS (${FETCH.text}),
         audited AS (
           INSERT INTO floor_audit_events (id, customer_id, occurred_at, action, outcome, status, actor_kind, actor_id,
                                     connection_id, instance_id, provider, request_id, key_id, mac)
           SELECT gen_random_uuid(), i.customer_id, clock_timestamp(), 'credentials.read',
                  CASE WHEN n.found = 1 THEN 'success' ELSE 'denied' END,
                  CASE n.found WHEN 1 THEN 200 WHEN 0 THEN 404 ELSE 409 END,
                  'instance', i.id::text, CASE WHEN n.found = 1 THEN (SELECT id FROM found) END, i.id, $3, $4, 'floor', $5
             FROM instances i, (SELECT count(*) AS found FROM found) n
            WHERE i.id = $1 AND i.proxy_key_hash = $2)
         SELECT * FROM found`,
};

/**
 * The fetch with the least work Node and PostgreSQL allow, for the floor (`floor.ts`) and for the
 * adapters' comparison (`adapters.ts`): one named statement joining key hash ⋈ grant ⋈ connection,
 * pipelined and sent a turn's queries at a time, as the service's lookups are (`PipelinedStatements`,
 * `TurnWrites`), then one unwrap and one AES-256-GCM open. Each floor on the connections that make it
 * fastest (measured in alternating runs on the 2-vCPU host): the plain one on one, like the service
 * (12% faster than on two: one write and one wake-up per turn); the audited one on two (22% faster than
 * on one, whose commits would each wait for the one before).
 * Env: DATABASE_URL, ENCRYPTION_KEY (base64), ENCRYPTION_KEY_ID, FLOOR_AUDIT=1 for the audited floor.
 */
export class FloorFetch {
  private readonly clients: HeldClient[];
  private readonly writes = new TurnWrites();
  private readonly sealer: CredentialSealer;
  private next = 0;

  /** FLOOR_AUDIT=1: each fetch also inserts its audit event, in the same statement (`AUDITED_FETCH`). */
  private readonly audited: boolean;

  constructor(env: NodeJS.ProcessEnv) {
    this.audited = env.FLOOR_AUDIT === '1';
    this.clients = Array.from({ length: this.audited ? 2 : 1 }, () => clientWithOwnSocket({ connectionString: env.DATABASE_URL, pipeline: true }));
    this.sealer = new CredentialSealer(new KeyRing({ id: env.ENCRYPTION_KEY_ID!, key: Buffer.from(env.ENCRYPTION_KEY!, 'base64') }, []));
  }

  async connect(): Promise<void> {
    await Promise.all(this.clients.map(({ client }) => client.connect()));
    if (this.audited) await this.clients[0].client.query('CREATE TABLE IF NOT EXISTS floor_audit_events (LIKE audit_events INCLUDING ALL)');
  }

  async end(): Promise<void> {
    await Promise.all(this.clients.map(({ client }) => client.end()));
  }

  /** The instance's granted connections of the provider (at most two), when the key is the instance's. */
  async find(instanceId: string, proxyKey: string, provider: string | null): Promise<FloorRow[]> {
    const { client, socket } = this.clients[this.next++ % this.clients.length];
    this.writes.hold(socket);
    const values = [instanceId, hashSecretKey(proxyKey), provider];
    const statement = this.audited ? { ...AUDITED_FETCH, values: [...values, randomUUID(), randomBytes(16)] } : { ...FETCH, values };
    return (await client.query<FloorRow>(statement)).rows;
  }

  open(row: FloorRow): Record<string, unknown> {
    return this.sealer.open(
      { ciphertext: row.credentials_ciphertext, nonce: row.credentials_nonce, wrappedDataKey: row.wrapped_data_key, keyId: row.key_id },
      { connectionId: row.id, customerId: row.customer_id },
    );
  }
}
