/**
 * Parameters in PostgreSQL's binary wire format, for the hot statements. The driver sends a Buffer
 * parameter as binary, so PostgreSQL reads the value as it is stored instead of parsing text: no date
 * parsing, and for arrays no `array_in`, no escaping, no hex. The statement must cast the parameter to
 * its type (`$1::uuid[]`, `$4::timestamptz`): PostgreSQL reads the bytes as that type, and checks an
 * array's element type against it.
 */
export type BinaryElementType = 'uuid' | 'timestamptz' | 'varchar' | 'int2' | 'bytea';

const ELEMENT_OID: Record<BinaryElementType, number> = { uuid: 2950, timestamptz: 1184, varchar: 1043, int2: 21, bytea: 17 };
/** PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix milliseconds. */
const POSTGRES_EPOCH_MS = 946_684_800_000;
const HEADER_BYTES = 20;
const TWO_TO_32 = 2 ** 32;

type ElementValue<T extends BinaryElementType> = T extends 'timestamptz' ? Date : T extends 'int2' ? number : T extends 'bytea' ? Buffer : string;

/** A timestamptz: microseconds since PostgreSQL's epoch, as a big-endian int64. */
export function binaryTimestamptz(time: Date): Buffer {
  const buffer = Buffer.allocUnsafe(8);
  writeTimestamptz(buffer, 0, time);
  return buffer;
}

/**
 * `values` as a one-dimensional binary array of `type` (`array_recv`), for statements that write many
 * rows from one array per column (`unnest`); null elements are NULL. A uuid is the canonical hyphenated text.
 */
export function binaryArray<T extends BinaryElementType>(type: T, values: readonly (ElementValue<T> | null)[]): Buffer {
  const strings = type === 'varchar' ? (values as (string | null)[]).map((value) => (value === null ? null : Buffer.from(value, 'utf8'))) : undefined;
  let size = HEADER_BYTES;
  let hasNull = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    size += 4;
    if (value === null) hasNull = 1;
    else size += elementBytes(type, value, strings?.[i]);
  }
  const buffer = Buffer.allocUnsafe(size);
  buffer.writeInt32BE(1, 0);
  buffer.writeInt32BE(hasNull, 4);
  buffer.writeUInt32BE(ELEMENT_OID[type], 8);
  buffer.writeInt32BE(values.length, 12);
  buffer.writeInt32BE(1, 16);
  let offset = HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null) {
      offset = buffer.writeInt32BE(-1, offset);
      continue;
    }
    switch (type) {
      case 'uuid':
        offset = writeUuid(buffer, buffer.writeInt32BE(16, offset), value as string);
        break;
      case 'timestamptz':
        offset = writeTimestamptz(buffer, buffer.writeInt32BE(8, offset), value as Date);
        break;
      case 'int2':
        offset = buffer.writeInt16BE(value as number, buffer.writeInt32BE(2, offset));
        break;
      default: {
        const bytes = strings?.[i] ?? (value as Buffer);
        offset = buffer.writeInt32BE(bytes.length, offset);
        offset += bytes.copy(buffer, offset);
      }
    }
  }
  return buffer;
}

/** Milliseconds are exact in microseconds, and well within 2^53: the int64 is written as two halves. */
function writeTimestamptz(buffer: Buffer, offset: number, time: Date): number {
  const micros = (time.getTime() - POSTGRES_EPOCH_MS) * 1000;
  const high = Math.floor(micros / TWO_TO_32);
  return buffer.writeUInt32BE(micros - high * TWO_TO_32, buffer.writeInt32BE(high, offset));
}

function elementBytes(type: BinaryElementType, value: unknown, encoded: Buffer | null | undefined): number {
  switch (type) {
    case 'uuid':
      return 16;
    case 'timestamptz':
      return 8;
    case 'int2':
      return 2;
    case 'varchar':
      return encoded!.length;
    case 'bytea':
      return (value as Buffer).length;
  }
}

/** The 16 bytes of `8-4-4-4-12` hex text; anything else is refused rather than written wrong. */
function writeUuid(buffer: Buffer, offset: number, uuid: string): number {
  if (uuid.length !== 36 || uuid[8] !== '-' || uuid[13] !== '-' || uuid[18] !== '-' || uuid[23] !== '-') throw new TypeError(`not a uuid: ${uuid}`);
  const hex = uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24);
  if (buffer.write(hex, offset, 16, 'hex') !== 16) throw new TypeError(`not a uuid: ${uuid}`);
  return offset + 16;
}
