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
 * The fetch with the least work Node and PostgreSQL allow, for the floor (`floor.ts`) and for the
 * adapters' comparison (`adapters.ts`): one named statement joining key hash ⋈ grant ⋈ connection,
 * pipelined over two connections and sent a turn's queries at a time, as the service's lookups are
 * (`PipelinedStatements`, `TurnWrites`), then one unwrap and one AES-256-GCM open.
 * Env: DATABASE_URL, ENCRYPTION_KEY (base64), ENCRYPTION_KEY_ID.
 */
export class FloorFetch {
  private readonly clients: HeldClient[];
  private readonly writes = new TurnWrites();
  private readonly sealer: CredentialSealer;
  private next = 0;

  constructor(env: NodeJS.ProcessEnv) {
    this.clients = [0, 1].map(() => clientWithOwnSocket({ connectionString: env.DATABASE_URL, pipeline: true }));
    this.sealer = new CredentialSealer(new KeyRing({ id: env.ENCRYPTION_KEY_ID!, key: Buffer.from(env.ENCRYPTION_KEY!, 'base64') }, []));
  }

  async connect(): Promise<void> {
    await Promise.all(this.clients.map(({ client }) => client.connect()));
  }

  async end(): Promise<void> {
    await Promise.all(this.clients.map(({ client }) => client.end()));
  }

  /** The instance's granted connections of the provider (at most two), when the key is the instance's. */
  async find(instanceId: string, proxyKey: string, provider: string | null): Promise<FloorRow[]> {
    const { client, socket } = this.clients[this.next++ % this.clients.length];
    this.writes.hold(socket);
    return (await client.query<FloorRow>({ ...FETCH, values: [instanceId, hashSecretKey(proxyKey), provider] })).rows;
  }

  open(row: FloorRow): Record<string, unknown> {
    return this.sealer.open(
      { ciphertext: row.credentials_ciphertext, nonce: row.credentials_nonce, wrappedDataKey: row.wrapped_data_key, keyId: row.key_id },
      { connectionId: row.id, customerId: row.customer_id },
    );
  }
}
