import { createServer } from 'node:http';
import { Client } from 'pg';
import { hashSecretKey } from '../src/auth/secret-keys';
import { CredentialSealer, KeyRing } from '../src/crypto/credential-sealer';
import { TurnWrites } from '../src/database/pipelined-statements';

/**
 * The floor: the runtime fetch with the least work Node and PostgreSQL allow — a bare node:http
 * handler, one named query joining key hash ⋈ grant ⋈ connection, pipelined over two connections and
 * sent a turn's queries at a time, as the service's lookups are (`PipelinedStatements`, `TurnWrites`), one unwrap and one AES-256-GCM open. No
 * framework, no validation beyond what the query needs, no logging. Not part of the service.
 * Env: DATABASE_URL, PORT, ENCRYPTION_KEY (base64), ENCRYPTION_KEY_ID.
 */
const FETCH = {
  name: 'floor_fetch',
  text: `SELECT c.id, c.customer_id, c.credentials_ciphertext, c.credentials_nonce, c.wrapped_data_key, c.key_id, g.capabilities
           FROM instances i
           JOIN grants g ON g.instance_id = i.id AND g.provider = $3
           JOIN connections c ON c.id = g.connection_id AND c.customer_id = i.customer_id
          WHERE i.id = $1 AND i.proxy_key_hash = $2
          LIMIT 2`,
};

const env = process.env;
const clients = [0, 1].map(() => new Client({ connectionString: env.DATABASE_URL, pipeline: true }));
const writes = new TurnWrites();
let next = 0;
const sealer = new CredentialSealer(new KeyRing({ id: env.ENCRYPTION_KEY_ID!, key: Buffer.from(env.ENCRYPTION_KEY!, 'base64') }, []));

const server = createServer(async (request, response) => {
  const url = new URL(request.url!, 'http://floor');
  if (url.pathname === '/health/live') {
    response.writeHead(200).end();
    return;
  }
  const instanceId = url.pathname.split('/')[4];
  const key = (request.headers.authorization ?? '').slice('Bearer '.length);
  try {
    const client = clients[next++ % clients.length];
    writes.hold(client);
    const { rows } = await client.query({ ...FETCH, values: [instanceId, hashSecretKey(key), url.searchParams.get('provider')] });
    if (rows.length !== 1) {
      response.writeHead(rows.length === 0 ? 404 : 409).end();
      return;
    }
    const row = rows[0];
    const capability = url.searchParams.get('capability');
    if (capability !== null && !row.capabilities.includes(capability)) {
      response.writeHead(403).end();
      return;
    }
    const credentials = sealer.open(
      { ciphertext: row.credentials_ciphertext, nonce: row.credentials_nonce, wrappedDataKey: row.wrapped_data_key, keyId: row.key_id },
      { connectionId: row.id, customerId: row.customer_id },
    );
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ credentials, capabilities: row.capabilities }));
  } catch {
    response.writeHead(500).end();
  }
});
void Promise.all(clients.map((client) => client.connect())).then(() => server.listen(Number(env.PORT), '127.0.0.1', () => process.send?.('ready')));
process.on('SIGTERM', () => server.close(() => Promise.all(clients.map((client) => client.end())).then(() => process.exit(0))));
