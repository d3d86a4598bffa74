import { DomainError, isDomainError } from '../../core/domain-error.js';
import { isAbortError, translateByTable, type ProviderErrorFacts, type ProviderErrorRow, type ProviderErrorTable } from '../provider-errors.js';

/**
 * The one error table of the Live Stream provider. Both transports report google.rpc.Code: the gRPC SDK as the
 * numeric call status (`error.code`), the REST API as Google's JSON error (`{error: {code, message, status}}`,
 * surfaced by google-auth-library as a GaxiosError with `response`). Both are reduced to the code's name first,
 * then mapped here.
 */

/** google.rpc.Code names by number. */
const CODE_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** HTTP status -> code name, for REST errors without a `status` (Google's mapping, google/rpc/code.proto). */
const NAME_BY_HTTP: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const CREDENTIALS = 'Live Stream rejected the configured credentials.';

const NOT_FOUND: ProviderErrorRow = { code: 'NOT_FOUND', message: 'The Live Stream resource does not exist.' };

/** Code name -> client code, for both transports. Names not listed become INTERNAL_SERVER_ERROR. */
const LIVESTREAM_ERRORS: ProviderErrorTable = {
  byName: {
    NOT_FOUND,
    ALREADY_EXISTS: { code: 'CONFLICT', message: 'A Live Stream resource with this id already exists.' },
    INVALID_ARGUMENT: { code: 'BAD_USER_INPUT', message: 'Live Stream rejected the request arguments.', refusesArgument: true },
    FAILED_PRECONDITION: { code: 'BAD_USER_INPUT', message: 'The Live Stream resource is not in a state that allows this request.' },
    OUT_OF_RANGE: { code: 'BAD_USER_INPUT', message: 'A Live Stream request argument is out of range.', refusesArgument: true },
    // Our own credentials or IAM bindings are wrong: a deployment problem the client cannot fix.
    PERMISSION_DENIED: { code: 'UPSTREAM_UNAVAILABLE', message: CREDENTIALS },
    UNAUTHENTICATED: { code: 'UPSTREAM_UNAVAILABLE', message: CREDENTIALS },
    RESOURCE_EXHAUSTED: { code: 'UPSTREAM_THROTTLED', message: 'Live Stream is throttling requests; retry later.' },
    UNAVAILABLE: { code: 'UPSTREAM_UNAVAILABLE', message: 'Live Stream is unavailable; try again later.' },
    DEADLINE_EXCEEDED: { code: 'UPSTREAM_TIMEOUT', message: 'Live Stream did not answer in time.' },
  },
  unexpected: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected Live Stream error.' },
  // The API's list arguments: a page size and a cursor that wraps the provider's page token.
  argumentNames: { pageSize: 'first', pageToken: 'after' },
};

/**
 * The error a missing Live Stream resource translates to, for callers that must answer a resource they may not
 * see exactly as a missing one (the tenant boundary): same code, same message, no cause.
 */
export function liveStreamNotFoundError(): DomainError {
  return new DomainError(NOT_FOUND.code, NOT_FOUND.message);
}

/** Network failures of the REST transport (no HTTP response at all). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNABORTED']);

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  /** gax: the status message as the service sent it (without the `3 INVALID_ARGUMENT: ` prefix). */
  readonly details?: unknown;
  /** gax: the decoded google.rpc.Status details (e.g. a google.rpc.BadRequest), when the service sent any. */
  readonly statusDetails?: unknown;
  readonly response?: { readonly status?: unknown; readonly data?: unknown };
}

/** The REST error body: `{ error: { code, message, status, details } }`. */
interface RestErrorBody {
  readonly error?: { readonly message?: unknown; readonly status?: unknown; readonly details?: unknown };
}

/** The google.rpc.Code name of a number (`UNKNOWN` outside the table). */
export function statusNameOf(code: number): string {
  return CODE_NAMES[code] ?? 'UNKNOWN';
}

/**
 * The google.rpc.Code name a Live Stream call failed with, from either transport; `UNAVAILABLE` for a REST
 * network failure; `undefined` when `error` carries no status (a bug, an abort).
 */
export function liveStreamStatusOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shape = error as ErrorShape;
  if (typeof shape.response === 'object' && shape.response !== null) {
    const data = shape.response.data as RestErrorBody | null | undefined;
    const status = typeof data === 'object' && data !== null ? data.error?.status : undefined;
    if (typeof status === 'string' && CODE_NAMES.includes(status)) return status;
    return typeof shape.response.status === 'number' ? (NAME_BY_HTTP[shape.response.status] ?? (shape.response.status >= 500 ? 'INTERNAL' : 'UNKNOWN')) : undefined;
  }
  if (typeof shape.code === 'number' && Number.isInteger(shape.code) && shape.code >= 0 && shape.code < CODE_NAMES.length) {
    return CODE_NAMES[shape.code];
  }
  if (typeof shape.code === 'string' && NETWORK_CODES.has(shape.code)) return 'UNAVAILABLE';
  return undefined;
}

/** Whether a read that failed with `error` may be retried: UNAVAILABLE and RESOURCE_EXHAUSTED only. */
export function isRetryableRead(error: unknown): boolean {
  const status = liveStreamStatusOf(error);
  return status === 'UNAVAILABLE' || status === 'RESOURCE_EXHAUSTED';
}

/** The first field of a google.rpc.BadRequest among status `details` (gax's decoded list or the REST JSON list). */
function violatedField(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const detail of details as unknown[]) {
    const violations = typeof detail === 'object' && detail !== null ? (detail as { readonly fieldViolations?: unknown }).fieldViolations : undefined;
    if (!Array.isArray(violations)) continue;
    for (const violation of violations as unknown[]) {
      const field = typeof violation === 'object' && violation !== null ? (violation as { readonly field?: unknown }).field : undefined;
      if (typeof field === 'string' && field !== '') return field;
    }
  }
  return undefined;
}

/** What a Live Stream error says, from either transport. */
function liveStreamErrorFacts(error: unknown, shape: ErrorShape): ProviderErrorFacts {
  const name = liveStreamStatusOf(error);
  if (typeof shape.response === 'object' && shape.response !== null) {
    const body = (shape.response.data as RestErrorBody | null | undefined)?.error;
    const message = body?.message;
    return { name, providerMessage: typeof message === 'string' ? message : undefined, field: violatedField(body?.details) };
  }
  const message = typeof shape.details === 'string' && shape.details !== '' ? shape.details : shape.message;
  return { name, providerMessage: typeof message === 'string' ? message : undefined, field: violatedField(shape.statusDetails) };
}

/**
 * Translates anything a Live Stream call (gRPC SDK or REST client) throws into a {@link DomainError}. The
 * provider's message is kept as `cause` (for logs), and for refused arguments also as the development-only
 * `debugMessage`, never as the client message; a refused argument is named (`details.argument`) when the service
 * says which, by a field violation or in its message. DomainErrors and `AbortError`s (our caller's cancellation)
 * are returned unchanged.
 */
export function translateLiveStreamError(error: unknown): Error {
  if (isDomainError(error)) return error;
  if (isAbortError(error)) return error;
  const shape: ErrorShape = typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
  return translateByTable(LIVESTREAM_ERRORS, liveStreamErrorFacts(error, shape), error);
}
