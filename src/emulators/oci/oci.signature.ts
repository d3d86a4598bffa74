import { createHash, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Verification of OCI request signatures (signature version 1).
 *
 * OCI signs requests with draft-cavage-http-signatures-08, using the `Signature` authentication scheme
 * in the `Authorization` header (not the `Signature` header of the draft):
 *
 *   Authorization: Signature version="1",keyId="<tenancy>/<user>/<fingerprint>",algorithm="rsa-sha256",
 *                  headers="date (request-target) host",signature="<base64>"
 *
 * The signing string is one line per name listed in `headers`, in that order, joined by `\n`:
 * `(request-target): <lower-case method> <path and query as sent>` for the pseudo-header, and
 * `<lower-case name>: <value>` for real headers. The signature is RSASSA-PKCS1-v1_5 over SHA-256 of that
 * string with the user's private key.
 *
 * OCI's rules on top of the draft, all enforced here:
 * - the signed headers must include `(request-target)`, `host` and one of `date` / `x-date`;
 * - PUT, POST and PATCH must also sign `content-length`, `content-type` and `x-content-sha256`
 *   (base64 SHA-256 of the body);
 * - the request date must be within 5 minutes of the service clock;
 * - any failure is a 401 NotAuthenticated that does not say which rule failed.
 */

/** Allowed distance between the request's date and the service clock (OCI: 5 minutes). */
export const OCI_MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Why a signature was refused (recorded in the emulator's request log; never sent to the client). */
export type SignatureFailure =
  | 'missing-authorization'
  | 'malformed-authorization'
  | 'unsupported-version'
  | 'unsupported-algorithm'
  | 'missing-required-header'
  | 'unknown-key'
  | 'bad-date'
  | 'stale-date'
  | 'content-length-mismatch'
  | 'body-hash-mismatch'
  | 'bad-signature';

/** Outcome of {@link verifyOciSignature}; `keyId` is set whenever the header carried one. */
export type SignatureCheck =
  | { readonly ok: true; readonly keyId: string }
  | { readonly ok: false; readonly reason: SignatureFailure; readonly keyId: string | undefined };

/** The parts of a received request a signature covers. */
export interface SignedRequest {
  /** HTTP method as received, e.g. `GET`. */
  readonly method: string;
  /** Request-target exactly as received on the request line (path plus `?query`, still encoded). */
  readonly target: string;
  /** Headers as Node parsed them (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** The complete request body (empty for GET). */
  readonly body: Buffer;
}

/** Methods whose body OCI requires to be covered by the signature. */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Parses the parameters of a `Signature` Authorization header into a map.
 * Grammar (draft-cavage §4.1): `Signature` SP param *( "," param ), param = token "=" quoted-string.
 * Values never contain `"` (base64, OCIDs, header lists), so no escape handling is needed; a duplicate
 * or unterminated parameter makes the whole header malformed.
 *
 * @returns the parameters by lower-case name, or `undefined` when the header is not well-formed.
 */
export function parseSignatureHeader(header: string): Map<string, string> | undefined {
  const scheme = 'signature ';
  // The scheme name is case-insensitive (RFC 7235); OCI's SDKs always send `Signature`.
  if (header.slice(0, scheme.length).toLowerCase() !== scheme) return undefined;
  const params = new Map<string, string>();
  let position = scheme.length;
  while (position < header.length) {
    // Optional whitespace before each parameter (some signers emit `, ` between parameters).
    while (header[position] === ' ') position += 1;
    const equals = header.indexOf('=', position);
    if (equals < 0) return undefined;
    const name = header.slice(position, equals).trim().toLowerCase();
    if (name === '' || header[equals + 1] !== '"') return undefined;
    const close = header.indexOf('"', equals + 2);
    if (close < 0) return undefined;
    if (params.has(name)) return undefined;
    params.set(name, header.slice(equals + 2, close));
    position = close + 1;
    while (header[position] === ' ') position += 1;
    if (position < header.length) {
      // Parameters are comma-separated; anything else after a closing quote is garbage.
      if (header[position] !== ',') return undefined;
      position += 1;
    }
  }
  return params;
}

/** A single header value as it is signed: repeated headers are joined the way Node joins them (`, `). */
function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Builds the draft-cavage signing string for `names` (already lower-cased).
 *
 * @returns the string, or `undefined` when a listed header is absent or empty (the draft makes that an
 *   error rather than signing an empty value).
 */
export function buildSigningString(names: readonly string[], request: SignedRequest): string | undefined {
  const lines: string[] = [];
  for (const name of names) {
    if (name === '(request-target)') {
      lines.push(`(request-target): ${request.method.toLowerCase()} ${request.target}`);
      continue;
    }
    const value = headerValue(request.headers, name);
    if (value === undefined || value === '') return undefined;
    lines.push(`${name}: ${value}`);
  }
  return lines.join('\n');
}

/** Constant-time comparison of two strings (avoids leaking how much of a digest matched). */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Verifies the OCI signature of `request`.
 *
 * @param request the received request, body included.
 * @param publicKeyFor looks up the registered public key of a `keyId`; `undefined` = unknown key.
 * @param nowMs the service clock, epoch milliseconds.
 * @param maxSkewMs allowed clock distance; default {@link OCI_MAX_CLOCK_SKEW_MS}.
 * @returns `{ ok: true, keyId }`, or the first rule the request breaks. Never throws on client input.
 */
export function verifyOciSignature(
  request: SignedRequest,
  publicKeyFor: (keyId: string) => KeyObject | undefined,
  nowMs: number,
  maxSkewMs: number = OCI_MAX_CLOCK_SKEW_MS,
): SignatureCheck {
  const authorization = headerValue(request.headers, 'authorization');
  if (authorization === undefined || authorization.trim() === '') {
    return { ok: false, reason: 'missing-authorization', keyId: undefined };
  }
  const params = parseSignatureHeader(authorization);
  if (params === undefined) return { ok: false, reason: 'malformed-authorization', keyId: undefined };
  const keyId = params.get('keyid');
  const fail = (reason: SignatureFailure): SignatureCheck => ({ ok: false, reason, keyId });
  const signature = params.get('signature');
  if (keyId === undefined || keyId === '' || signature === undefined || signature === '') {
    return fail('malformed-authorization');
  }
  // OCI signature version 1 is the only one; the SDKs always send it, so its absence is an error too.
  if (params.get('version') !== '1') return fail('unsupported-version');
  // `algorithm` is informational in later drafts, but OCI names exactly one and rejects others.
  if ((params.get('algorithm') ?? '').toLowerCase() !== 'rsa-sha256') return fail('unsupported-algorithm');

  // draft-cavage: an absent `headers` parameter means "date" only, which can never satisfy OCI's minimum.
  // Names are case-insensitive: the TypeScript SDK lists `Content-Type Content-Length` in mixed case but
  // signs them lower-cased, as the draft requires.
  const names = (params.get('headers') ?? 'date')
    .split(' ')
    .filter((name) => name !== '')
    .map((name) => name.toLowerCase());
  const signed = new Set(names);
  const method = request.method.toUpperCase();
  const required = ['(request-target)', 'host'];
  if (BODY_METHODS.has(method)) required.push('content-length', 'content-type', 'x-content-sha256');
  if (required.some((name) => !signed.has(name)) || !(signed.has('date') || signed.has('x-date'))) {
    return fail('missing-required-header');
  }

  // Unknown keys are refused before any further work on the request; the answer is the same 401 either way.
  const publicKey = publicKeyFor(keyId);
  if (publicKey === undefined) return fail('unknown-key');

  // `x-date` exists for clients that cannot set `Date` (browsers); when both are present it is the one
  // OCI reads, and it must itself be signed.
  const dateName = signed.has('x-date') ? 'x-date' : 'date';
  const dateText = headerValue(request.headers, dateName);
  const dateMs = dateText === undefined ? Number.NaN : Date.parse(dateText);
  if (!Number.isFinite(dateMs)) return fail('bad-date');
  if (Math.abs(nowMs - dateMs) > maxSkewMs) return fail('stale-date');

  if (BODY_METHODS.has(method)) {
    // The signature covers the body only through these two headers, so both must describe the body
    // actually received; otherwise a replayed signature could carry a different payload.
    if (headerValue(request.headers, 'content-length') !== String(request.body.length)) {
      return fail('content-length-mismatch');
    }
    const digest = createHash('sha256').update(request.body).digest('base64');
    if (!sameText(headerValue(request.headers, 'x-content-sha256') ?? '', digest)) return fail('body-hash-mismatch');
  }

  const signingString = buildSigningString(names, request);
  if (signingString === undefined) return fail('missing-required-header');
  let valid: boolean;
  try {
    // RSA keys default to PKCS#1 v1.5 padding in node:crypto, which is what `rsa-sha256` means.
    valid = verify('sha256', Buffer.from(signingString, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    // A non-RSA key registered by mistake, or a signature of the wrong length: not a valid signature.
    valid = false;
  }
  return valid ? { ok: true, keyId } : fail('bad-signature');
}
