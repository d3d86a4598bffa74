/**
 * HTTP conditional requests (RFC 9110 section 13): entity-tag and date preconditions, evaluated in the order
 * section 13.2.2 prescribes, for the byte endpoints and the S3 emulator. Pure functions over header values and a
 * representation's validators.
 */

/** The validators of a selected representation. */
export interface Validators {
  /** Its entity tag, quoted (`"abc"`) or not (`abc`, treated as the strong tag `"abc"`); `undefined` when unknown. */
  readonly eTag: string | undefined;
  /** When it last changed; compared at whole seconds, the resolution of HTTP dates. */
  readonly lastModified: Date | undefined;
}

/** The precondition headers of a request (first value of each). */
export interface ConditionalHeaders {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
}

/** The outcome of the preconditions: go on, answer 304 Not Modified, or answer 412 Precondition Failed. */
export type PreconditionOutcome = 'proceed' | 'not-modified' | 'failed';

/** An entity tag in its quoted form: a bare value gets quotes, a quoted or weak (`W/"..."`) one is kept. */
export function quoteETag(eTag: string): string {
  return eTag.startsWith('"') || eTag.startsWith('W/"') ? eTag : `"${eTag}"`;
}

interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

function parseTag(text: string): EntityTag | undefined {
  const match = /^(W\/)?("[^"]*")$/.exec(text.trim());
  return match?.[2] === undefined ? undefined : { weak: match[1] !== undefined, opaque: match[2] };
}

/** The tags of an `If-Match`/`If-None-Match` value: `'*'`, or the list (unparsable members dropped). */
function parseTagList(value: string): '*' | EntityTag[] {
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  for (const member of value.match(/(?:W\/)?"[^"]*"/g) ?? []) {
    const tag = parseTag(member);
    if (tag !== undefined) tags.push(tag);
  }
  return tags;
}

function currentTag(validators: Validators): EntityTag | undefined {
  return validators.eTag === undefined ? undefined : parseTag(quoteETag(validators.eTag));
}

function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** Seconds since the epoch of an HTTP-date, `undefined` when the value is not one (the header is then ignored). */
function httpDateSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function modifiedSeconds(validators: Validators): number | undefined {
  return validators.lastModified === undefined ? undefined : Math.floor(validators.lastModified.getTime() / 1000);
}

/**
 * Evaluates the preconditions of a request for an existing representation, in RFC 9110's order: `If-Match`
 * (else `If-Unmodified-Since`), then `If-None-Match` (else `If-Modified-Since`, for GET and HEAD only).
 * `If-None-Match` failing answers 304 for GET and HEAD and 412 for other methods.
 */
export function evaluatePreconditions(method: string, headers: ConditionalHeaders, validators: Validators): PreconditionOutcome {
  const safe = method === 'GET' || method === 'HEAD';
  const tag = currentTag(validators);
  if (headers.ifMatch !== undefined) {
    const wanted = parseTagList(headers.ifMatch);
    const matched = wanted === '*' ? true : tag !== undefined && wanted.some((candidate) => strongMatch(candidate, tag));
    if (!matched) return 'failed';
  } else {
    const since = httpDateSeconds(headers.ifUnmodifiedSince);
    const modified = modifiedSeconds(validators);
    if (since !== undefined && modified !== undefined && modified > since) return 'failed';
  }
  if (headers.ifNoneMatch !== undefined) {
    const unwanted = parseTagList(headers.ifNoneMatch);
    // Weak comparison: W/"x" and "x" denote the same content for caching purposes.
    const matched = unwanted === '*' ? true : tag !== undefined && unwanted.some((candidate) => candidate.opaque === tag.opaque);
    if (matched) return safe ? 'not-modified' : 'failed';
  } else if (safe) {
    const since = httpDateSeconds(headers.ifModifiedSince);
    const modified = modifiedSeconds(validators);
    if (since !== undefined && modified !== undefined && modified <= since) return 'not-modified';
  }
  return 'proceed';
}

/**
 * Whether a `Range` may be served under `If-Range` (RFC 9110 13.1.5): without the header, always; with an entity
 * tag, when it strongly matches; with a date, when it equals the last modification exactly. Otherwise the whole
 * representation is sent.
 */
export function ifRangeHolds(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const wanted = parseTag(value);
    const tag = currentTag(validators);
    return wanted !== undefined && tag !== undefined && strongMatch(wanted, tag);
  }
  const date = httpDateSeconds(value);
  const modified = modifiedSeconds(validators);
  return date !== undefined && modified !== undefined && date === modified;
}
