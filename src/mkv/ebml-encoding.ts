/**
 * EBML encoding primitives (RFC 8794): element ids, variable-size integers and typed elements as
 * Buffers. Masters are returned as lists of Buffers so that large payloads (frame data) are referenced
 * rather than copied; join them with `Buffer.concat` only when one contiguous buffer is needed.
 */

/** Largest size an 8-byte vint can carry (2^56 - 2; all ones is reserved for "unknown"). */
export const MAX_VINT_SIZE = 2 ** 56 - 2;

// The 8-byte "unknown size" marker used for live Segments and Clusters, as Kinesis writes it.
const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/**
 * The wire bytes of an element id (ids carry their own length marker, 1-4 bytes).
 * @throws RangeError when `id` is not a valid 1-4 byte EBML id.
 */
export function encodeId(id: number): Buffer {
  const length = id < 0x100 ? 1 : id < 0x10000 ? 2 : id < 0x1000000 ? 3 : 4;
  const top = Math.floor(id / 2 ** (8 * (length - 1)));
  // The length marker in the first byte must agree with the id's byte length.
  if (!Number.isSafeInteger(id) || id <= 0 || id >= 2 ** 32 || Math.clz32(top) - 23 !== length) {
    throw new RangeError(`invalid EBML id 0x${id.toString(16)}`);
  }
  const out = Buffer.allocUnsafe(length);
  out.writeUIntBE(id, 0, length);
  return out;
}

/**
 * A size as a vint: the shortest form, or exactly `length` bytes when given (Kinesis pads sizes).
 * @throws RangeError when the size is negative, not an integer, or does not fit.
 */
export function encodeSize(size: number, length?: number): Buffer {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_VINT_SIZE) {
    throw new RangeError(`invalid EBML size ${size}`);
  }
  let minimal = 1;
  // Values with all bits set in a length are reserved (unknown size), hence the strict `<`.
  while (size >= 2 ** (7 * minimal) - 1) minimal++;
  const len = length ?? minimal;
  if (len < minimal || len > 8) throw new RangeError(`size ${size} does not fit ${len} bytes`);
  const out = Buffer.alloc(len);
  let rest = size;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  out[0] = (out[0] ?? 0) | (0x80 >> (len - 1));
  return out;
}

/**
 * A variable-size unsigned integer as used for block track numbers (same encoding as sizes).
 * @throws RangeError when `value` is not a safe non-negative integer.
 */
export function encodeVint(value: number): Buffer {
  return encodeSize(value);
}

/** Id + size header for a payload of `size` bytes. @throws RangeError as {@link encodeId}/{@link encodeSize}. */
export function elementHeader(id: number, size: number): Buffer {
  return Buffer.concat([encodeId(id), encodeSize(size)]);
}

/** A binary element; the payload is copied into the returned Buffer. */
export function binaryElement(id: number, payload: Uint8Array): Buffer {
  return Buffer.concat([elementHeader(id, payload.length), payload]);
}

/**
 * An unsigned integer element in the fewest bytes (0 is encoded as one zero byte).
 * @throws RangeError when `value` is negative or not a safe integer (use a bigint for UIDs).
 */
export function uintElement(id: number, value: number | bigint): Buffer {
  let rest = BigInt(value);
  if (rest < 0n || rest >= 2n ** 64n) throw new RangeError(`unsigned integer ${value} out of range`);
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`unsigned integer ${value} is not safe`);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  } while (rest > 0n);
  return binaryElement(id, Uint8Array.from(bytes));
}

/** A signed integer element in the fewest bytes (two's complement). @throws RangeError unless a safe integer. */
export function intElement(id: number, value: number): Buffer {
  if (!Number.isSafeInteger(value)) throw new RangeError(`signed integer ${value} is not safe`);
  let length = 1;
  while (length < 8 && (value < -(2 ** (8 * length - 1)) || value >= 2 ** (8 * length - 1))) length++;
  const full = Buffer.allocUnsafe(8);
  full.writeBigInt64BE(BigInt(value), 0);
  return binaryElement(id, full.subarray(8 - length));
}

/** A float element as an 8-byte IEEE-754 double. */
export function floatElement(id: number, value: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeDoubleBE(value, 0);
  return binaryElement(id, payload);
}

/** A String (ASCII) or UTF-8 element; the text is written as UTF-8 without padding. */
export function stringElement(id: number, text: string): Buffer {
  return binaryElement(id, Buffer.from(text, 'utf8'));
}

/** Total byte length of a list of Buffers. */
export function byteLength(parts: readonly Uint8Array[]): number {
  let total = 0;
  for (const part of parts) total += part.length;
  return total;
}

/**
 * A master element of known size: its header followed by the children, which are referenced, not
 * copied. @throws RangeError when the total size does not fit a vint.
 */
export function masterElement(id: number, children: readonly Buffer[]): Buffer[] {
  return [elementHeader(id, byteLength(children)), ...children];
}

/** The header of an unknown-size master (8-byte all-ones size), for streamed Segments and Clusters. */
export function unknownSizeHeader(id: number): Buffer {
  return Buffer.concat([encodeId(id), UNKNOWN_SIZE]);
}
