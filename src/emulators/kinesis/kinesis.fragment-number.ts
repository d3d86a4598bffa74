/**
 * Fragment numbers in the shape of the real ones.
 *
 * Real GetMedia fragment numbers are 47-digit decimal strings (e.g. `91343852333181432392682062607743920146159169392`)
 * that exceed 2^53 and grow by roughly 2^92 from one fragment to the next, the low bits varying with time.
 * The emulator builds `base(stream) + seq * 2^92 + serverTimestampMs * 1000`: the time term stays far below
 * 2^92, so numbers strictly increase with `seq` whatever the clock does, and they keep 47 digits for
 * millions of fragments. Consumers must compare them as BigInt (or with `compareFragmentNumbers`).
 */

/** Distance between consecutive fragment numbers, ignoring the time term. */
const FRAGMENT_STEP = 2n ** 92n;

/** A real fragment number, used as the common prefix so emulated numbers look like captured ones. */
const REAL_BASE = 91343852333181432392682062607743920146159169392n;

/** Spacing of per-stream bases: different streams get visibly different numbers, still 47 digits. */
const STREAM_SPACING = 10n ** 36n;

/** The first fragment number of the stream created `ordinal`-th (0-based) by an emulator. */
export function fragmentNumberBase(ordinal: number): bigint {
  if (!Number.isSafeInteger(ordinal) || ordinal < 0) throw new RangeError(`stream ordinal must be a non-negative integer, got ${ordinal}`);
  return REAL_BASE + BigInt(ordinal % 1000) * STREAM_SPACING;
}

/**
 * The fragment number of the `seq`-th fragment (0-based) of a stream whose base is `base`.
 *
 * @param serverTimestampMs the fragment's server timestamp (epoch ms); only varies the low digits.
 * @throws RangeError for a negative or non-integer `seq` or timestamp.
 */
export function makeFragmentNumber(base: bigint, seq: number, serverTimestampMs: number): bigint {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`fragment seq must be a non-negative integer, got ${seq}`);
  if (!Number.isSafeInteger(serverTimestampMs) || serverTimestampMs < 0) {
    throw new RangeError(`server timestamp must be a non-negative integer, got ${serverTimestampMs}`);
  }
  return base + BigInt(seq) * FRAGMENT_STEP + BigInt(serverTimestampMs) * 1000n;
}

/** Parses a decimal fragment number or continuation token; `undefined` when it is not one. */
export function parseFragmentNumber(text: string): bigint | undefined {
  return /^[0-9]{1,128}$/.test(text) ? BigInt(text) : undefined;
}
