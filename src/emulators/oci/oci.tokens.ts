import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The two opaque tokens the emulator issues: list page tokens (`opc-next-page`) and Media Streams session
 * tokens. Both are HMAC-signed with a per-instance secret, so a token is valid only for the emulator that
 * issued it and cannot be edited by a client.
 */

function mac(secret: Buffer, text: string): Buffer {
  return createHmac('sha256', secret).update(text).digest().subarray(0, 16);
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Page tokens: encode the offset of the next item, bound to the list they came from (operation, filters
 * and sort). Tokens do not expire (the OCI reference gives no lifetime). `limit` is not part of the
 * binding: a client may change its page size between pages.
 */
export class PageTokenCodec {
  constructor(private readonly secret: Buffer = randomBytes(32)) {}

  /** The token for the page starting at `offset` of the list identified by `listKey`. */
  encode(listKey: string, offset: number): string {
    const body = String(offset);
    const signature = mac(this.secret, `${listKey}\n${body}`).toString('base64url');
    return Buffer.from(`${body}.${signature}`, 'utf8').toString('base64url');
  }

  /** The offset `token` encodes, or `undefined` when it is malformed, forged or from another list. */
  decode(listKey: string, token: string): number | undefined {
    const text = Buffer.from(token, 'base64url').toString('utf8');
    const dot = text.indexOf('.');
    if (dot < 0) return undefined;
    const body = text.slice(0, dot);
    const offset = Number(body);
    if (!Number.isSafeInteger(offset) || offset < 0 || String(offset) !== body) return undefined;
    const expected = mac(this.secret, `${listKey}\n${body}`);
    return sameBytes(Buffer.from(text.slice(dot + 1), 'base64url'), expected) ? offset : undefined;
  }
}

/** What a Media Streams session token grants. */
export interface SessionTokenClaims {
  /** Distribution channel the token was issued on. */
  readonly channelId: string;
  /** Packaging configuration the token is limited to. */
  readonly packagingConfigId: string;
  /** Media assets the token is limited to; empty = every asset. */
  readonly assetIds: readonly string[];
  /** `PLAYLIST` and/or `EDGE`. */
  readonly scopes: readonly string[];
  /** Expiry, epoch milliseconds. */
  readonly expiresAtMs: number;
}

function isClaims(value: unknown): value is SessionTokenClaims {
  if (typeof value !== 'object' || value === null) return false;
  const claims = value as Record<string, unknown>;
  return (
    typeof claims.channelId === 'string' &&
    typeof claims.packagingConfigId === 'string' &&
    Array.isArray(claims.assetIds) &&
    claims.assetIds.every((id) => typeof id === 'string') &&
    Array.isArray(claims.scopes) &&
    claims.scopes.every((scope) => typeof scope === 'string') &&
    typeof claims.expiresAtMs === 'number'
  );
}

/**
 * Session tokens: `base64url(JSON claims) "." base64url(HMAC)`, shaped like a compact JWS so tokens look
 * like what players pass around; the claims are readable but not editable.
 */
export class SessionTokenCodec {
  constructor(private readonly secret: Buffer = randomBytes(32)) {}

  /** Issues a token carrying `claims`. */
  issue(claims: SessionTokenClaims): string {
    const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
    return `${body}.${mac(this.secret, body).toString('base64url')}`;
  }

  /** The claims of `token`, or `undefined` when it is malformed or was not issued by this codec. */
  read(token: string): SessionTokenClaims | undefined {
    const dot = token.indexOf('.');
    if (dot < 0) return undefined;
    const body = token.slice(0, dot);
    if (!sameBytes(Buffer.from(token.slice(dot + 1), 'base64url'), mac(this.secret, body))) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      // Only reachable with a valid MAC over a non-JSON body, i.e. never for tokens this codec issued.
      return undefined;
    }
    return isClaims(parsed) ? parsed : undefined;
  }
}
