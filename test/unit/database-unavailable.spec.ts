import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from '../../src/http/http-exception.filter';

/** A pg error as TypeORM wraps it: the driver's error, with its code, under `driverError`. */
function failedQuery(driverError: Error & { code?: string }): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], driverError);
}

function withCode(code: string, message = 'failed'): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

describe('isDatabaseUnavailable: what becomes a 503', () => {
  it.each(['EAI_AGAIN', 'ENETUNREACH', 'EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH'])('the network error %s, raw or wrapped by TypeORM', (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(true);
    expect(isDatabaseUnavailable(failedQuery(withCode(code)))).toBe(true);
  });

  it.each(['08000', '08003', '08006', '08001', '08004', '08P01'])('SQLSTATE %s (class 08, connection exception)', (code) => {
    expect(isDatabaseUnavailable(failedQuery(withCode(code)))).toBe(true);
  });

  it.each(['25006', '57P01', '57P02', '57P03', '53300'])('SQLSTATE %s (read-only after a failover, shutdown, starting, too many connections)', (code) => {
    expect(isDatabaseUnavailable(failedQuery(withCode(code)))).toBe(true);
  });

  it('a query that got no answer in time, and a connection that timed out', () => {
    expect(isDatabaseUnavailable(new Error('Query read timeout'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated due to connection timeout'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it.each(['23505', '22P02', '42P01', '57014', '0800', '080000', 'X08000'])('not SQLSTATE %s, nor an unknown error', (code) => {
    expect(isDatabaseUnavailable(failedQuery(withCode(code)))).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
  });
});
