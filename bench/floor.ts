import { createServer } from 'node:http';
import { FloorFetch } from './floor-fetch';

/**
 * The floor: the runtime fetch with the least work Node and PostgreSQL allow (`FloorFetch`), behind a
 * bare node:http handler. No framework, no validation beyond what the query needs, no logging. Not
 * part of the service. Env: DATABASE_URL, PORT, ENCRYPTION_KEY (base64), ENCRYPTION_KEY_ID; FLOOR_AUDIT=1
 * inserts each fetch's audit event in the same statement (the audited floor).
 */
const floor = new FloorFetch(process.env);

const server = createServer(async (request, response) => {
  const url = new URL(request.url!, 'http://floor');
  if (url.pathname === '/health/live') {
    response.writeHead(200).end();
    return;
  }
  const instanceId = url.pathname.split('/')[4];
  const key = (request.headers.authorization ?? '').slice('Bearer '.length);
  try {
    const rows = await floor.find(instanceId, key, url.searchParams.get('provider'));
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
    const credentials = floor.open(row);
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ credentials, capabilities: row.capabilities }));
  } catch {
    response.writeHead(500).end();
  }
});
void floor.connect().then(() => server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready')));
process.on('SIGTERM', () => server.close(() => floor.end().then(() => process.exit(0))));
