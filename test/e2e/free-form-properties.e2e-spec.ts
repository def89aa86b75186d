import fc from 'fast-check';
import { createCustomer, createInstance, type TestCustomer, type TestInstance } from '../support/factories';
import { TestApp } from '../support/test-app';

/** A JSON value as generated: numbers kept as the text a client wrote. */
type Json =
  | { kind: 'object'; entries: [string, Json][] }
  | { kind: 'array'; items: Json[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'literal'; text: 'true' | 'false' | 'null' };

// Strings of any UTF-16 code units: lone surrogates, control characters and NUL included.
const codeUnits = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }) },
      { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xffff }) },
    ),
    { maxLength: 8 },
  )
  .map((units) => String.fromCharCode(...units));
const text = fc.oneof({ weight: 4, arbitrary: codeUnits }, { weight: 1, arbitrary: fc.constantFrom('😀', 'é€', 'key 🔑', '"\\/') });
const key = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty', '__defineGetter__', 'prototype', '', '0', 'a b') },
  { weight: 3, arbitrary: text },
);

const digits = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });
/** Number texts as a client may write them: integers of any length, fractions, exponents, and the edge cases. */
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
  fc
    .record({
      negative: fc.boolean(),
      whole: fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 24)).map(([first, rest]) => first + rest)),
      fraction: fc.option(digits(1, 22), { nil: undefined }),
      exponent: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3)).map((parts) => parts.join('')), { nil: undefined }),
    })
    .map(({ negative, whole, fraction, exponent }) => `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}${exponent ?? ''}`),
  fc.constantFrom('-0', '-0.0', '0e10', '1.0', '1E2', '1e400', '1e-400', '5e-324', '9007199254740992', '9007199254740993', '18446744073709551615'),
);

const { value: jsonValue } = fc.letrec<{ value: Json; object: Json; array: Json }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'json' },
    fc.record({ kind: fc.constant('string' as const), value: text }),
    fc.record({ kind: fc.constant('number' as const), text: numberText }),
    fc.record({ kind: fc.constant('literal' as const), text: fc.constantFrom('true' as const, 'false' as const, 'null' as const) }),
    tie('object'),
    tie('array'),
  ),
  object: fc.record({ kind: fc.constant('object' as const), entries: fc.array(fc.tuple(key, tie('value')), { maxLength: 4, depthIdentifier: 'json' }) }),
  array: fc.record({ kind: fc.constant('array' as const), items: fc.array(tie('value'), { maxLength: 4, depthIdentifier: 'json' }) }),
}));

const jsonObject = jsonValue.filter((value): value is Json & { kind: 'object' } => value.kind === 'object');
/** Mostly small objects; sometimes one wrapped 28 to 36 levels deep, around the limit of 32. */
const freeFormValue = fc.oneof(
  { weight: 9, arbitrary: jsonObject },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 28, max: 36 }), jsonObject).map(([levels, inner]) => {
      let value: Json = inner;
      for (let level = 1; level < levels; level++) value = { kind: 'object', entries: [['k', value]] };
      return value as Json & { kind: 'object' };
    }),
  },
);

function serialise(value: Json, spaced: boolean): string {
  const [comma, colon] = spaced ? [' , ', ' : '] : [',', ':'];
  switch (value.kind) {
    case 'object':
      return `{${value.entries.map(([name, item]) => `${JSON.stringify(name)}${colon}${serialise(item, spaced)}`).join(comma)}}`;
    case 'array':
      return `[${value.items.map((item) => serialise(item, spaced)).join(comma)}]`;
    case 'string':
      return JSON.stringify(value.value);
    case 'number':
    case 'literal':
      return value.text;
  }
}

/** value = mantissa × 10^exponent, exactly. */
function decimal(numberText: string): { mantissa: bigint; exponent: number } {
  const [, sign, whole, fraction = '', exponent = '0'] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(numberText)!;
  return { mantissa: BigInt(`${sign}${whole}${fraction}`), exponent: Number(exponent) - fraction.length };
}

/** The test's own rule, written apart from the service's: JSON.parse keeps the number's exact value. */
function keptByJsonParse(numberText: string): boolean {
  const value = Number(numberText);
  if (!Number.isFinite(value) || Object.is(value, -0)) return false;
  const written = decimal(numberText);
  const kept = decimal(String(value));
  const least = Math.min(written.exponent, kept.exponent);
  return written.mantissa * 10n ** BigInt(written.exponent - least) === kept.mantissa * 10n ** BigInt(kept.exponent - least);
}

/** The 422 types the contract allows for this value (at `level` of the body), none when it must be kept. */
function expectedProblems(value: Json, level: number, problems = new Set<string>()): Set<string> {
  const checkString = (content: string) => {
    // With the u flag a surrogate pair is one code point: only lone surrogates match.
    if (/[\ud800-\udfff]/u.test(content)) problems.add('string_unicode');
    if (content.includes('\u0000')) problems.add('string_nul');
  };
  switch (value.kind) {
    case 'object':
    case 'array':
      if (level > 32) problems.add('json_too_deep');
      if (value.kind === 'object') {
        for (const [name, item] of value.entries) {
          checkString(name);
          expectedProblems(item, level + 1, problems);
        }
      } else {
        for (const item of value.items) expectedProblems(item, level + 1, problems);
      }
      break;
    case 'string':
      checkString(value.value);
      break;
    case 'number':
      if (!keptByJsonParse(value.text)) problems.add('number_not_exact');
      break;
  }
  return problems;
}

/** JSON with keys sorted at every level: equal texts, deep-equal values (`__proto__` keys included). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonical((value as Record<string, unknown>)[name])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const RUNS = 80;
const SEED = 20261206;

/**
 * Property: any JSON object sent as `credentials` or `metadata_json`, by POST or PATCH, is either read
 * back deep-equal (credentials by the runtime fetch, metadata_json by GET), or refused with a 422 of
 * the kinds the contract names, at that field. Never a 5xx.
 */
describe('Free-form objects, for arbitrary JSON', () => {
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
  const sendText = (method: 'post' | 'patch', path: string, body: string) =>
    t.http()[method](path).set(customer.headers).set('Content-Type', 'application/json').serialize((text: unknown) => text as string).send(body);

  /** Stores `fieldText` as `field` of a new connection (by POST, or by a PATCH after it) and answers the stored value or the 422. */
  async function storeAndRead(field: 'credentials' | 'metadata_json', fieldText: string, byPatch: boolean) {
    const provider = `prop-${++sequence}`;
    const base = `"provider":"${provider}","name":"n"`;
    let stored;
    let id: string;
    if (byPatch) {
      const created = await t.http().post(connectionsPath()).set(customer.headers).send({ provider, name: 'n', credentials: { seed: 1 } }).expect(201);
      id = created.body.id;
      stored = await sendText('patch', `${connectionsPath()}/${id}`, `{"${field}":${fieldText}}`);
    } else {
      const credentials = field === 'credentials' ? fieldText : '{}';
      const metadata = field === 'metadata_json' ? `,"metadata_json":${fieldText}` : '';
      stored = await sendText('post', connectionsPath(), `{${base},"credentials":${credentials}${metadata}}`);
      id = stored.body.id;
    }
    if (stored.status !== 200 && stored.status !== 201) return { status: stored.status, body: stored.body };
    if (field === 'metadata_json') {
      const read = await t.http().get(`${connectionsPath()}/${id}`).set(customer.headers).expect(200);
      return { status: stored.status, value: read.body.metadata_json };
    }
    await t.http().post(`${connectionsPath()}/${id}/grants`).set(customer.headers).send({ instance_id: instance.id, capabilities: [] }).expect(201);
    const fetched = await t.http().get(`/internal/v1/instances/${instance.id}/connections`).query({ provider }).set(instance.headers).expect(200);
    return { status: stored.status, value: fetched.body.credentials };
  }

  it.each(['credentials', 'metadata_json'] as const)('%s: stored then read back deep-equal, or refused with a documented 422', async (field) => {
    const maxBytes = field === 'credentials' ? 64 * 1024 : 16 * 1024;
    const outcomes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(freeFormValue, fc.boolean(), fc.boolean(), async (value, spaced, byPatch) => {
        const fieldText = serialise(value, spaced);
        const problems = expectedProblems(value, 2);
        if (problems.size === 0 && Buffer.byteLength(JSON.stringify(JSON.parse(fieldText))) > maxBytes) problems.add('too_long');
        const answer = await storeAndRead(field, fieldText, byPatch);
        for (const outcome of problems.size === 0 ? ['kept'] : problems) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (problems.size === 0) {
          expect(answer.status).toBe(byPatch ? 200 : 201);
          expect(canonical(answer.value)).toBe(canonical(JSON.parse(fieldText)));
        } else {
          expect(answer.status).toBe(422);
          const issues = answer.body.detail as { loc: (string | number)[]; type: string }[];
          expect(issues.length).toBeGreaterThan(0);
          for (const issue of issues) {
            expect(problems).toContain(issue.type);
            expect(issue.loc.slice(0, 2)).toEqual(['body', field]);
          }
        }
      }),
      { numRuns: RUNS, seed: SEED + field.length },
    );
    // The generator reaches both outcomes and every kind of refusal, or the property proves little.
    expect(outcomes.kept).toBeGreaterThan(RUNS / 4);
    for (const kind of ['number_not_exact', 'string_unicode', 'json_too_deep']) expect(outcomes[kind]).toBeGreaterThan(0);
  }, 60_000);
});
