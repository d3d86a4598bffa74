/**
 * The Matroska tags Kinesis Video Streams adds to GetMedia output (documented in the GetMedia API
 * reference), how their text values are parsed and how the writer formats them.
 */

/** Tag names GetMedia writes into every fragment (and the two error tags it writes when it stops). */
export const KinesisTag = {
  FragmentNumber: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER',
  ServerTimestamp: 'AWS_KINESISVIDEO_SERVER_TIMESTAMP',
  ProducerTimestamp: 'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP',
  MillisBehindNow: 'AWS_KINESISVIDEO_MILLIS_BEHIND_NOW',
  ContinuationToken: 'AWS_KINESISVIDEO_CONTINUATION_TOKEN',
  ErrorCode: 'AWS_KINESISVIDEO_ERROR_CODE',
  ErrorId: 'AWS_KINESISVIDEO_ERROR_ID',
} as const;

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

// Largest epoch-millisecond value a JavaScript Date (and so an ISO string) can represent.
const MAX_DATE_MS = 8.64e15;

/**
 * Parses a Kinesis timestamp tag value: decimal seconds since the epoch with an optional fraction
 * (GetMedia writes exactly three digits, e.g. `1511852109.126`). Digits past the millisecond are
 * truncated. Exact: no floating-point rounding.
 * @returns epoch milliseconds, or null when the text is not such a number or is outside Date's range.
 */
export function parseKinesisTimestamp(text: string): number | null {
  const match = /^(\d{1,16})(?:\.(\d{1,9}))?$/.exec(text);
  if (match === null) return null;
  const seconds = Number(match[1]);
  const millis = Number(((match[2] ?? '') + '000').slice(0, 3));
  const value = seconds * 1000 + millis;
  return value <= MAX_DATE_MS ? value : null;
}

/**
 * Formats epoch milliseconds the way GetMedia writes timestamp tags: seconds, a dot, three digits.
 * @throws RangeError when `epochMs` is not a non-negative safe integer.
 */
export function formatKinesisTimestamp(epochMs: number): string {
  if (!Number.isSafeInteger(epochMs) || epochMs < 0 || epochMs > MAX_DATE_MS) {
    throw new RangeError(`timestamp ${epochMs} is not a valid epoch millisecond value`);
  }
  return `${Math.floor(epochMs / 1000)}.${String(epochMs % 1000).padStart(3, '0')}`;
}

/** A non-negative decimal integer that fits a safe integer, or null. */
export function parseKinesisUnsigned(text: string): number | null {
  if (!/^\d{1,16}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** A signed decimal integer that fits a safe integer (GetMedia error ids), or null. */
export function parseKinesisInteger(text: string): number | null {
  if (!/^-?\d{1,16}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** True when `text` is a fragment number: 1 to 128 decimal digits (real ones have about 47). */
export function isFragmentNumber(text: string): boolean {
  return /^\d{1,128}$/.test(text);
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
