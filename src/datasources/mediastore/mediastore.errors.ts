import { DomainError, isDomainError, type ErrorCode } from '../../core/domain-error.js';

/** Error names the MediaStore Data SDK raises, mapped to client codes. Unlisted names fall back by HTTP status. */
const BY_NAME: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  ContainerNotFoundException: { code: 'NOT_FOUND', message: 'The object store container does not exist.' },
  ObjectNotFoundException: { code: 'NOT_FOUND', message: 'No object exists at this path.' },
  RequestedRangeNotSatisfiableException: {
    code: 'RANGE_NOT_SATISFIABLE',
    message: 'The requested range is outside the object.',
  },
  InternalServerError: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store failed; try again later.' },
  ThrottlingException: { code: 'UPSTREAM_THROTTLED', message: 'The object store is throttling requests; retry later.' },
  TooManyRequestsException: { code: 'UPSTREAM_THROTTLED', message: 'The object store is throttling requests; retry later.' },
  // ListItems NextToken errors. The API reference documents none; these are the emulator's documented types
  // (400 ExpiredNextTokenException / InvalidNextTokenException, see src/emulators/mediastore/PROTOCOL.md).
  ExpiredNextTokenException: { code: 'CURSOR_EXPIRED', message: 'The cursor has expired; start the listing again.' },
  InvalidNextTokenException: { code: 'CURSOR_INVALID', message: 'The cursor is not valid for this list.' },
  // The store refused a parameter (path, content type, page size): the request, not the store, is at fault.
  ValidationError: { code: 'BAD_USER_INPUT', message: 'The object store refused the request parameters.' },
  // 503 ServiceUnavailable is an outage, not throttling (throttling is ThrottlingException, a 400).
  ServiceUnavailable: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store failed; try again later.' },
  EntityTooLarge: { code: 'PAYLOAD_TOO_LARGE', message: 'The object is larger than the store accepts.' },
  // The store cancels an upload whose body does not arrive in time (30 s).
  RequestTimeout: { code: 'UPSTREAM_TIMEOUT', message: 'The object store cancelled the upload because it took too long.' },
  TimeoutError: { code: 'UPSTREAM_TIMEOUT', message: 'The object store did not answer in time.' },
  // No usable AWS credentials: a deployment problem, not the client's; logged with the cause by formatError.
  CredentialsProviderError: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store is not reachable with the configured credentials.' },
  UnrecognizedClientException: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store rejected the configured credentials.' },
  MissingAuthenticationToken: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store rejected the configured credentials.' },
};

/** Network-level failures (no HTTP response at all). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/**
 * Translates anything the MediaStore Data SDK throws into a {@link DomainError}. The provider's message is kept
 * only as `cause` (for logs), never as the client message. Abort errors caused by our own caller are rethrown
 * unchanged so cancellation is not reported as an upstream failure.
 */
export function translateMediaStoreError(error: unknown, _context: { readonly operation: string }): Error {
  if (isDomainError(error)) return error;
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name : '';
  if (name === 'AbortError') return error instanceof Error ? error : new Error(String(error));
  const known = BY_NAME[name];
  if (known !== undefined) return new DomainError(known.code, known.message, { cause: error });
  const code = typeof shape.code === 'string' ? shape.code : '';
  if (NETWORK_CODES.has(code)) {
    return new DomainError('UPSTREAM_UNAVAILABLE', 'The object store cannot be reached.', { cause: error });
  }
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  if (status === 429 || status === 503) {
    return new DomainError('UPSTREAM_THROTTLED', 'The object store is throttling requests; retry later.', { cause: error });
  }
  if (status === 404) return new DomainError('NOT_FOUND', 'No object exists at this path.', { cause: error });
  if (status === 413) {
    return new DomainError('PAYLOAD_TOO_LARGE', 'The object is larger than the store accepts.', { cause: error });
  }
  if (status !== undefined && status >= 500) {
    return new DomainError('UPSTREAM_UNAVAILABLE', 'The object store failed; try again later.', { cause: error });
  }
  // No catch-all for 400s: a 400 on ListItems is not necessarily a token problem; token errors are matched by
  // name above, and any other 400 is unexpected.
  return new DomainError('INTERNAL_SERVER_ERROR', 'Unexpected object store error.', { cause: error });
}
