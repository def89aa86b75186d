import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/app-config';

/**
 * Every place a secret could sit in a logged object. The logger censors these paths whatever the
 * caller passes, so a secret reaches a log line only by a path not listed here — and request log
 * lines are built from an allowlist of fields that never includes headers or bodies.
 */
export const SENSITIVE_LOG_PATHS = [
  'credentials',
  '*.credentials',
  'key',
  '*.key',
  'proxy_key',
  '*.proxy_key',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  '["x-api-key"]',
  'body',
  '*.body',
  'parameters',
  '*.parameters',
  'databaseUrl',
  'url_with_credentials',
];

export type AppLogger = Logger;
export const APP_LOGGER = Symbol('APP_LOGGER');

/** Keeps an error's identity and stack, never the query parameters or values a driver attaches. */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const record = error as Error & { code?: unknown; constraint?: unknown };
  return {
    type: error.name,
    message: error.message,
    code: typeof record.code === 'string' ? record.code : undefined,
    constraint: typeof record.constraint === 'string' ? record.constraint : undefined,
    stack: error.stack,
  };
}

/**
 * One JSON line per event on standard output (or `destination`, for tests). Writes are asynchronous
 * so logging stays off the response path.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): AppLogger {
  return pino(
    {
      level,
      base: { service: 'hydracore-connections' },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      redact: { paths: SENSITIVE_LOG_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
