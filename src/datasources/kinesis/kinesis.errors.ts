import { DomainError, isDomainError, type ErrorCode } from '../../core/domain-error.js';

/** Kinesis Video error names (control plane, media and archived media SDKs) mapped to client codes. */
const BY_NAME: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  ResourceNotFoundException: { code: 'NOT_FOUND', message: 'The video stream does not exist.' },
  ClientLimitExceededException: { code: 'UPSTREAM_THROTTLED', message: 'Kinesis Video is throttling requests for this stream; retry later.' },
  ConnectionLimitExceededException: {
    code: 'UPSTREAM_THROTTLED',
    message: 'Kinesis Video has no free media connection for this stream; retry later.',
  },
  InvalidArgumentException: { code: 'BAD_USER_INPUT', message: 'Kinesis Video rejected the request arguments.' },
  InvalidEndpointException: { code: 'UPSTREAM_UNAVAILABLE', message: 'The Kinesis Video data endpoint changed; retry.' },
  NotAuthorizedException: { code: 'UPSTREAM_UNAVAILABLE', message: 'Kinesis Video rejected the configured credentials.' },
  AccessDeniedException: { code: 'UPSTREAM_UNAVAILABLE', message: 'Kinesis Video rejected the configured credentials.' },
  CredentialsProviderError: { code: 'UPSTREAM_UNAVAILABLE', message: 'Kinesis Video is not reachable with the configured credentials.' },
  TimeoutError: { code: 'UPSTREAM_TIMEOUT', message: 'Kinesis Video did not answer in time.' },
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** The SDK error name of `error`, or '' (used by the live reader to pick a retry policy). */
export function kinesisErrorName(error: unknown): string {
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  return typeof shape.name === 'string' ? shape.name : '';
}

/**
 * Translates anything the Kinesis Video SDKs throw into a {@link DomainError} (provider text kept only as
 * `cause`). Abort errors are returned unchanged so cancellation is not reported as an upstream failure.
 */
export function translateKinesisError(error: unknown): Error {
  if (isDomainError(error)) return error;
  const name = kinesisErrorName(error);
  if (name === 'AbortError') return error instanceof Error ? error : new Error(String(error));
  const known = BY_NAME[name];
  if (known !== undefined) return new DomainError(known.code, known.message, { cause: error });
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  if (typeof shape.code === 'string' && NETWORK_CODES.has(shape.code)) {
    return new DomainError('UPSTREAM_UNAVAILABLE', 'Kinesis Video cannot be reached.', { cause: error });
  }
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  if (status === 404) return new DomainError('NOT_FOUND', 'The video stream does not exist.', { cause: error });
  if (status === 429) return new DomainError('UPSTREAM_THROTTLED', 'Kinesis Video is throttling requests; retry later.', { cause: error });
  if (status !== undefined && status >= 500) {
    return new DomainError('UPSTREAM_UNAVAILABLE', 'Kinesis Video failed; try again later.', { cause: error });
  }
  return new DomainError('INTERNAL_SERVER_ERROR', 'Unexpected Kinesis Video error.', { cause: error });
}
