import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * ListItems `NextToken` codec.
 *
 * A token is self-contained and signed: `base64url(JSON payload) "." base64url(HMAC-SHA256)`, keyed with a
 * secret drawn per emulator instance, so tokens from another instance, edited tokens and made-up strings
 * are all rejected. The payload names the folder listed, the key of the last item returned (name + type,
 * so the next page resumes after it even if items were added or removed in between) and the issue time,
 * from which expiry is computed against the emulator's clock.
 */

/** Where a listing resumes: strictly after this (name, type) key, in the folder `folder`. */
export interface ListCursor {
  /** Normalised folder path the listing belongs to (`''` = root). */
  readonly folder: string;
  /** Name of the last item already returned. */
  readonly afterName: string;
  /** Type of the last item already returned (a folder and an object may share a name). */
  readonly afterType: 'FOLDER' | 'OBJECT';
}

/** Why a token was refused. */
export type TokenRejection = 'invalid' | 'expired';

/** Result of reading a token. */
export type TokenReading =
  | { readonly ok: true; readonly cursor: ListCursor }
  | { readonly ok: false; readonly rejection: TokenRejection };

interface TokenPayload {
  readonly v: 1;
  readonly f: string;
  readonly n: string;
  readonly t: 'FOLDER' | 'OBJECT';
  readonly i: number;
}

function isPayload(value: unknown): value is TokenPayload {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    record.v === 1 &&
    typeof record.f === 'string' &&
    typeof record.n === 'string' &&
    (record.t === 'FOLDER' || record.t === 'OBJECT') &&
    typeof record.i === 'number' &&
    Number.isFinite(record.i)
  );
}

/** Issues and checks ListItems tokens for one emulator instance. */
export class ListTokenCodec {
  private readonly secret = randomBytes(32);

  /**
   * @param ttlMs token lifetime in milliseconds; a token is expired once `now() - issuedAt >= ttlMs`.
   * @param now clock in epoch milliseconds (injectable so tests can move time).
   */
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Issues a token resuming after `cursor`, stamped with the current clock. */
  issue(cursor: ListCursor): string {
    const payload: TokenPayload = { v: 1, f: cursor.folder, n: cursor.afterName, t: cursor.afterType, i: this.now() };
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /**
   * Reads a token presented with a listing of `folder`.
   *
   * @returns the cursor; or `invalid` (malformed, bad signature, issued for another folder); or `expired` (genuine but older than the TTL). Never throws.
   */
  read(token: string, folder: string): TokenReading {
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, rejection: 'invalid' };
    const body = token.slice(0, dot);
    const presented = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(body), 'base64url');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      return { ok: false, rejection: 'invalid' };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch (error: unknown) {
      // Unreachable for tokens we signed; a SyntaxError here still only means "not one of ours".
      if (error instanceof SyntaxError) return { ok: false, rejection: 'invalid' };
      throw error;
    }
    if (!isPayload(parsed) || parsed.f !== folder) return { ok: false, rejection: 'invalid' };
    // A negative age only happens when a test moves the injected clock backwards; the token is still ours.
    const age = this.now() - parsed.i;
    if (age >= this.ttlMs) return { ok: false, rejection: 'expired' };
    return { ok: true, cursor: { folder: parsed.f, afterName: parsed.n, afterType: parsed.t } };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
