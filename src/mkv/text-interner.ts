import { readUtf8String } from './ebml-values.js';

// Only short strings are cached: tag names and short values repeat, long values rarely do.
const MAX_CACHED_BYTES = 64;
// At most this many strings per fragment are cached, so memory stays bounded (256 x 64 bytes).
const MAX_ENTRIES = 256;

interface Entry {
  readonly bytes: Uint8Array;
  readonly text: string;
}

/**
 * Decodes the short UTF-8 strings of a fragment's tags, reusing the string decoded at the same
 * position in the previous fragment when the bytes are the same. GetMedia repeats the same tags in
 * the same order in every fragment, so most strings cost one byte comparison instead of a decode and
 * an allocation, and equal strings are shared between fragments. Bounded memory; one per reader.
 */
export class TextInterner {
  private readonly previous: (Entry | undefined)[] = [];
  private position = 0;

  /** Starts a new fragment: positions count from the first string again. */
  restart(): void {
    this.position = 0;
  }

  /** The verbatim UTF-8 decoding of `bytes[start..end)` (see `readUtf8String`). Never throws. */
  text(bytes: Uint8Array, start: number, end: number): string {
    const position = this.position++;
    const length = end - start;
    if (length > MAX_CACHED_BYTES || position >= MAX_ENTRIES) return readUtf8String(bytes, start, end);
    const entry = this.previous[position];
    if (entry !== undefined && sameBytes(entry.bytes, bytes, start, end)) return entry.text;
    const text = readUtf8String(bytes, start, end);
    // Uint8Array#slice copies (Buffer#slice would only view the caller's chunk).
    this.previous[position] = { bytes: Uint8Array.prototype.slice.call(bytes, start, end), text };
    return text;
  }
}

/** True when `text` is exactly the (ASCII) bytes `bytes[start..end)`; lets a caller reuse a string. */
export function isSameAscii(text: string, bytes: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

function sameBytes(known: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== bytes[start + i]) return false;
  return true;
}
