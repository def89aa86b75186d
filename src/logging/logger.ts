import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/app-config';

/**
 * Keys whose values never reach a log line, at any depth of a logged object (compared without case,
 * and ignoring `-`/`_`). Request log lines are also built from an allowlist that never includes
 * headers, queries or bodies: this list is the second lock, and it cannot be bypassed by nesting.
 */
export const SENSITIVE_LOG_KEYS = [
  'credentials',
  'key',
  'api_key',
  'apikey',
  'x-api-key',
  'proxy_key',
  'password',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'authorization',
  'cookie',
  'body',
  'parameters',
  'database_url',
  'encryption_key',
  'admin_api_key',
  'jwt_secret',
];
const SENSITIVE = new Set(SENSITIVE_LOG_KEYS.map(normalizeKey));
const CENSORED = '[redacted]';
const MAX_DEPTH = 6;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/**
 * Whether a key is sensitive, remembered for the keys seen: a log line's keys are the same few on
 * every request, and normalizing each anew made two strings per key per line. Bounded, in case
 * something logs objects with keys of its own.
 */
const seenKeys = new Map<string, boolean>();
const MAX_SEEN_KEYS = 1_000;

function isSensitiveKey(key: string): boolean {
  let sensitive = seenKeys.get(key);
  if (sensitive === undefined) {
    sensitive = SENSITIVE.has(normalizeKey(key));
    if (seenKeys.size < MAX_SEEN_KEYS) seenKeys.set(key, sensitive);
  }
  return sensitive;
}

/**
 * The object with every sensitive key's value censored, copied only where something was censored.
 * A walk over the keys is cheaper than path-based redaction with wildcards, and reaches every depth.
 */
export function redactSensitive<T>(value: T, depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  // Errors go through `serializeError`, which keeps only their name, message, code and stack.
  if (value instanceof Error) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const redacted = redactSensitive(item, depth + 1);
      if (redacted !== item) (copy ??= [...value])[index] = redacted;
    });
    return (copy ?? value) as T;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const redacted = isSensitiveKey(key) ? CENSORED : redactSensitive(item, depth + 1);
    if (redacted !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = redacted;
  }
  return (copy ?? value) as T;
}

export type AppLogger = Logger;
/** Every line's `service` (pino's `base`). */
const SERVICE = 'hydracore-connections';
const SERVICE_JSON = JSON.stringify(SERVICE);
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

let stampedAt = Number.NaN;
let stamp = '';

/**
 * pino's `isoTime` (`,"time":"2026-01-02T03:04:05.678Z"`), formatted once per millisecond: a busy
 * service writes several lines in each, and formatting a Date was a large part of its logging's CPU.
 */
export function isoTimeOncePerMillisecond(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

/**
 * One JSON line per event on standard output (or `destination`, for tests). Writes are asynchronous
 * so logging stays off the response path.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): AppLogger {
  return pino(
    {
      level,
      base: { service: SERVICE },
      timestamp: isoTimeOncePerMillisecond,
      messageKey: 'msg',
      serializers: { err: serializeError },
      formatters: { level: (label) => ({ level: label }), log: (object) => redactSensitive(object) },
    },
    destination ?? bufferedStdout(),
  );
}

/** The fields of a request's line (`logRequest`), in the order they are written; undefined ones are left out. */
export interface RequestLine {
  req_id: string;
  method: string;
  route: string | null;
  status: number;
  duration_ms: number;
  auth?: string;
  principal?: string;
  customer_id?: string;
  instance_id?: string;
}

/**
 * A request's line, written to the logger's destination as pino writes `logger.info(fields, 'request')`
 * (level, time, base, fields, msg), without pino's generic serializer and the redaction walk: one
 * line per request, and those were ~3 µs of the fetch's CPU (docs/performance.md). Its keys are fixed
 * and none is sensitive; its strings are JSON-escaped all the same.
 */
export function writeRequestLine(logger: AppLogger, line: RequestLine): void {
  if (!logger.isLevelEnabled('info')) return;
  let text = `{"level":"info"${isoTimeOncePerMillisecond()},"service":${SERVICE_JSON},"req_id":${JSON.stringify(line.req_id)},"method":${JSON.stringify(line.method)},"route":${JSON.stringify(line.route)},"status":${JSON.stringify(line.status)},"duration_ms":${JSON.stringify(line.duration_ms)}`;
  if (line.auth !== undefined) text += `,"auth":${JSON.stringify(line.auth)}`;
  if (line.principal !== undefined) text += `,"principal":${JSON.stringify(line.principal)}`;
  if (line.customer_id !== undefined) text += `,"customer_id":${JSON.stringify(line.customer_id)}`;
  if (line.instance_id !== undefined) text += `,"instance_id":${JSON.stringify(line.instance_id)}`;
  (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym].write(`${text},"msg":"request"}\n`);
}

/** How long a log line may wait in the buffer before it is written. */
const LOG_FLUSH_INTERVAL_MS = 250;
/**
 * How many characters of lines are gathered before they are written: each write hands the chunk to a
 * libuv thread, and waking it cost the event loop ~145 µs a write on the 2-vCPU host, whatever the
 * chunk's size. 64 KiB (about 250 request lines) instead of 8 KiB: 4.5 → 0.6 µs a fetch (docs/performance.md).
 */
const LOG_CHUNK_LENGTH = 64 * 1024;

/**
 * Standard output, written in chunks of 64 KiB or every 250 ms, whichever comes first: a write is a
 * system call, and one per request costs the fetch path more than the rest of its logging. Lines are
 * gathered in an array and joined once per chunk (sonic-boom's own `minLength` appends each line to
 * one string and measures it again, copying the whole buffer on every line). Written out on exit.
 */
function bufferedStdout(): DestinationStream & { flush(callback?: (error?: Error) => void): void } {
  const stdout = pino.destination({ dest: 1, sync: false });
  let lines: string[] = [];
  let length = 0;
  const writeLines = () => {
    if (lines.length === 0) return;
    stdout.write(lines.join(''));
    lines = [];
    length = 0;
  };
  setInterval(writeLines, LOG_FLUSH_INTERVAL_MS).unref();
  process.once('exit', () => {
    writeLines();
    stdout.flushSync();
  });
  return {
    write(line: string) {
      lines.push(line);
      length += line.length;
      if (length >= LOG_CHUNK_LENGTH) writeLines();
    },
    flush(callback?: (error?: Error) => void) {
      writeLines();
      stdout.flush(callback);
    },
  };
}
