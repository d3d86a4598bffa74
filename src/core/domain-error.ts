/**
 * The error codes clients see in `extensions.code` (see ARCHITECTURE.md, "Errors").
 * This list is part of the public contract: adding a code is a schema-level change, renaming one is breaking.
 */
export const ERROR_CODES = [
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CURSOR_EXPIRED',
  'CURSOR_INVALID',
  'PAYLOAD_TOO_LARGE',
  'RANGE_NOT_SATISFIABLE',
  'CONFLICT',
  'RATE_LIMITED',
  'UPSTREAM_THROTTLED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'INTERNAL_SERVER_ERROR',
] as const;

/** A client-visible error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** HTTP status used when a domain error ends a non-GraphQL request (byte endpoints, SSE setup). */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CURSOR_EXPIRED: 400,
  CURSOR_INVALID: 400,
  PAYLOAD_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UPSTREAM_THROTTLED: 503,
  UPSTREAM_UNAVAILABLE: 502,
  UPSTREAM_TIMEOUT: 504,
  INTERNAL_SERVER_ERROR: 500,
};

/** Options for {@link DomainError}. */
export interface DomainErrorOptions {
  /** Whether the same request may succeed if retried later (surfaced as `extensions.retryable`). */
  readonly retryable?: boolean;
  /** The provider or runtime error this one translates; never shown to clients outside development. */
  readonly cause?: unknown;
  /** Extra, client-safe details (e.g. `{ maxFirst: 100 }`); must never contain provider messages or secrets. */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * The one error type that crosses layer boundaries. Datasources translate provider errors into it through
 * their error table; `formatError` turns it into `extensions.code`. Its `message` is written for clients and
 * must never contain provider messages, ARNs, credentials or signed URLs.
 */
export class DomainError extends Error {
  /** Client-visible code. */
  readonly code: ErrorCode;
  /** Whether retrying later may succeed. */
  readonly retryable: boolean;
  /** Client-safe extra fields merged into `extensions`. */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.retryable = options.retryable ?? DEFAULT_RETRYABLE.has(code);
    this.details = options.details ?? {};
  }
}

const DEFAULT_RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'RATE_LIMITED',
  'UPSTREAM_THROTTLED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
]);

/** Narrows an unknown thrown value to a {@link DomainError}. */
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** Shorthand for the most common input error. */
export function badInput(message: string, details?: DomainErrorOptions['details']): DomainError {
  return new DomainError('BAD_USER_INPUT', message, details === undefined ? {} : { details });
}
