import { KinesisWireError } from './kinesis.errors.js';
import { KVS_MAX_NEXT_TOKEN_LENGTH } from './kinesis.limits.js';

/**
 * `NextToken` codecs of ListStreams and ListFragments.
 *
 * Tokens are opaque to clients and self-contained: an encoded JSON cursor naming the last item returned, so a
 * page resumes strictly after it even if items were added or evicted in between (no item is repeated; an
 * evicted one cannot be skipped twice). They do not expire (the documentation gives no expiry). ListStreams
 * tokens use standard base64 (its documented pattern is `[a-zA-Z0-9+/=]*`), ListFragments tokens base64url
 * (pattern `[a-zA-Z0-9_.-]+`). Anything that does not decode to a cursor of the right kind is rejected with
 * `InvalidArgumentException`.
 */

/** Where a ListStreams listing resumes. */
export interface StreamsCursor {
  /** Name of the last stream already returned. */
  readonly after: string;
  /** The BEGINS_WITH prefix of the listing, `''` when none (a token is bound to its condition). */
  readonly prefix: string;
}

/** Where a ListFragments listing resumes. */
export interface FragmentsCursor {
  /** Name of the stream listed. */
  readonly stream: string;
  /** Fragment number (decimal) of the last fragment already returned. */
  readonly after: string;
  /** The selector of the first page, re-applied to later pages; `undefined` = every fragment. */
  readonly selector: { readonly type: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP'; readonly start: number; readonly end: number } | undefined;
}

function invalid(): KinesisWireError {
  return new KinesisWireError('InvalidArgumentException', 'NextToken is not valid');
}

function decodeJson(token: string, encoding: 'base64' | 'base64url'): Record<string, unknown> {
  if (token.length === 0 || token.length > KVS_MAX_NEXT_TOKEN_LENGTH) throw invalid();
  const alphabet = encoding === 'base64' ? /^[A-Za-z0-9+/=]+$/ : /^[A-Za-z0-9_-]+$/;
  if (!alphabet.test(token)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, encoding).toString('utf8'));
  } catch {
    // Any decoding failure means the token was not issued by this codec.
    throw invalid();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  return value as Record<string, unknown>;
}

/** Encodes a ListStreams cursor. */
export function encodeStreamsToken(cursor: StreamsCursor): string {
  return Buffer.from(JSON.stringify({ k: 'streams', a: cursor.after, p: cursor.prefix }), 'utf8').toString('base64');
}

/**
 * Decodes a ListStreams token.
 *
 * @throws KinesisWireError `InvalidArgumentException` for anything this codec did not issue.
 */
export function decodeStreamsToken(token: string): StreamsCursor {
  const record = decodeJson(token, 'base64');
  if (record.k !== 'streams' || typeof record.a !== 'string' || typeof record.p !== 'string') throw invalid();
  return { after: record.a, prefix: record.p };
}

/** Encodes a ListFragments cursor. */
export function encodeFragmentsToken(cursor: FragmentsCursor): string {
  const selector = cursor.selector === undefined ? null : [cursor.selector.type, cursor.selector.start, cursor.selector.end];
  return Buffer.from(JSON.stringify({ k: 'fragments', s: cursor.stream, a: cursor.after, f: selector }), 'utf8').toString('base64url');
}

/**
 * Decodes a ListFragments token.
 *
 * @throws KinesisWireError `InvalidArgumentException` for anything this codec did not issue.
 */
export function decodeFragmentsToken(token: string): FragmentsCursor {
  const record = decodeJson(token, 'base64url');
  if (record.k !== 'fragments' || typeof record.s !== 'string' || typeof record.a !== 'string' || !/^[0-9]{1,128}$/.test(record.a)) {
    throw invalid();
  }
  const raw = record.f;
  if (raw === null) return { stream: record.s, after: record.a, selector: undefined };
  if (!Array.isArray(raw) || raw.length !== 3) throw invalid();
  const [type, start, end] = raw as unknown[];
  if ((type !== 'SERVER_TIMESTAMP' && type !== 'PRODUCER_TIMESTAMP') || typeof start !== 'number' || typeof end !== 'number') throw invalid();
  return { stream: record.s, after: record.a, selector: { type, start, end } };
}
