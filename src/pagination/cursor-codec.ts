import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../core/domain-error.js';

/**
 * What an edge cursor remembers: enough to re-read the provider page the edge came from and skip to just
 * after it. That makes every edge a resume point, not only the page end.
 */
export interface CursorPosition {
  /** Provider page token that produced the edge's page; `null` for the first page. */
  readonly token: string | null;
  /** Page size asked of the provider for that page (offsets are only meaningful with the same size). */
  readonly pageSize: number;
  /** Zero-based index of the edge within that provider page. */
  readonly offset: number;
  /** When the provider issued `token`, epoch ms (used for token expiry); 0 for the first page. */
  readonly tokenIssuedAt: number;
  /**
   * Set only on the last edge of a provider page that had a following page: that page's token and issue time,
   * so resuming after this edge starts on the next page directly instead of re-reading this one.
   */
  readonly next?: { readonly token: string; readonly issuedAt: number } | undefined;
}

const VERSION = 1;
const MAC_BYTES = 16;
const CURSOR_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Encodes and verifies opaque, signed cursors. A cursor is bound to one list (e.g. `objects:/vod/`) and to the
 * tenant it was issued to: the MAC covers both, so a cursor replayed against another list, or by another
 * tenant, fails verification.
 *
 * Format: `base64url(json) "." base64url(hmac-sha256(key, tenant NUL listKey NUL json)[0..16])`. The payload is not secret,
 * only tamper-proof; provider tokens inside it are opaque provider data, not credentials.
 */
export class CursorCodec {
  /** @param tenant the tenant cursors are bound to; '*' for callers that reach every tenant. */
  constructor(
    private readonly key: Buffer,
    private readonly tenant = '*',
  ) {}

  /** The same codec bound to `tenant`: its cursors verify only for that tenant. */
  forTenant(tenant: string): CursorCodec {
    return tenant === this.tenant ? this : new CursorCodec(this.key, tenant);
  }

  /** Returns the cursor string for `position` in the list `listKey`. */
  encode(listKey: string, position: CursorPosition): string {
    const fields: unknown[] = [VERSION, position.token, position.pageSize, position.offset, position.tokenIssuedAt];
    if (position.next !== undefined) fields.push(position.next.token, position.next.issuedAt);
    const json = JSON.stringify(fields);
    const body = Buffer.from(json, 'utf8');
    return `${body.toString('base64url')}.${this.mac(listKey, body).toString('base64url')}`;
  }

  /**
   * Verifies and decodes a cursor that must belong to `listKey`.
   * @throws DomainError `CURSOR_INVALID` when the cursor is malformed, tampered with, or from another list.
   */
  decode(listKey: string, cursor: string): CursorPosition {
    const invalid = (): DomainError => new DomainError('CURSOR_INVALID', 'The cursor is not valid for this list.');
    if (cursor.length > 4096) throw invalid();
    // Exactly one canonical spelling: Node's base64 decoder silently skips padding, whitespace and foreign
    // characters and ignores the unused low bits of the last character, so without this check many different
    // strings would verify as the same cursor.
    if (!CURSOR_SHAPE.test(cursor)) throw invalid();
    const dot = cursor.indexOf('.');
    const body = Buffer.from(cursor.slice(0, dot), 'base64url');
    const mac = Buffer.from(cursor.slice(dot + 1), 'base64url');
    if (`${body.toString('base64url')}.${mac.toString('base64url')}` !== cursor) throw invalid();
    const expected = this.mac(listKey, body);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw invalid();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new DomainError('CURSOR_INVALID', 'The cursor is not valid for this list.', { cause: error });
    }
    if (!Array.isArray(parsed) || (parsed.length !== 5 && parsed.length !== 7) || parsed[0] !== VERSION) throw invalid();
    const [, token, pageSize, offset, tokenIssuedAt, nextToken, nextIssuedAt] = parsed as unknown[];
    if (
      (token !== null && typeof token !== 'string') ||
      !isNonNegativeInt(pageSize) ||
      pageSize === 0 ||
      !isNonNegativeInt(offset) ||
      !isNonNegativeInt(tokenIssuedAt)
    ) {
      throw invalid();
    }
    if (parsed.length === 5) return { token, pageSize, offset, tokenIssuedAt };
    if (typeof nextToken !== 'string' || !isNonNegativeInt(nextIssuedAt)) throw invalid();
    return { token, pageSize, offset, tokenIssuedAt, next: { token: nextToken, issuedAt: nextIssuedAt } };
  }

  private mac(listKey: string, body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(this.tenant).update('\0').update(listKey).update('\0').update(body).digest().subarray(0, MAC_BYTES);
  }
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
