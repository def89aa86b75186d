import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AuditKeys } from '../../src/audit/audit-mac';
import { AuditSealer } from '../../src/audit/audit-sealer';
import { insertOf } from '../../src/audit/audit-trail';
import { verifyAuditTrail, type VerifyResult } from '../../src/audit/audit-verifier';
import { createConnection, createCustomer, createInstance, grantConnection, type TestCustomer, type TestInstance } from '../support/factories';
import { runCompiledCli, ServiceProcess } from '../support/service-process';
import { TEST_ENCRYPTION_KEY, TEST_ENCRYPTION_KEY_ID, TestApp } from '../support/test-app';

const KEYS = new AuditKeys({ id: TEST_ENCRYPTION_KEY_ID, key: Buffer.from(TEST_ENCRYPTION_KEY, 'base64') }, []);
const EVENT_FIELDS = 'id, customer_id, occurred_at, action, outcome, status, actor_kind, actor_id, connection_id, instance_id, grant_id, provider, capability, request_id, key_id, mac';

async function verifyAt(url: string): Promise<VerifyResult> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await verifyAuditTrail(client, KEYS);
  } finally {
    await client.end();
  }
}

describe('Audit trail integrity (audit:verify)', () => {
  let t: TestApp;
  let url: string;
  let customer: TestCustomer;
  let instance: TestInstance;

  beforeAll(async () => {
    t = await TestApp.start();
    url = (t.db.options as { url: string }).url;
    customer = await createCustomer(t);
    instance = await createInstance(t, customer);
    await grantConnection(t, customer, await createConnection(t, customer, { provider: 'gmail' }), instance);
  });
  afterAll(() => t.close());

  const sealer = () => t.app.get(AuditSealer);
  const fetchSome = async (count: number) => {
    for (let i = 0; i < count; i++) await t.http().get(`/internal/v1/instances/${instance.id}/connections?provider=gmail`).set(instance.headers).expect(200);
  };

  const verify = () => verifyAt(url);

  /** The sealed events in chain order: seq and id. */
  async function sealedEvents(): Promise<{ seq: string; id: string }[]> {
    return t.db.query(`SELECT seq::text AS seq, id FROM audit_events WHERE seq <= (SELECT head_seq FROM audit_chain) ORDER BY seq`);
  }

  /** Runs `tamper`, checks what verify says, then puts the trail back as it was. */
  async function whenTampered(tamper: () => Promise<unknown>): Promise<VerifyResult> {
    await t.db.query('CREATE TABLE audit_backup AS SELECT * FROM audit_events');
    try {
      await tamper();
      return await verify();
    } finally {
      await t.db.query(`DELETE FROM audit_events`);
      await t.db.query(`INSERT INTO audit_events OVERRIDING SYSTEM VALUE SELECT * FROM audit_backup`);
      await t.db.query('DROP TABLE audit_backup');
    }
  }

  describe('with sealed events', () => {
    let events: { seq: string; id: string }[];
    beforeAll(async () => {
      await fetchSome(10);
      await sealer().sealNow();
      await fetchSome(10);
      await sealer().sealNow();
      events = await sealedEvents();
      expect(events.length).toBeGreaterThanOrEqual(25);
    });

    it('passes an untouched trail', async () => {
      expect(await verify()).toMatchObject({ ok: true, sealedEvents: events.length, unsealedEvents: 0 });
    });

    it('names an edited event', async () => {
      const target = events[12];
      const result = await whenTampered(() => t.db.query(`UPDATE audit_events SET outcome = 'denied', status = 404 WHERE seq = $1`, [target.seq]));
      expect(result).toMatchObject({ ok: false, eventId: target.id, seq: target.seq, problem: expect.stringContaining('edited') });
    });

    it('names a deleted event by its seq', async () => {
      const target = events[7];
      const result = await whenTampered(() => t.db.query(`DELETE FROM audit_events WHERE seq = $1`, [target.seq]));
      expect(result).toMatchObject({ ok: false, seq: target.seq, problem: expect.stringContaining('deleted') });
      expect((result as { problem: string }).problem).toContain(events[8].id);
    });

    it('names an inserted event, made up or copied from a genuine one', async () => {
      const madeUp = await whenTampered(() =>
        t.db.query(
          `INSERT INTO audit_events (${EVENT_FIELDS}) SELECT gen_random_uuid(), customer_id, occurred_at, action, outcome, status, actor_kind, actor_id, connection_id, instance_id, grant_id, provider, capability, request_id, key_id, mac FROM audit_events WHERE seq = $1`,
          [events[3].seq],
        ),
      );
      expect(madeUp).toMatchObject({ ok: false, problem: expect.stringContaining('written by SQL') });
      // A replayed copy of a genuine row, slipped into the sealed range (a hole made by a rolled-back write).
      const replayed = await whenTampered(async () => {
        await t.db.query(`DELETE FROM audit_events WHERE seq = $1`, [events[5].seq]);
        await t.db.query(`INSERT INTO audit_events (seq, ${EVENT_FIELDS}) OVERRIDING SYSTEM VALUE SELECT $2, ${EVENT_FIELDS} FROM audit_backup WHERE seq = $1`, [events[4].seq, events[5].seq]);
      });
      expect(replayed).toMatchObject({ ok: false, seq: events[5].seq, eventId: events[4].id });
    });

    it('names the first of two swapped events', async () => {
      const [a, b] = [events[9], events[10]];
      const swap = `UPDATE audit_events x SET ${EVENT_FIELDS.split(', ').map((column) => `${column} = y.${column}`).join(', ')}
                      FROM audit_backup y WHERE (x.seq, y.seq) IN (($1::bigint, $2::bigint), ($2::bigint, $1::bigint))`;
      const result = await whenTampered(() => t.db.query(swap, [a.seq, b.seq]));
      expect(result).toMatchObject({ ok: false, seq: a.seq, eventId: b.id, problem: expect.stringContaining('reordered') });
    });

    it('sees the newest seals cut away with their events', async () => {
      const [last] = await t.db.query(`SELECT first_seq::text AS first_seq FROM audit_seals ORDER BY first_seq DESC LIMIT 1`);
      await t.db.query('CREATE TABLE audit_seals_backup AS SELECT * FROM audit_seals');
      try {
        const result = await whenTampered(async () => {
          await t.db.query(`DELETE FROM audit_seals WHERE first_seq = $1`, [last.first_seq]);
          await t.db.query(`DELETE FROM audit_events WHERE seq >= $1`, [last.first_seq]);
        });
        expect(result).toMatchObject({ ok: false, problem: expect.stringContaining('cut') });
      } finally {
        await t.db.query('DELETE FROM audit_seals');
        await t.db.query('INSERT INTO audit_seals SELECT * FROM audit_seals_backup');
        await t.db.query('DROP TABLE audit_seals_backup');
      }
      expect(await verify()).toMatchObject({ ok: true });
    });

    it('exits 0 on an intact trail and 1 naming the first bad event on a tampered one (npm run audit:verify)', async () => {
      const env = { DATABASE_URL: url };
      const intact = await runCompiledCli('src/commands/audit/verify-cli.js', env);
      expect({ code: intact.code, stdout: intact.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('audit trail intact') });
      const target = events[2];
      await t.db.query('CREATE TABLE audit_backup AS SELECT * FROM audit_events');
      try {
        await t.db.query(`UPDATE audit_events SET capability = 'tampered' WHERE seq = $1`, [target.seq]);
        const tampered = await runCompiledCli('src/commands/audit/verify-cli.js', env);
        expect({ code: tampered.code, stderr: tampered.stderr, stdout: tampered.stdout }).toEqual({ code: 1, stderr: expect.stringContaining(target.id), stdout: '' });
      } finally {
        await t.db.query(`DELETE FROM audit_events`);
        await t.db.query(`INSERT INTO audit_events OVERRIDING SYSTEM VALUE SELECT * FROM audit_backup`);
        await t.db.query('DROP TABLE audit_backup');
      }
    }, 120_000);
  });

  it('checks events not yet sealed by their own MACs, and seals them', async () => {
    await sealer().sealNow();
    await fetchSome(3);
    const result = await verify();
    expect(result).toMatchObject({ ok: true, unsealedEvents: 3 });
    await sealer().sealNow();
    expect(await verify()).toMatchObject({ ok: true, unsealedEvents: 0 });
  });

  it('writes batches of events as given, field for field and in their order, and they verify', async () => {
    for (const count of [1, 13, 250]) {
      const events = Array.from({ length: count }, (_, i) => {
        const fields = {
          id: randomUUID(), customer_id: customer.id, occurred_at: new Date(Date.UTC(2026, 11, 6, 12, 0, 0, i)), action: 'credentials.read',
          outcome: i % 2 === 0 ? 'success' : 'denied', status: i % 2 === 0 ? 200 : 403, actor_kind: 'instance', actor_id: instance.id,
          connection_id: i % 3 === 0 ? null : instance.id, instance_id: instance.id, grant_id: null, provider: 'gmail',
          capability: i % 5 === 0 ? null : `cap ${i} \u00e9`, request_id: `req-${i}`,
        };
        return { ...fields, key_id: KEYS.activeId, mac: KEYS.eventMac(KEYS.activeKey, fields) };
      });
      const insert = insertOf(events);
      await t.db.query(insert.text, insert.values);
      const stored = await t.db.query(`SELECT ${EVENT_FIELDS} FROM audit_events WHERE id = ANY ($1::uuid[]) ORDER BY seq`, [events.map((event) => event.id)]);
      expect(stored).toEqual(events);
    }
    await sealer().sealNow();
    expect(await verify()).toMatchObject({ ok: true, unsealedEvents: 0 });
  });
});

describe('Audit retention', () => {
  let t: TestApp;
  let url: string;
  let instance: TestInstance;
  beforeAll(async () => {
    t = await TestApp.start();
    url = (t.db.options as { url: string }).url;
    const customer = await createCustomer(t);
    instance = await createInstance(t, customer);
    await grantConnection(t, customer, await createConnection(t, customer, { provider: 'gmail' }), instance);
  });
  afterAll(() => t.close());

  const sealer = () => t.app.get(AuditSealer);
  const fetchSome = async (count: number) => {
    for (let i = 0; i < count; i++) await t.http().get(`/internal/v1/instances/${instance.id}/connections?provider=gmail`).set(instance.headers).expect(200);
  };
  const verify = () => verifyAt(url);

  it('prunes whole seals past retention, oldest first, and what remains still verifies', async () => {
    await sealer().sealNow();
    const [{ count: before }] = await t.db.query('SELECT count(*)::int AS count FROM audit_events');
    const between = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await fetchSome(5);
    await sealer().sealNow();

    // As if a year and a day had passed since `between`: everything sealed before it is past retention.
    const pruned = await sealer().pruneNow(new Date(between.getTime() + 365 * 86_400_000));
    expect(pruned).toBeGreaterThan(0);
    const remaining: { occurred_at: Date }[] = await t.db.query('SELECT occurred_at FROM audit_events');
    expect(remaining).toHaveLength(5);
    expect(remaining.every((row) => row.occurred_at > between)).toBe(true);
    expect(before).toBe(5); // the customer's, its key's, instance's, connection's and grant's
    expect(await verify()).toMatchObject({ ok: true, sealedEvents: 5 });

    await fetchSome(2);
    await sealer().sealNow();
    expect(await verify()).toMatchObject({ ok: true, sealedEvents: 7 });
    // An old event put back under the pruned point is seen.
    const [chain] = await t.db.query('SELECT pruned_seq::text AS pruned_seq FROM audit_chain');
    await t.db.query(`INSERT INTO audit_events (seq, ${EVENT_FIELDS}) OVERRIDING SYSTEM VALUE SELECT $1, ${EVENT_FIELDS} FROM audit_events ORDER BY seq LIMIT 1`, [chain.pruned_seq]);
    expect(await verify()).toMatchObject({ ok: false, seq: chain.pruned_seq, problem: expect.stringContaining('outside every seal') });
  });
});

describe('Audit durability across a crash', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  it('keeps the event of a fetch answered 200 when the process is killed right after', async () => {
    const customer = await createCustomer(t);
    const instance = await createInstance(t, customer);
    await grantConnection(t, customer, await createConnection(t, customer, { provider: 'gmail' }), instance);
    const url = (t.db.options as { url: string }).url;

    const service = await ServiceProcess.start({ DATABASE_URL: url });
    try {
      const response = await fetch(`${service.url}/internal/v1/instances/${instance.id}/connections?provider=gmail`, {
        headers: { Authorization: `Bearer ${instance.proxyKey}`, 'X-Request-Id': 'killed-right-after' },
      });
      expect(response.status).toBe(200);
      await service.kill('SIGKILL');
    } finally {
      await service.kill('SIGKILL');
    }
    const restarted = await ServiceProcess.start({ DATABASE_URL: url });
    try {
      const events = await fetch(`${restarted.url}/v1/customers/${customer.id}/audit-events?action=credentials.read`, { headers: { 'X-Api-Key': customer.apiKey } });
      const body = (await events.json()) as { audit_events: { request_id: string; outcome: string; status: number }[] };
      expect(body.audit_events).toEqual([expect.objectContaining({ request_id: 'killed-right-after', outcome: 'success', status: 200 })]);
    } finally {
      await restarted.kill('SIGTERM');
    }
  }, 120_000);
});
