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
  'UPSTREAM_FORBIDDEN',
  'SHUTTING_DOWN',
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
  // The provider refused the gateway's own identity (e.g. an S3 bucket policy): a gateway-side failure.
  UPSTREAM_FORBIDDEN: 502,
  // This instance is stopping; another one answers the same request.
  SHUTTING_DOWN: 503,
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
  /**
   * The provider's own words about the failure (e.g. which value of which argument it refused), shown to clients
   * only in development, as `extensions.debugMessage`. May name resources; must never contain secrets.
   */
  readonly debugMessage?: string;
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
  /** See {@link DomainErrorOptions.debugMessage}; `undefined` when there is none. */
  readonly debugMessage: string | undefined;

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.retryable = options.retryable ?? DEFAULT_RETRYABLE.has(code);
    this.details = options.details ?? {};
    this.debugMessage = options.debugMessage;
  }
}

const DEFAULT_RETRYABLE: ReadonlySet<string> = new Set<ErrorCode>([
  'RATE_LIMITED',
  'UPSTREAM_THROTTLED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'SHUTTING_DOWN',
]);

/**
 * Whether an error with `code` may succeed if the same request is sent again later, when the error itself says
 * nothing more specific (a {@link DomainError} carries its own `retryable`). `code` is any client-visible code:
 * those of {@link ERROR_CODES} and the request-level ones (`BAD_REQUEST`, `GRAPHQL_PARSE_FAILED`, ...). Only the
 * rate limit and the upstream codes are transient; a request refused for what it is fails again unchanged.
 */
export function isRetryableCode(code: string): boolean {
  return DEFAULT_RETRYABLE.has(code);
}

/**
 * The wait, in milliseconds, a retryable `RATE_LIMITED` error advertises as `retryAfterMs` when its source knows
 * no better (the per-socket operation cap, a live subscriber that fell behind): long enough that an immediate
 * retry loop cannot hammer the server, short enough to be no real delay for a client that retries once.
 */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Narrows an unknown thrown value to a {@link DomainError}. */
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** Shorthand for the most common input error. */
export function badInput(message: string, details?: DomainErrorOptions['details']): DomainError {
  return new DomainError('BAD_USER_INPUT', message, details === undefined ? {} : { details });
}
