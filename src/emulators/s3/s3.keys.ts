/**
 * Key order and key checks. S3 lists keys in UTF-8 binary order. JavaScript compares strings by UTF-16 code
 * units, which agrees with UTF-8 byte order except between a surrogate (U+D800-U+DFFF, the halves of characters
 * above U+FFFF) and a unit from U+E000-U+FFFF; {@link compareKeys} corrects exactly that case.
 */

import { S3_MAX_KEY_BYTES } from './s3.limits.js';

/** Compares two keys in UTF-8 byte order: negative, zero or positive. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    let x = a.charCodeAt(index);
    let y = b.charCodeAt(index);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates encode code points above U+FFFF: they sort after U+E000-U+FFFF in code point (= UTF-8) order.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** The smallest string greater than every string that starts with `prefix` (`''` has none: `undefined`). */
export function prefixUpperBound(prefix: string): string | undefined {
  for (let index = prefix.length - 1; index >= 0; index -= 1) {
    const unit = prefix.charCodeAt(index);
    if (unit < 0xffff) return prefix.slice(0, index) + String.fromCharCode(unit + 1);
  }
  return undefined;
}

/**
 * Why `key` cannot name an object, or `undefined` when it can: 1 to 1024 UTF-8 bytes (S3's limit). S3 accepts
 * any other key, `..` and `//` included; refusing those is the gateway's job.
 */
export function keyProblem(key: string): string | undefined {
  if (key === '') return 'empty key';
  if (Buffer.byteLength(key, 'utf8') > S3_MAX_KEY_BYTES) return `key longer than ${S3_MAX_KEY_BYTES} bytes`;
  return undefined;
}

/**
 * Whether `name` follows the general purpose bucket naming rules: 3-63 characters of lowercase letters, digits,
 * dots and hyphens, starting and ending with a letter or digit, no two adjacent dots, not an IPv4 address.
 */
export function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}
