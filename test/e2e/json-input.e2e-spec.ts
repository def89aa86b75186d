import { expectValidationError } from '../support/expectations';
import { createCustomer, createInstance, grantConnection, type TestCustomer, type TestInstance } from '../support/factories';
import { asAdmin, TestApp } from '../support/test-app';

/** `{"a":{"a":...value...}}`, `levels` objects deep. */
function nested(levels: number, value = '1'): string {
  return '{"a":'.repeat(levels) + value + '}'.repeat(levels);
}

/** JSON with its keys sorted at every level: equal texts mean deep-equal values, `__proto__` keys included. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Conventions: any JSON the service accepts is JSON a client could have meant, and free-form objects
 * (`credentials`, `metadata_json`) are kept exactly as sent, or refused with a 422.
 */
describe('JSON bodies', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let instance: TestInstance;
  let sequence = 0;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    instance = await createInstance(t, customer);
  });
  afterAll(() => t.close());

  const connectionsPath = () => `/v1/customers/${customer.id}/connections`;
  /** A connection's create body as JSON text, with `credentials` and `metadata_json` written as given. */
  const createText = (credentials: string, metadata = 'null') =>
    `{"provider":"json-${++sequence}","name":"n","credentials":${credentials},"metadata_json":${metadata}}`;
  const postText = (text: string | Buffer, path = connectionsPath()) =>
    t.http().post(path).set(customer.headers).set('Content-Type', 'application/json').serialize((body: unknown) => body as string).send(text as string);
  const fetchCredentials = async (provider: string) =>
    (await t.http().get(`/internal/v1/instances/${instance.id}/connections`).query({ provider }).set(instance.headers).expect(200)).body.credentials;

  /** Creates, grants and reads back: the credentials by the fetch, `metadata_json` by GET. */
  async function storeAndRead(credentials: string, metadata = 'null'): Promise<{ credentials: unknown; metadata: unknown; id: string; provider: string }> {
    const created = await postText(createText(credentials, metadata));
    expect(created.status).toBe(201);
    const { id, provider } = created.body;
    await grantConnection(t, customer, { id, provider, name: 'n' }, instance);
    const read = await t.http().get(`${connectionsPath()}/${id}`).set(customer.headers).expect(200);
    return { credentials: await fetchCredentials(provider), metadata: read.body.metadata_json, id, provider };
  }

  describe('nesting', () => {
    it('accepts 32 levels, counting the body as the first', async () => {
      // The body, then credentials and the 30 objects within it: 32 levels.
      const { credentials } = await storeAndRead(nested(31, '"deep"'));
      expect(canonical(credentials)).toBe(canonical(JSON.parse(nested(31, '"deep"'))));
    });

    it('refuses a 33rd level with 422 at the path where it starts', async () => {
      const response = await postText(createText(nested(32)));
      expectValidationError(response, [['body', 'credentials', ...Array(31).fill('a')], 'json_too_deep']);
    });

    it('refuses deep arrays with the index path', async () => {
      const response = await postText(createText(`{"list":[${'['.repeat(40)}${']'.repeat(40)}]}`));
      expectValidationError(response, [['body', 'credentials', 'list', ...Array(30).fill(0)], 'json_too_deep']);
    });

    it('answers 100,000 levels with a 422, not a 500, on every JSON route', async () => {
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      expectValidationError(await postText(createText(deep)), [['body', 'credentials', ...Array(31).fill(0)], 'json_too_deep']);
      expectValidationError(
        await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json').send(`{"name":${deep}}`),
        [['body', 'name', ...Array(31).fill(0)], 'json_too_deep'],
      );
      expectValidationError(await postText(nested(100_000)), [['body', ...Array(32).fill('a')], 'json_too_deep']);
      const patch = await t
        .http()
        .patch(`${connectionsPath()}/00000000-0000-4000-8000-000000000000`)
        .set(customer.headers)
        .set('Content-Type', 'application/json')
        .send(`{"metadata_json":${nested(100_000)}}`);
      expectValidationError(patch, [['body', 'metadata_json', ...Array(31).fill('a')], 'json_too_deep']);
    });
  });

  describe('Unicode', () => {
    it('refuses an unpaired surrogate escape in a value or a key, at its field', async () => {
      expectValidationError(await postText(createText('{"token":"ab\\ud800"}')), [['body', 'credentials', 'token'], 'string_unicode']);
      expectValidationError(await postText(createText('{"token":"\\udc00x"}')), [['body', 'credentials', 'token'], 'string_unicode']);
      expectValidationError(await postText(createText('{"x\\ud83d":1}')), [['body', 'credentials', 'x\ufffd'], 'string_unicode']);
      expectValidationError(await postText(createText('{"a":["ok","\\ud83d\\u0041"]}')), [['body', 'credentials', 'a', 1], 'string_unicode']);
      expectValidationError(
        await t.http().post('/v1/customers').set(asAdmin).set('Content-Type', 'application/json').send('{"name":"\\ud800"}'),
        [['body', 'name'], 'string_unicode'],
      );
    });

    it('refuses invalid UTF-8 in a string at its field, and outside strings as malformed JSON', async () => {
      const [before, after] = createText('{"token":"a@@"}').split('@@');
      for (const bytes of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80] /* an encoded surrogate */, [0xf0, 0x9f, 0x98] /* cut short */]) {
        const bad = Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
        expectValidationError(await postText(bad), [['body', 'credentials', 'token'], 'string_unicode']);
      }
      const outside = Buffer.concat([Buffer.from('{"provider":"p","name":"n",'), Buffer.from([0xe2, 0x82]), Buffer.from('"credentials":{}}')]);
      expectValidationError(await postText(outside), [['body'], 'json_invalid']);
    });

    it('keeps surrogate pairs, escaped or raw, and every other character', async () => {
      const { credentials } = await storeAndRead('{"emoji":"\\ud83d\\ude00 😀","\\ud83d\\udd11":"key","ctl":"\\u0001\\u001f\\u007f\\uffff"}');
      expect(credentials).toEqual({ emoji: '😀 😀', '🔑': 'key', ctl: '\u0001\u001f\u007f\uffff' });
    });
  });

  describe('free-form objects keep every key', () => {
    const prototypeKeys =
      '{"constructor":null,"toString":"t","valueOf":{"x":1},"hasOwnProperty":[1],"__proto__":{"polluted":true},"__defineGetter__":0,"isPrototypeOf":false,"prototype":"p"}';

    it('in credentials (read by the fetch) and metadata_json (read by GET), on create', async () => {
      const { credentials, metadata } = await storeAndRead(prototypeKeys, prototypeKeys);
      for (const value of [credentials, metadata] as Record<string, unknown>[]) {
        expect(canonical(value)).toBe(canonical(JSON.parse(prototypeKeys)));
        expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(true);
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('on PATCH, in both fields', async () => {
      const { id, provider } = await storeAndRead('{"a":1}');
      const patched = await t
        .http()
        .patch(`${connectionsPath()}/${id}`)
        .set(customer.headers)
        .set('Content-Type', 'application/json')
        .send(`{"credentials":${prototypeKeys},"metadata_json":${prototypeKeys}}`);
      expect(patched.status).toBe(200);
      expect(canonical(patched.body.metadata_json)).toBe(canonical(JSON.parse(prototypeKeys)));
      expect(canonical(await fetchCredentials(provider))).toBe(canonical(JSON.parse(prototypeKeys)));
    });

    it('still refuses those keys at the top of a body', async () => {
      const response = await postText('{"provider":"p","name":"n","credentials":{},"__proto__":{},"constructor":1}');
      expectValidationError(response, [['body', '__proto__'], 'extra_forbidden'], [['body', 'constructor'], 'extra_forbidden']);
    });
  });

  describe('numbers', () => {
    it('keeps every number a double holds exactly, by value', async () => {
      const numbers = '[0,-1,9007199254740992,-9007199254740992,0.1,0.30000000000000004,1.5e300,5e-324,1.7976931348623157e308,1.0,1e2,12.50,0.0,1E-7]';
      const { credentials, metadata } = await storeAndRead(`{"n":${numbers}}`, `{"n":${numbers}}`);
      expect(credentials).toEqual({ n: JSON.parse(numbers) });
      expect(metadata).toEqual({ n: JSON.parse(numbers) });
    });

    it.each([
      ['an integer beyond 2^53', '9007199254740993'],
      ['a 20-digit id', '12345678901234567890'],
      ['more digits than a double holds', '0.1000000000000000055511151231257827'],
      ['a value beyond a double', '1e400'],
      ['a non-zero below a double', '1e-400'],
      ['negative zero', '-0'],
      ['negative zero with a fraction', '-0.0e5'],
    ])('refuses %s with 422 at its path, in both fields', async (_what, number) => {
      expectValidationError(await postText(createText(`{"ids":[1,${number}]}`)), [['body', 'credentials', 'ids', 1], 'number_not_exact']);
      expectValidationError(await postText(createText('{}', `{"x":{"y":${number}}}`)), [['body', 'metadata_json', 'x', 'y'], 'number_not_exact']);
    });
  });
});
