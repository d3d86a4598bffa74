import { isDomainError } from '../../core/domain-error.js';
import { awsErrorFacts, isAbortError, translateByTable, type ProviderErrorTable } from '../provider-errors.js';

/** Kinesis Video error names (control plane, media and archived media SDKs) mapped to client codes. */
const KINESIS_ERRORS: ProviderErrorTable = {
  byName: {
    ResourceNotFoundException: { code: 'NOT_FOUND', message: 'The video stream does not exist.' },
    ClientLimitExceededException: { code: 'UPSTREAM_THROTTLED', message: 'Kinesis Video is throttling requests for this stream; retry later.' },
    ConnectionLimitExceededException: {
      code: 'UPSTREAM_THROTTLED',
      message: 'Kinesis Video has no free media connection for this stream; retry later.',
    },
    InvalidArgumentException: { code: 'BAD_USER_INPUT', message: 'Kinesis Video rejected the request arguments.', refusesArgument: true },
    InvalidEndpointException: { code: 'UPSTREAM_UNAVAILABLE', message: 'The Kinesis Video data endpoint changed; retry.' },
    NotAuthorizedException: { code: 'UPSTREAM_UNAVAILABLE', message: 'Kinesis Video rejected the configured credentials.' },
    AccessDeniedException: { code: 'UPSTREAM_UNAVAILABLE', message: 'Kinesis Video rejected the configured credentials.' },
    CredentialsProviderError: { code: 'UPSTREAM_UNAVAILABLE', message: 'Kinesis Video is not reachable with the configured credentials.' },
    TimeoutError: { code: 'UPSTREAM_TIMEOUT', message: 'Kinesis Video did not answer in time.' },
  },
  byStatus: {
    404: { code: 'NOT_FOUND', message: 'The video stream does not exist.' },
    429: { code: 'UPSTREAM_THROTTLED', message: 'Kinesis Video is throttling requests; retry later.' },
  },
  serverError: { code: 'UPSTREAM_UNAVAILABLE', message: 'Kinesis Video failed; try again later.' },
  network: { code: 'UPSTREAM_UNAVAILABLE', message: 'Kinesis Video cannot be reached.' },
  unexpected: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected Kinesis Video error.' },
  // The API's list arguments: a page size and a cursor that wraps the provider's token.
  argumentNames: { maxResults: 'first', nextToken: 'after' },
};

/** The SDK error name of `error`, or '' (used by the live reader to pick a retry policy). */
export function kinesisErrorName(error: unknown): string {
  return awsErrorFacts(error).name ?? '';
}

/**
 * Translates anything the Kinesis Video SDKs throw into a {@link DomainError} (provider text kept only as
 * `cause`, and as the development-only `debugMessage` of a refused argument, which `extensions.argument` names
 * when the provider said which). Abort errors are returned unchanged so cancellation is not reported as an
 * upstream failure.
 */
export function translateKinesisError(error: unknown): Error {
  if (isDomainError(error)) return error;
  if (isAbortError(error)) return error;
  return translateByTable(KINESIS_ERRORS, awsErrorFacts(error), error);
}
