import { Client } from 'pg';
import { binaryArray, binaryTimestamptz } from '../../src/database/binary-parameters';

/** What PostgreSQL reads from binary parameters (the fetch's lookup, the audit's batch insert), as it would print it. */
describe('Binary parameters', () => {
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: process.env.TEST_DATABASE_SERVER_URL });
    await client.connect();
    await client.query(`SET TIME ZONE 'UTC'`);
  });
  afterAll(() => client.end());

  const read = async (type: string, parameter: Buffer) =>
    (await client.query<{ element: string | null }>(`SELECT x::text AS element FROM unnest($1::${type}[]) WITH ORDINALITY AS u(x, n) ORDER BY n`, [parameter])).rows.map((row) => row.element);

  it('reads uuids as the text they were given, and nulls as NULL', async () => {
    const ids = ['0f8fad5b-d9cb-469f-a165-70867728950e', null, 'ffffffff-ffff-4fff-bfff-ffffffffffff', '00000000-0000-0000-0000-000000000000'];
    expect(await read('uuid', binaryArray('uuid', ids))).toEqual(ids);
  });

  it('reads times to the millisecond, before and after PostgreSQL\u2019s epoch of 2000', async () => {
    const times = [new Date('2026-12-06T23:59:59.123Z'), new Date('1999-12-31T23:59:59.999Z'), new Date('1970-01-01T00:00:00.001Z'), new Date('2000-01-01T00:00:00.000Z')];
    const rows = await client.query<{ t: Date }>(`SELECT t FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(t, n) ORDER BY n`, [binaryArray('timestamptz', times)]);
    expect(rows.rows.map((row) => row.t.toISOString())).toEqual(times.map((time) => time.toISOString()));
  });

  it('reads a single time exactly, as the fetch\u2019s lookup compares it', async () => {
    for (const time of [new Date('2026-12-07T00:41:02.517Z'), new Date('1969-07-20T20:17:40.001Z')]) {
      const { rows } = await client.query<{ t: Date; same: boolean }>(`SELECT $1::timestamptz AS t, $1::timestamptz = $2::timestamptz AS same`, [binaryTimestamptz(time), time.toISOString()]);
      expect(rows[0]).toEqual({ t: time, same: true });
    }
  });

  it('reads strings in UTF-8, small integers with their sign, and bytes as given', async () => {
    expect(await read('varchar', binaryArray('varchar', ['credentials.read', '', 'caf\u00e9 \u{1F511}', null]))).toEqual(['credentials.read', '', 'caf\u00e9 \u{1F511}', null]);
    expect(await read('smallint', binaryArray('int2', [200, 503, -1, null]))).toEqual(['200', '503', '-1', null]);
    expect(await read('bytea', binaryArray('bytea', [Buffer.from([0, 1, 254, 255]), Buffer.alloc(0), null]))).toEqual(['\\x0001feff', '\\x', null]);
  });

  it('writes an empty array, which unnest reads as no rows', async () => {
    expect(await read('uuid', binaryArray('uuid', []))).toEqual([]);
  });

  it('refuses what is not a uuid instead of writing other bytes', () => {
    expect(() => binaryArray('uuid', ['not-a-uuid'])).toThrow(TypeError);
    expect(() => binaryArray('uuid', ['0f8fad5b-d9cb-469f-a165-70867728950g'])).toThrow(TypeError);
    expect(() => binaryArray('uuid', ['0f8fad5bd9cb469fa16570867728950e'])).toThrow(TypeError);
  });
});
