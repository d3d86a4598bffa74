import { S3WireError } from './s3.errors.js';
import { S3_MAX_PRESIGN_EXPIRES_SECONDS } from './s3.limits.js';

/**
 * Request authentication as far as the emulator checks it: a SigV4 `Authorization` header of the right shape, or
 * presigned query parameters (`X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires`, `-SignedHeaders`,
 * `-Signature`) that have not expired. Signatures are not verified (nor are they by s3rver 3.7.1, the second opinion).
 */

/** How a request authenticated. */
export type AuthKind = 'header' | 'query' | 'none';

/** The result of {@link checkRequestAuth}: how the request authenticated, and the error to answer if it fails. */
export interface AuthCheck {
  readonly kind: AuthKind;
  readonly error: S3WireError | undefined;
}

/** `YYYYMMDDTHHMMSSZ` as epoch milliseconds; `undefined` when malformed. */
function amzDateMs(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const ms = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Checks the authentication of a request at `nowMs`. Anonymous requests get 403 AccessDenied, as a private
 * bucket answers them; a malformed header 400 AuthorizationHeaderMalformed; bad presigned parameters 400
 * AuthorizationQueryParametersError; an expired presigned URL 403 AccessDenied ("Request has expired").
 */
export function checkRequestAuth(header: string | undefined, query: URLSearchParams, nowMs: number): AuthCheck {
  if (header !== undefined && header.trim() !== '') {
    const ok = header.startsWith('AWS4-HMAC-SHA256 ') && header.includes('Credential=') && header.includes('Signature=');
    return { kind: 'header', error: ok ? undefined : new S3WireError('AuthorizationHeaderMalformed', 'The authorization header is malformed.') };
  }
  if (!query.has('X-Amz-Signature') && !query.has('X-Amz-Algorithm')) {
    return { kind: 'none', error: new S3WireError('AccessDenied', 'Access Denied') };
  }
  const malformed = (message: string): AuthCheck => ({ kind: 'query', error: new S3WireError('AuthorizationQueryParametersError', message) });
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return malformed('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  for (const name of ['X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    if ((query.get(name) ?? '') === '') return malformed(`Query-string authentication version 4 requires the ${name} parameter.`);
  }
  const date = amzDateMs(query.get('X-Amz-Date') ?? '');
  if (date === undefined) return malformed('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  const expiresText = query.get('X-Amz-Expires') ?? '';
  const expires = /^\d{1,7}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!(expires >= 1)) return malformed('X-Amz-Expires should be a number');
  if (expires > S3_MAX_PRESIGN_EXPIRES_SECONDS) return malformed('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  if (nowMs > date + expires * 1000) return { kind: 'query', error: new S3WireError('AccessDenied', 'Request has expired') };
  return { kind: 'query', error: undefined };
}
