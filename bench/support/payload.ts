/**
 * Deterministic benchmark data. The emulator process stores what these functions produce and the benchmark
 * recomputes it on its own side, so a download is checked against bytes that never travelled over IPC.
 */

/** The folder listed by the listing benchmark (holds nothing else). */
export const LISTING_FOLDER = 'bench-listing';

/** Path of the large object the download benchmark fetches (outside the listed folder). */
export const DOWNLOAD_PATH = 'bench-download/payload-25mib.bin';

/** Name of the `index`-th listed object; zero-padded so store order (byte order of names) is index order. */
export function listingName(index: number): string {
  return `item-${String(index).padStart(5, '0')}.json`;
}

/** Small body of the `index`-th listed object. */
export function listingBody(index: number): string {
  return JSON.stringify({ index });
}

/**
 * `size` pseudo-random bytes from a xorshift32 generator seeded with `seed`: incompressible enough that no
 * layer can shortcut it, and fast to regenerate (tens of milliseconds for 25 MiB).
 */
export function payloadBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let state = seed >>> 0 || 1;
  let offset = 0;
  for (; offset + 4 <= size; offset += 4) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes.writeUInt32LE(state, offset);
  }
  for (; offset < size; offset += 1) bytes[offset] = offset & 0xff;
  return bytes;
}
