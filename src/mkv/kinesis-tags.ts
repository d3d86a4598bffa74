/**
 * The Matroska tags Kinesis Video Streams adds to GetMedia output (documented in the GetMedia API
 * reference), how their text values are parsed and how the writer formats them.
 */

/** Tag names GetMedia writes into every fragment (and the two error tags it writes when it stops). */
export const KinesisTag = Object.freeze({
  FragmentNumber: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER',
  ServerTimestamp: 'AWS_KINESISVIDEO_SERVER_TIMESTAMP',
  ProducerTimestamp: 'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP',
  MillisBehindNow: 'AWS_KINESISVIDEO_MILLIS_BEHIND_NOW',
  ContinuationToken: 'AWS_KINESISVIDEO_CONTINUATION_TOKEN',
  ErrorCode: 'AWS_KINESISVIDEO_ERROR_CODE',
  ErrorId: 'AWS_KINESISVIDEO_ERROR_ID',
} as const);

/** One of the {@link KinesisTag} names. */
export type KinesisTagName = (typeof KinesisTag)[keyof typeof KinesisTag];

const KINESIS_TAG_NAMES: ReadonlySet<string> = new Set(Object.values(KinesisTag));

/** True when `name` is one of the documented `AWS_KINESISVIDEO_*` tags the reader turns into fields. */
export function isKinesisTagName(name: string): name is KinesisTagName {
  return KINESIS_TAG_NAMES.has(name);
}

/**
 * GetMedia's documented error ids (`AWS_KINESISVIDEO_ERROR_ID`) and their meaning, as listed in the
 * GetMedia API reference.
 */
export const GET_MEDIA_ERRORS: ReadonlyMap<number, string> = new Map([
  [3002, 'Error writing to the stream'],
  [4000, 'Requested fragment is not found'],
  [4500, "Access denied for the stream's KMS key"],
  [4501, "Stream's KMS key is disabled"],
  [4502, "Validation error on the stream's KMS key"],
  [4503, 'KMS key specified in the stream is unavailable'],
  [4504, 'Invalid usage of the KMS key specified in the stream'],
  [4505, 'Invalid state of the KMS key specified in the stream'],
  [4506, 'Unable to find the KMS key specified in the stream'],
  [5000, 'Internal error'],
]);

/**
 * The documented Kinesis tag whose name is `bytes[start..end)`, or null. Compares bytes, so the
 * reader never decodes the names it turns into fields; a name of another length is rejected at once.
 */
export function kinesisTagAt(bytes: Uint8Array, start: number, end: number): KinesisTagName | null {
  const length = end - start;
  const names = NAMES_BY_LENGTH[length];
  const encodings = ENCODED_BY_LENGTH[length];
  if (names === undefined || encodings === undefined) return null;
  for (let k = 0; k < names.length; k++) {
    const encoded = encodings[k];
    if (encoded === undefined) continue;
    // From the end: the names share their first 17 bytes ("AWS_KINESISVIDEO_").
    let i = length - 1;
    while (i >= 0 && bytes[start + i] === encoded[i]) i--;
    if (i < 0) return names[k] ?? null;
  }
  return null;
}

// Candidate names indexed by byte length (a sparse array: plain indexing is the cheapest lookup).
const NAMES_BY_LENGTH: (KinesisTagName[] | undefined)[] = [];
const ENCODED_BY_LENGTH: (Uint8Array[] | undefined)[] = [];
for (const name of Object.values(KinesisTag)) {
  const encoded = Buffer.from(name, 'latin1');
  (NAMES_BY_LENGTH[encoded.length] ??= []).push(name);
  (ENCODED_BY_LENGTH[encoded.length] ??= []).push(encoded);
}

// Largest epoch-millisecond value a JavaScript Date (and so an ISO string) can represent.
const MAX_DATE_MS = 8.64e15;
const DOT = 0x2e;
const MINUS = 0x2d;

function isDigit(byte: number | undefined): byte is number {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/**
 * Parses a Kinesis timestamp tag value: decimal seconds since the epoch with an optional fraction
 * (GetMedia writes exactly three digits, e.g. `1511852109.126`). Digits past the millisecond are
 * truncated. Exact: no floating-point rounding.
 * @returns epoch milliseconds, or null when the text is not such a number or is outside Date's range.
 */
export function parseKinesisTimestampBytes(bytes: Uint8Array, start = 0, end = bytes.length): number | null {
  let i = start;
  let seconds = 0;
  for (; i < end; i++) {
    const byte = bytes[i];
    if (!isDigit(byte)) break;
    seconds = seconds * 10 + (byte - 0x30);
  }
  const integerDigits = i - start;
  if (integerDigits === 0 || integerDigits > 16) return null;
  let millis = 0;
  if (i < end) {
    if (bytes[i] !== DOT) return null;
    const fractionStart = ++i;
    for (; i < end; i++) {
      const byte = bytes[i];
      if (!isDigit(byte)) return null;
      if (i - fractionStart < 3) millis = millis * 10 + (byte - 0x30);
    }
    const fractionDigits = i - fractionStart;
    if (fractionDigits === 0 || fractionDigits > 9) return null;
    for (let d = fractionDigits; d < 3; d++) millis *= 10;
  }
  const value = seconds * 1000 + millis;
  return value <= MAX_DATE_MS ? value : null;
}

/** {@link parseKinesisTimestampBytes} for a string. */
export function parseKinesisTimestamp(text: string): number | null {
  return parseKinesisTimestampBytes(Buffer.from(text, 'utf8'));
}

/**
 * Formats epoch milliseconds the way GetMedia writes timestamp tags: seconds, a dot, three digits.
 * @throws RangeError when `epochMs` is not a non-negative safe integer within Date's range.
 */
export function formatKinesisTimestamp(epochMs: number): string {
  if (!Number.isSafeInteger(epochMs) || epochMs < 0 || epochMs > MAX_DATE_MS) {
    throw new RangeError(`timestamp ${epochMs} is not a valid epoch millisecond value`);
  }
  return `${Math.floor(epochMs / 1000)}.${String(epochMs % 1000).padStart(3, '0')}`;
}

/**
 * A decimal integer of 1-16 digits (with a leading `-` when `signed`) that is a safe integer, or
 * null: MILLIS_BEHIND_NOW (unsigned) and ERROR_ID (signed).
 */
export function parseKinesisIntegerBytes(bytes: Uint8Array, signed: boolean, start = 0, end = bytes.length): number | null {
  const negative = signed && bytes[start] === MINUS;
  let i = negative ? start + 1 : start;
  const digitsStart = i;
  let value = 0;
  for (; i < end; i++) {
    const byte = bytes[i];
    if (!isDigit(byte)) return null;
    value = value * 10 + (byte - 0x30);
  }
  const digits = end - digitsStart;
  if (digits === 0 || digits > 16 || !Number.isSafeInteger(value)) return null;
  return negative ? -value : value;
}

/** A non-negative decimal integer that fits a safe integer, or null. */
export function parseKinesisUnsigned(text: string): number | null {
  return parseKinesisIntegerBytes(Buffer.from(text, 'utf8'), false);
}

/** A signed decimal integer that fits a safe integer (GetMedia error ids), or null. */
export function parseKinesisInteger(text: string): number | null {
  return parseKinesisIntegerBytes(Buffer.from(text, 'utf8'), true);
}

/** True when `bytes[start..end)` is a fragment number: 1 to 128 decimal digits (real ones have 47). */
export function isFragmentNumberBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  if (end <= start || end - start > 128) return false;
  for (let i = start; i < end; i++) if (!isDigit(bytes[i])) return false;
  return true;
}

/** {@link isFragmentNumberBytes} for a string. */
export function isFragmentNumber(text: string): boolean {
  return isFragmentNumberBytes(Buffer.from(text, 'utf8'));
}

/**
 * Orders two fragment numbers numerically. They exceed 2^53, so they are compared as BigInt, never as
 * JavaScript numbers or as strings of different lengths.
 * @returns negative, zero or positive like a sort comparator.
 * @throws SyntaxError when either is not a decimal integer.
 */
export function compareFragmentNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
