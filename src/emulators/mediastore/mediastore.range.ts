/**
 * GetObject `Range` header handling.
 *
 * The API reference types the header with `RangePattern` = ^bytes=(?:\d+\-\d*|\d*\-\d+)$: a single range,
 * `first-last`, `first-` or `-suffixLength` (RFC 7233 section 2.1). The only range error it documents is
 * RequestedRangeNotSatisfiableException (416, "The requested content range is not valid."), so the
 * emulator answers 416 both for ranges that miss the object and for headers that do not match the
 * pattern (multi-range, other units, last < first); it never silently falls back to the full body.
 */

/** How to answer a GetObject for an object of a given size. */
export type RangeDecision =
  | { readonly kind: 'full' }
  /** Serve bytes `start..end` inclusive with 206; `end` is already clamped to size - 1. */
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * Decides how to serve `header` for an object of `size` bytes.
 *
 * @param header the raw `Range` header, or `undefined` when absent.
 * @param size the object length in bytes (>= 0).
 * @returns `full` without a header, `partial` for a satisfiable range, `unsatisfiable` otherwise. Never throws.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const match = RANGE.exec(header.trim());
  if (!match) return { kind: 'unsatisfiable' };
  const [, firstText = '', lastText = ''] = match;
  if (firstText === '' && lastText === '') return { kind: 'unsatisfiable' };

  if (firstText === '') {
    // Suffix range: the last N bytes; a suffix longer than the object selects all of it (RFC 7233 2.1).
    const suffix = Number(lastText);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }

  const start = Number(firstText);
  if (start >= size) return { kind: 'unsatisfiable' };
  if (lastText === '') return { kind: 'partial', start, end: size - 1 };
  const last = Number(lastText);
  if (last < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}

/**
 * Formats the `Content-Range` value of a 206 response: `bytes first-last/size` (RFC 7233 section 4.2).
 *
 * The API reference types the response header with `ContentRangePattern` = ^bytes=\d+\-\d+/\d+$ (an `=`
 * after `bytes`), which contradicts HTTP; the emulator sends the RFC form that HTTP clients, caches and
 * browsers parse, and PROTOCOL.md records the discrepancy.
 */
export function formatContentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}
