import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * ListObjectsV2 continuation tokens. S3 documents them as obfuscated and opaque, says nothing of their lifetime
 * and documents no expiry; these are signed with a per-instance secret, name the key or common prefix the page
 * ended with, and are bound to the bucket, prefix and delimiter of the listing that issued them.
 */

/** Where a listing resumes. */
export interface ListPosition {
  readonly bucket: string;
  readonly prefix: string;
  readonly delimiter: string;
  /** The last key or common prefix returned. */
  readonly key: string;
  /** Whether `key` is a common prefix (everything under it was rolled up and is skipped on resume). */
  readonly rolledUp: boolean;
}

/** Issues and reads continuation tokens of one emulator instance. */
export class ContinuationTokens {
  private readonly secret = randomBytes(32);

  /** An opaque token resuming after `position`. */
  issue(position: ListPosition): string {
    const payload = Buffer.from(JSON.stringify([position.bucket, position.prefix, position.delimiter, position.key, position.rolledUp ? 1 : 0])).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /**
   * Reads `token` for a listing of `bucket` with `prefix` and `delimiter`.
   * @returns the position, or `undefined` when the token was not issued by this instance for that listing.
   */
  read(token: string, listing: { readonly bucket: string; readonly prefix: string; readonly delimiter: string }): ListPosition | undefined {
    const [payload, mac, extra] = token.split('.');
    if (payload === undefined || mac === undefined || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      // Signed by us, so this cannot happen short of a key collision; treat it like any foreign token.
      return undefined;
    }
    if (!Array.isArray(fields) || fields.length !== 5) return undefined;
    const [bucket, prefix, delimiter, key, rolledUp] = fields as unknown[];
    if (typeof bucket !== 'string' || typeof prefix !== 'string' || typeof delimiter !== 'string' || typeof key !== 'string') return undefined;
    if (bucket !== listing.bucket || prefix !== listing.prefix || delimiter !== listing.delimiter) return undefined;
    return { bucket, prefix, delimiter, key, rolledUp: rolledUp === 1 };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 22);
  }
}
