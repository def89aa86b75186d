import { canonicalDecimal, decodeMarkingInvalidBytes, isKeptExactly, jsonTextIssues, parseJsonBody } from '../../src/http/json-body';
import { ValidationProblem } from '../../src/http/problems';

const types = (text: string) => jsonTextIssues(text).map((issue) => [issue.loc, issue.type]);

describe('canonicalDecimal', () => {
  it.each([
    ['0', '0'],
    ['-0.000e7', '0'],
    ['100', '1e2'],
    ['1.50', '15e-1'],
    ['0.0015E+3', '15e-1'],
    ['-12e-2', '-12e-2'],
    ['1e+21', '1e21'],
  ])('%s is %s', (text, canonical) => expect(canonicalDecimal(text)).toBe(canonical));
});

describe('isKeptExactly', () => {
  it.each(['0', '-1', '9007199254740992', '0.1', '1.0', '1E2', '0e99', '5e-324', '1.7976931348623157e308', '0.30000000000000004', '123456789012345'])(
    'keeps %s',
    (text) => expect(isKeptExactly(text)).toBe(true),
  );
  it.each(['9007199254740993', '12345678901234567890', '0.1000000000000000055511151231257827', '1e400', '-1e400', '1e-400', '-0', '-0.0', '2.4703282292062328e-324'])(
    'refuses %s',
    (text) => expect(isKeptExactly(text)).toBe(false),
  );
});

describe('jsonTextIssues', () => {
  it('reports a container opening level 33 at its path, once, and nothing inside it', () => {
    const text = `{"a":${'['.repeat(40)}"\\ud800",1e400${']'.repeat(40)}}`;
    expect(types(text)).toEqual([[['body', 'a', ...Array(31).fill(0)], 'json_too_deep']]);
    expect(types(`{"a":${'['.repeat(31)}${']'.repeat(31)}}`)).toEqual([]);
  });

  it('reports lone surrogates, escaped or raw, in keys and values, and accepts pairs written either way', () => {
    expect(types('{"\\ud800x":1,"b":["\\udc00","ok"],"c":"\\ud83d\\ude00😀"}')).toEqual([
      // The key is shown with U+FFFD in place of its lone surrogate.
      [['body', '\ufffdx'], 'string_unicode'],
      [['body', 'b', 0], 'string_unicode'],
    ]);
    // A high surrogate escaped followed by a raw low one is not a pair as written.
    expect(types('{"a":"\\ud83d\ude00"}')).toEqual([[['body', 'a'], 'string_unicode']]);
    expect(types('"\\\\ud800"')).toEqual([]);
  });

  it('reports numbers JSON.parse would change, with their paths, and at most 20 problems', () => {
    expect(types('{"a":[1,2.5,9007199254740993],"b":{"c":-0}}')).toEqual([
      [['body', 'a', 2], 'number_not_exact'],
      [['body', 'b', 'c'], 'number_not_exact'],
    ]);
    expect(jsonTextIssues(`[${Array(100).fill('1e400').join(',')}]`)).toHaveLength(20);
  });
});

describe('decodeMarkingInvalidBytes', () => {
  it('decodes valid UTF-8 as usual and each invalid byte as a lone low surrogate', () => {
    expect(decodeMarkingInvalidBytes(Buffer.from('aé€😀'))).toBe('aé€😀');
    expect(decodeMarkingInvalidBytes(Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]))).toBe('a\udcff\udcc3(\udced\udca0\udc80');
  });
});

describe('parseJsonBody', () => {
  const parse = (body: Buffer) => {
    let outcome: { error: Error | null; value?: unknown } | undefined;
    parseJsonBody(undefined, body, (error, value) => (outcome = { error, value }));
    return outcome!;
  };

  it('parses JSON, keeping __proto__ keys as data', () => {
    const { error, value } = parse(Buffer.from('\ufeff{"__proto__":{"x":1}}'));
    expect(error).toBeNull();
    expect(Object.getOwnPropertyNames(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('refuses an empty body, malformed JSON and JSON a client could not have meant, each with its own error', () => {
    expect((parse(Buffer.alloc(0)).error as { code?: string }).code).toBe('FST_ERR_CTP_EMPTY_JSON_BODY');
    expect((parse(Buffer.from('{')).error as { code?: string }).code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    const refused = parse(Buffer.from('{"a":"\\ud800"}')).error;
    expect(refused).toBeInstanceOf(ValidationProblem);
    expect((refused as ValidationProblem).issues).toEqual([{ loc: ['body', 'a'], msg: expect.any(String), type: 'string_unicode' }]);
  });
});
