/**
 * Integer histograms as sorted `[value, count]` pairs: how the fan-out clients report latencies and per-client
 * counts without shipping every sample over IPC.
 */

/** A histogram: `[value, count]` pairs, any order, values not necessarily distinct. */
export type Histogram = readonly (readonly [number, number])[];

/** Adds up several histograms into one, sorted by value, with distinct values. */
export function mergeHistograms(parts: readonly Histogram[]): [number, number][] {
  const counts = new Map<number, number>();
  for (const part of parts) for (const [value, count] of part) counts.set(value, (counts.get(value) ?? 0) + count);
  return [...counts.entries()].sort((a, b) => a[0] - b[0]);
}

/** Number of samples in `histogram`. */
export function histogramCount(histogram: Histogram): number {
  let total = 0;
  for (const [, count] of histogram) total += count;
  return total;
}

/**
 * The `p`-th percentile (0..100) of a histogram sorted by value, nearest-rank method (as `stats.percentile`).
 * @throws RangeError for an empty histogram or `p` outside 0..100.
 */
export function histogramPercentile(sorted: Histogram, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} outside 0..100`);
  const total = histogramCount(sorted);
  if (total === 0) throw new RangeError('percentile of an empty histogram');
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  // Unreachable: the ranks add up to `total`.
  throw new RangeError('histogram counts changed while reading it');
}

/** Smallest and largest value with a non-zero count. @throws RangeError for an empty histogram. */
export function histogramRange(sorted: Histogram): { readonly min: number; readonly max: number } {
  const present = sorted.filter(([, count]) => count > 0);
  const first = present[0];
  const last = present[present.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('range of an empty histogram');
  return { min: first[0], max: last[0] };
}
