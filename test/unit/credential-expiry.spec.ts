import { credentialsExpiry } from '../../src/connections/credential-expiry';

const now = new Date('2026-11-25T12:00:00.000Z');

describe('credentialsExpiry', () => {
  it.each([
    ['an ISO expires_at', { expires_at: '2027-01-01T00:00:00Z' }, '2027-01-01T00:00:00.000Z'],
    ['an ISO expires_at with an offset', { expires_at: '2027-01-01T10:00:00+10:00' }, '2027-01-01T00:00:00.000Z'],
    ['epoch seconds', { expires_at: 1798761600 }, '2027-01-01T00:00:00.000Z'],
    ['epoch seconds as a string', { expires_at: '1798761600' }, '2027-01-01T00:00:00.000Z'],
    ['expires_in seconds', { expires_in: 3600 }, '2026-11-25T13:00:00.000Z'],
    ['expires_in as a string', { expires_in: '60' }, '2026-11-25T12:01:00.000Z'],
    ['expires_at over expires_in', { expires_at: 1798761600, expires_in: 60 }, '2027-01-01T00:00:00.000Z'],
  ])('reads %s', (_case, credentials, expected) => {
    expect(credentialsExpiry(credentials, now)?.toISOString()).toBe(expected);
  });

  it.each([
    ['nothing', {}],
    ['a word', { expires_at: 'tomorrow' }],
    ['a negative expires_in', { expires_in: -5 }],
    ['an object', { expires_at: { at: 1 } }],
    ['a date past year 9999', { expires_at: 1e15 }],
    ['an impossible ISO date', { expires_at: '2027-13-45T00:00:00Z' }],
  ])('gives null for %s', (_case, credentials) => {
    expect(credentialsExpiry(credentials, now)).toBeNull();
  });
});
