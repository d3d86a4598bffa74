/** Small statistics helpers for benchmark samples. */

/**
 * Median of `values` (mean of the two middle values for an even count).
 * @throws RangeError for an empty list: a median of nothing would silently read as zero in a report.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/**
 * The `p`-th percentile (0..100) of `values`, nearest-rank method.
 * @throws RangeError for an empty list or `p` outside 0..100.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} outside 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Smallest and largest of `values`. @throws RangeError for an empty list. */
export function range(values: readonly number[]): { readonly min: number; readonly max: number } {
  if (values.length === 0) throw new RangeError('range of an empty list');
  return { min: Math.min(...values), max: Math.max(...values) };
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  let term = 0.5 ** n;
  let sum = 0;
  for (let i = 0; i <= k; i += 1) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum;
}

/**
 * The order-statistic confidence interval of a median: with the values sorted, `[x(k), x(n+1-k)]` holds the true
 * median with probability `1 - 2·P(X ≤ k-1)`, X ~ Binomial(n, 1/2), whatever the distribution; `k` is the largest
 * index that keeps that at least `confidence`. Distribution-free because the pair ratios of a shared machine are
 * anything but normal (a burst of other work skews a pair either way). `undefined` when there are too few values
 * (fewer than 6 for 95%).
 */
export function medianInterval(values: readonly number[], confidence: number): { low: number; high: number; coverage: number } | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  let k = 0;
  while (k + 1 <= n / 2 && 1 - 2 * binomialHalfCdf(n, k) >= confidence) k += 1;
  if (k === 0) return undefined;
  return { low: sorted[k - 1] as number, high: sorted[n - k] as number, coverage: 1 - 2 * binomialHalfCdf(n, k - 1) };
}

/** The median of per-pair ratios `a[i] / b[i]`, with its spread and confidence interval. */
export interface PairedRatio {
  /** Median of the per-pair ratios. */
  readonly ratio: number;
  /** Smallest and largest per-pair ratio. */
  readonly min: number;
  readonly max: number;
  /** The {@link medianInterval} of the ratios; `min` and `max` when there are too few pairs for one. */
  readonly low: number;
  readonly high: number;
  /** The interval's exact coverage, e.g. 0.959 for 20 pairs; 0 when there are too few pairs for one. */
  readonly coverage: number;
  /** Every per-pair ratio, in the order given. */
  readonly ratios: readonly number[];
}

/**
 * Pairs `numerators[i]` with `denominators[i]` (two measurements taken back to back, so a slow phase of a shared
 * machine hits both and cancels in their ratio) and summarises the ratios.
 * @throws RangeError when the lists are empty or differ in length.
 */
export function pairedRatio(numerators: readonly number[], denominators: readonly number[], confidence = 0.95): PairedRatio {
  if (numerators.length === 0 || numerators.length !== denominators.length) throw new RangeError(`unpaired values: ${numerators.length} and ${denominators.length}`);
  const ratios = numerators.map((value, index) => value / (denominators[index] as number));
  const { min, max } = range(ratios);
  const interval = medianInterval(ratios, confidence);
  return { ratio: median(ratios), min, max, low: interval?.low ?? min, high: interval?.high ?? max, coverage: interval?.coverage ?? 0, ratios };
}
