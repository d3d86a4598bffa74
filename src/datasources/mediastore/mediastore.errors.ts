import { DomainError, isDomainError, type ErrorCode } from '../../errors/domain-error.js';

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
  ExpiredNextTokenException: { code: 'CURSOR_EXPIRED', message: 'The cursor has expired; start the listing again.' },
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
export function translateMediaStoreError(error: unknown, context: { readonly operation: string }): Error {
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
  if (status === 400 && context.operation === 'ListItems') {
    return new DomainError('CURSOR_EXPIRED', 'The cursor is no longer accepted by the object store; start again.', {
      cause: error,
    });
  }
  return new DomainError('INTERNAL_SERVER_ERROR', 'Unexpected object store error.', { cause: error });
}
