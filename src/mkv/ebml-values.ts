/**
 * Decoders for EBML leaf payloads (RFC 8794 section 7). They read a payload view handed to a visitor
 * (valid only during the callback) and return plain values, so nothing keeps the view alive.
 */

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/**
 * Big-endian unsigned integer of 0-8 bytes (an empty payload is 0, per RFC 8794). Values above
 * 2^53 lose precision; use {@link readUintBig} when every bit matters (UIDs).
 * @throws RangeError when the payload is longer than 8 bytes.
 */
export function readUint(data: Uint8Array): number {
  if (data.length > 8) throw new RangeError(`unsigned integer of ${data.length} bytes (max 8)`);
  let value = 0;
  for (let i = 0; i < data.length; i++) value = value * 256 + (data[i] ?? 0);
  return value;
}

/**
 * Big-endian unsigned integer of 0-8 bytes as a bigint (exact).
 * @throws RangeError when the payload is longer than 8 bytes.
 */
export function readUintBig(data: Uint8Array): bigint {
  if (data.length > 8) throw new RangeError(`unsigned integer of ${data.length} bytes (max 8)`);
  let value = 0n;
  for (let i = 0; i < data.length; i++) value = (value << 8n) | BigInt(data[i] ?? 0);
  return value;
}

/**
 * Big-endian two's-complement signed integer of 0-8 bytes (precision as {@link readUint}).
 * @throws RangeError when the payload is longer than 8 bytes.
 */
export function readInt(data: Uint8Array): number {
  if (data.length > 8) throw new RangeError(`signed integer of ${data.length} bytes (max 8)`);
  if (data.length === 0) return 0;
  // Sign-extend the first byte, then accumulate: exact whenever the result is a safe integer
  // (subtracting 2^(8n) from the unsigned value would round for 7- and 8-byte values).
  const first = data[0] ?? 0;
  let value = first >= 0x80 ? first - 256 : first;
  for (let i = 1; i < data.length; i++) value = value * 256 + (data[i] ?? 0);
  return value;
}

/**
 * IEEE-754 float of 0 (value 0), 4 or 8 bytes, big-endian.
 * @throws RangeError for any other length.
 */
export function readFloat(data: Uint8Array): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (data.length) {
    case 0:
      return 0;
    case 4:
      return view.getFloat32(0);
    case 8:
      return view.getFloat64(0);
    default:
      throw new RangeError(`float of ${data.length} bytes (must be 0, 4 or 8)`);
  }
}

/** Index just past the last non-NUL byte: EBML strings may be padded with trailing zero bytes. */
function unpaddedLength(data: Uint8Array): number {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return end;
}

/** An EBML String (printable ASCII) with its trailing NUL padding removed. Never throws. */
export function readAsciiString(data: Uint8Array): string {
  return latin1.decode(data.subarray(0, unpaddedLength(data)));
}

/**
 * An EBML UTF-8 string decoded verbatim (malformed sequences become U+FFFD). Trailing NULs are kept:
 * Kinesis tag values carry them (a DURATION tag ends in two NULs) and callers compare exact text.
 * Never throws.
 */
export function readUtf8String(data: Uint8Array): string {
  return utf8.decode(data);
}
