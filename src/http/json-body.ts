import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { errorCodes } from 'fastify';
import { ValidationProblem, type ValidationIssue } from './problems';

/** The body object itself is level 1: a value that opens level 33 is refused. */
export const MAX_JSON_DEPTH = 32;
/** A 1 MiB body of bad numbers is refused with this many entries, not a 1 MiB error. */
const MAX_ISSUES = 20;

const TOO_DEEP = { msg: `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`, type: 'json_too_deep' };
const NOT_UNICODE = { msg: 'String is not valid Unicode (unpaired surrogate or invalid UTF-8)', type: 'string_unicode' };
const NOT_EXACT = {
  msg: 'Number cannot be kept exactly: send it as a string (an integer beyond 2^53, more digits than a double holds, out of range, or -0)',
  type: 'number_not_exact',
};

/**
 * Fastify's parser for `application/json`: only JSON a client could have meant. The native
 * `JSON.parse` (iterative: 100,000 levels do not overflow the stack) checks the syntax; one iterative
 * pass over the text then refuses, each at its field, nesting deeper than 32 levels, strings that are not
 * valid Unicode, and numbers that `JSON.parse` would change. Past this parser every walk of a body is
 * at most 32 levels deep and every number is exactly what the client wrote.
 */
export function parseJsonBody(_request: IncomingMessage | unknown, body: Buffer, done: (error: Error | null, value?: unknown) => void): void {
  if (body.length === 0) {
    done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY());
    return;
  }
  let text = isUtf8(body) ? body.toString('utf8') : decodeMarkingInvalidBytes(body);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY());
    return;
  }
  const issues = jsonTextIssues(text);
  if (issues.length > 0) done(new ValidationProblem(issues));
  else done(null, value);
}

/** With the u flag a surrogate pair is one code point: only lone surrogates match. */
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

interface Frame {
  array: boolean;
  /** The current element's index, in an array. */
  index: number;
  /** The current member's key, in an object: where its JSON string starts and ends (quotes included). */
  keyStart: number;
  keyEnd: number;
  expectingKey: boolean;
}

/**
 * The problems of a syntactically valid JSON text, each at the path of its value under `body`. Inside a
 * value already refused as too deep nothing else is reported.
 */
export function jsonTextIssues(text: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const frames: Frame[] = [];
  const locOf = (): (string | number)[] => {
    const path: (string | number)[] = ['body'];
    for (const frame of frames) {
      // A key's lone surrogates are shown as U+FFFD: the error body stays valid Unicode for strict clients.
      path.push(frame.array ? frame.index : (JSON.parse(text.slice(frame.keyStart, frame.keyEnd)) as string).replace(LONE_SURROGATE, '\ufffd'));
    }
    return path;
  };
  const length = text.length;
  let i = 0;
  while (i < length && issues.length < MAX_ISSUES) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      const top = frames[frames.length - 1];
      const isKey = top !== undefined && !top.array && top.expectingKey;
      if (isKey) {
        top.keyStart = i;
        top.keyEnd = end;
        top.expectingKey = false;
      }
      if (!isWellFormedJsonString(text, i + 1, end - 1) && frames.length <= MAX_JSON_DEPTH) {
        issues.push({ loc: locOf(), ...NOT_UNICODE });
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (frames.length === MAX_JSON_DEPTH) issues.push({ loc: locOf(), ...TOO_DEEP });
      frames.push({ array: c === 0x5b, index: 0, keyStart: 0, keyEnd: 0, expectingKey: c === 0x7b });
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      const top = frames[frames.length - 1];
      if (top.array) top.index++;
      else top.expectingKey = true;
      i++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < length && isNumberChar(text.charCodeAt(end))) end++;
      if (frames.length <= MAX_JSON_DEPTH && !isKeptExactly(text.slice(i, end))) issues.push({ loc: locOf(), ...NOT_EXACT });
      i = end;
    } else {
      i++; // whitespace, ':', the letters of true/false/null
    }
  }
  return issues;
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** The index just past the closing quote of the JSON string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    i += c === 0x5c ? 2 : 1;
  }
}

/**
 * Whether the JSON string body between `from` and `to` (exclusive) denotes well-formed UTF-16: every
 * high surrogate followed by a low one, both written the same way (two `\u` escapes, or two raw code
 * units), and no low surrogate alone. Invalid UTF-8 bytes arrive as lone low surrogates (see below).
 */
function isWellFormedJsonString(text: string, from: number, to: number): boolean {
  /** 0: none; 1: an escaped high surrogate just before; 2: a raw one. */
  let pendingHigh = 0;
  let i = from;
  while (i < to) {
    let unit = text.charCodeAt(i);
    let escaped = false;
    if (unit === 0x5c) {
      if (text.charCodeAt(i + 1) === 0x75 /* u */) {
        unit = parseInt(text.slice(i + 2, i + 6), 16);
        escaped = true;
        i += 6;
      } else {
        unit = 0x20; // \n, \", ...: an ordinary character
        i += 2;
      }
    } else {
      i++;
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (pendingHigh !== 0) return false;
      pendingHigh = escaped ? 1 : 2;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      if (pendingHigh !== (escaped ? 1 : 2)) return false;
      pendingHigh = 0;
    } else if (pendingHigh !== 0) {
      return false;
    }
  }
  return pendingHigh === 0;
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The exact decimal value of a JSON number, written canonically: sign, significant digits without
 * leading or trailing zeros, and the power of ten of the last digit ("0" for zero, whatever its sign).
 */
export function canonicalDecimal(numberText: string): string {
  const [, sign, whole, fraction = '', exponent = '0'] = NUMBER.exec(numberText)!;
  let digits = whole + fraction;
  let power = Number(exponent) - fraction.length;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 0x30) first++;
  if (first === digits.length) return '0';
  let last = digits.length;
  while (digits.charCodeAt(last - 1) === 0x30) last--;
  power += digits.length - last;
  digits = digits.slice(first, last);
  return `${sign}${digits}e${power}`;
}

/**
 * Whether `JSON.parse` keeps this number: the double it gives, written back by `JSON.stringify`, has the
 * same decimal value. Not so for integers beyond 2^53, more digits than a double holds, values out of
 * a double's range (Infinity, or a non-zero that becomes 0), and -0 (written back as 0).
 */
export function isKeptExactly(numberText: string): boolean {
  // Up to 15 digits with no fraction or exponent: always exactly a double (the common case, quickly).
  if (numberText.length <= 15 && /^-?[1-9]\d*$|^0$/.test(numberText)) return true;
  const value = Number(numberText);
  if (!Number.isFinite(value) || Object.is(value, -0)) return false;
  if (value === 0) return canonicalDecimal(numberText) === '0' && numberText.charCodeAt(0) !== 0x2d;
  return canonicalDecimal(numberText) === canonicalDecimal(String(value));
}

/**
 * UTF-8 decoding in which each byte that is not part of a valid sequence becomes the lone low surrogate
 * U+DC00 + byte (as Python's "surrogateescape"): inside a string the Unicode check then names its field;
 * elsewhere `JSON.parse` refuses it.
 */
export function decodeMarkingInvalidBytes(bytes: Buffer): string {
  let decoded = '';
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    decoded += bytes.toString('utf8', start, i) + String.fromCharCode(0xdc00 + bytes[i]);
    i++;
    start = i;
  }
  return decoded + bytes.toString('utf8', start, bytes.length);
}

/** The length of the valid UTF-8 sequence (RFC 3629) at `i`, or 0. */
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  const inRange = (at: number, low = 0x80, high = 0xbf) => at < bytes.length && bytes[at] >= low && bytes[at] <= high;
  if (b0 >= 0xc2 && b0 <= 0xdf) return inRange(i + 1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const [low, high] = b0 === 0xe0 ? [0xa0, 0xbf] : b0 === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return inRange(i + 1, low, high) && inRange(i + 2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const [low, high] = b0 === 0xf0 ? [0x90, 0xbf] : b0 === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return inRange(i + 1, low, high) && inRange(i + 2) && inRange(i + 3) ? 4 : 0;
  }
  return 0;
}
