/**
 * Single byte ranges of HTTP `Range` requests (RFC 9110 section 14), shared by the byte endpoints and the S3
 * emulator. Only one range is ever served: a header that is not exactly one well-formed `bytes` range (other units,
 * several ranges, `last < first`, numbers too long to be sizes) is reported as absent, which RFC 9110 allows ("MAY
 * ignore") and which is what S3 does, so the whole representation is sent with 200.
 */

/** One parsed byte range, before it meets a representation. */
export type ByteRangeSpec =
  /** `bytes=first-` or `bytes=first-last` (`last` inclusive). */
  | { readonly kind: 'int'; readonly first: number; readonly last: number | undefined }
  /** `bytes=-length`: the last `length` bytes. */
  | { readonly kind: 'suffix'; readonly length: number };

/** What one range selects of a representation of a given size. */
export type ByteRangeResolution =
  /** Bytes `start..end`, both inclusive, `end` clamped to the last byte. */
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  /** Nothing: answer 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' }
  /** The whole representation (a zero-length one asked for a suffix). */
  | { readonly kind: 'full' };

// At most 15 digits keeps every value a safe integer; longer numbers are no size anything stores.
const RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/i;

/**
 * Parses a `Range` header value.
 * @returns the range, or `undefined` when the header is absent or must be ignored (see the module comment).
 */
export function parseByteRange(header: string | undefined): ByteRangeSpec | undefined {
  if (header === undefined) return undefined;
  const match = RANGE.exec(header.trim());
  if (match === null) return undefined;
  const [, firstText = '', lastText = ''] = match;
  if (firstText === '' && lastText === '') return undefined;
  if (firstText === '') return { kind: 'suffix', length: Number(lastText) };
  const first = Number(firstText);
  if (lastText === '') return { kind: 'int', first, last: undefined };
  const last = Number(lastText);
  // RFC 9110 14.1.1: an int-range whose last-pos is below its first-pos is invalid, and so ignored.
  if (last < first) return undefined;
  return { kind: 'int', first, last };
}

/**
 * Resolves `spec` against a representation of `size` bytes (RFC 9110 14.1.1 and 14.1.2): an int-range is
 * satisfiable when it starts inside the representation, a suffix-range when its length is not zero.
 */
export function resolveByteRange(spec: ByteRangeSpec, size: number): ByteRangeResolution {
  if (spec.kind === 'suffix') {
    if (spec.length === 0) return { kind: 'unsatisfiable' };
    if (size === 0) return { kind: 'full' };
    return { kind: 'partial', start: Math.max(0, size - spec.length), end: size - 1 };
  }
  if (spec.first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start: spec.first, end: spec.last === undefined ? size - 1 : Math.min(spec.last, size - 1) };
}

/** The header value a range response carries: `bytes start-end/size`. */
export function contentRangeOf(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** The `Content-Range` of a 416: `bytes *\/size`, so the client learns the current length. */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}

/** The representation size in a `Content-Range` value (`bytes a-b/size` or `bytes *\/size`); `undefined` when absent. */
export function sizeFromContentRange(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^bytes (?:\d+-\d+|\*)\/(\d{1,15})$/i.exec(value.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
