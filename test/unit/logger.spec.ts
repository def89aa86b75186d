import pino from 'pino';
import { createLogger, isoTimeOncePerMillisecond, redactSensitive, type RequestLine, writeRequestLine } from '../../src/logging/logger';

describe('redactSensitive', () => {
  it('censors sensitive keys at any depth, in any case and spelling, inside arrays too', () => {
    const logged = {
      route: '/v1/customers',
      credentials: { access_token: 'a' },
      nested: { deeper: [{ 'X-Api-Key': 'k', Authorization: 'Bearer t' }, { proxyKey: 'p', PROXY_KEY: 'q' }] },
      refresh_token: 'r',
    };
    expect(redactSensitive(logged)).toEqual({
      route: '/v1/customers',
      credentials: '[redacted]',
      nested: { deeper: [{ 'X-Api-Key': '[redacted]', Authorization: '[redacted]' }, { proxyKey: '[redacted]', PROXY_KEY: '[redacted]' }] },
      refresh_token: '[redacted]',
    });
  });

  it('leaves the logged object itself untouched, and returns it as is when nothing is sensitive', () => {
    const logged = { headers: { authorization: 'Bearer t' } };
    redactSensitive(logged);
    expect(logged.headers.authorization).toBe('Bearer t');
    const clean = { status: 200, route: '/health/live', list: [1, 2] };
    expect(redactSensitive(clean)).toBe(clean);
  });
});

describe('createLogger', () => {
  it('writes one JSON line with secrets censored and errors reduced to name, message and stack', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const error = Object.assign(new Error('duplicate key'), { parameters: ['hck_secret'], code: '23505' });
    logger.error({ req_id: 'r1', body: { credentials: { token: 'clear' } }, err: error }, 'failed');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ level: 'error', req_id: 'r1', body: '[redacted]', msg: 'failed', err: { type: 'Error', message: 'duplicate key', code: '23505' } });
    expect(lines[0]).not.toMatch(/hck_secret|clear/);
  });
});

describe('writeRequestLine', () => {
  const lines: [RequestLine, ...RequestLine[]] = [
    { req_id: 'r-1', method: 'GET', route: '/internal/v1/instances/:instance_id/connections', status: 200, duration_ms: 1.25, auth: 'proxy_key', principal: 'instance', customer_id: 'c1', instance_id: 'i1' },
    { req_id: 'quote"back\\slash\u2028', method: 'POST', route: null, status: 422, duration_ms: 0 },
    { req_id: 'r-3', method: 'DELETE', route: '/v1/customers/:id', status: 204, duration_ms: 12, auth: 'api_key', principal: 'customer', customer_id: 'c3' },
    { req_id: 'r-4', method: 'GET', route: '/health/live', status: 200, duration_ms: Number.NaN },
  ];

  it("writes the same bytes as pino's logger.info(fields, 'request'), fields left out when undefined", () => {
    const written: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void written.push(line) });
    for (const line of lines) {
      // One millisecond for both lines, so that their times are the same.
      const now = Date.now();
      while (Date.now() === now);
      logger.info(line, 'request');
      writeRequestLine(logger, line);
    }
    expect(written).toHaveLength(lines.length * 2);
    for (let i = 0; i < written.length; i += 2) expect(written[i + 1]).toBe(written[i]);
    expect(JSON.parse(written[3])).toMatchObject({ req_id: 'quote"back\\slash\u2028', route: null, status: 422 });
    expect(JSON.parse(written[3])).not.toHaveProperty('auth');
  });

  it('writes nothing when info is not logged', () => {
    const written: string[] = [];
    writeRequestLine(createLogger('warn', { write: (line: string) => void written.push(line) }), lines[0]);
    expect(written).toEqual([]);
  });
});

describe('isoTimeOncePerMillisecond', () => {
  it("is pino's isoTime of the same millisecond, formatted anew when the millisecond changes", () => {
    const realNow = Date.now;
    try {
      for (const at of [Date.parse('2026-12-02T10:11:12.345Z'), Date.parse('2026-12-02T10:11:12.345Z'), Date.parse('2026-12-02T10:11:12.346Z'), 0]) {
        Date.now = () => at;
        expect(isoTimeOncePerMillisecond()).toBe(pino.stdTimeFunctions.isoTime());
        expect(isoTimeOncePerMillisecond()).toBe(`,"time":"${new Date(at).toISOString()}"`);
      }
    } finally {
      Date.now = realNow;
    }
  });
});
