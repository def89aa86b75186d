import pino from 'pino';
import { createLogger, isoTimeOncePerMillisecond, redactSensitive } from '../../src/logging/logger';

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
