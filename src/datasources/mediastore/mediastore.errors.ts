import { isDomainError } from '../../core/domain-error.js';
import { awsErrorFacts, isAbortError, translateByTable, type ProviderErrorTable } from '../provider-errors.js';

const UNAVAILABLE = { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store failed; try again later.' } as const;
const THROTTLED = { code: 'UPSTREAM_THROTTLED', message: 'The object store is throttling requests; retry later.' } as const;
const TOO_LARGE = { code: 'PAYLOAD_TOO_LARGE', message: 'The object is larger than the store accepts.' } as const;

/** Error names the MediaStore Data SDK raises, mapped to client codes. Unlisted names fall back by HTTP status. */
const MEDIASTORE_ERRORS: ProviderErrorTable = {
  byName: {
    ContainerNotFoundException: { code: 'NOT_FOUND', message: 'The object store container does not exist.' },
    ObjectNotFoundException: { code: 'NOT_FOUND', message: 'No object exists at this path.' },
    RequestedRangeNotSatisfiableException: { code: 'RANGE_NOT_SATISFIABLE', message: 'The requested range is outside the object.' },
    InternalServerError: UNAVAILABLE,
    ThrottlingException: THROTTLED,
    TooManyRequestsException: THROTTLED,
    // ListItems NextToken errors. The API reference documents none; these are the emulator's documented types
    // (400 ExpiredNextTokenException / InvalidNextTokenException, see src/emulators/mediastore/PROTOCOL.md).
    ExpiredNextTokenException: { code: 'CURSOR_EXPIRED', message: 'The cursor has expired; start the listing again.' },
    InvalidNextTokenException: { code: 'CURSOR_INVALID', message: 'The cursor is not valid for this list.' },
    // The store refused a parameter (path, content type, page size): the request, not the store, is at fault.
    ValidationError: { code: 'BAD_USER_INPUT', message: 'The object store refused the request parameters.', refusesArgument: true },
    // 503 ServiceUnavailable is an outage, not throttling (throttling is ThrottlingException, a 400).
    ServiceUnavailable: UNAVAILABLE,
    EntityTooLarge: TOO_LARGE,
    // The store cancels an upload whose body does not arrive in time (30 s).
    RequestTimeout: { code: 'UPSTREAM_TIMEOUT', message: 'The object store cancelled the upload because it took too long.' },
    TimeoutError: { code: 'UPSTREAM_TIMEOUT', message: 'The object store did not answer in time.' },
    // No usable AWS credentials: a deployment problem, not the client's; logged with the cause by formatError.
    CredentialsProviderError: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store is not reachable with the configured credentials.' },
    UnrecognizedClientException: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store rejected the configured credentials.' },
    MissingAuthenticationToken: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store rejected the configured credentials.' },
  },
  // No catch-all for 400s: a 400 on ListItems is not necessarily a token problem; token errors are matched by
  // name above, and any other 400 is unexpected.
  byStatus: {
    404: { code: 'NOT_FOUND', message: 'No object exists at this path.' },
    413: TOO_LARGE,
    429: THROTTLED,
    503: THROTTLED,
  },
  serverError: UNAVAILABLE,
  network: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store cannot be reached.' },
  unexpected: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected object store error.' },
  argumentNames: { maxResults: 'first', nextToken: 'after' },
};

/**
 * Translates anything the MediaStore Data SDK throws into a {@link DomainError}. The provider's message is kept
 * as `cause` (for logs), and for a refused parameter also as the development-only `debugMessage`, never as the
 * client message. Abort errors caused by our own caller are rethrown unchanged so cancellation is not reported as
 * an upstream failure.
 */
export function translateMediaStoreError(error: unknown, _context: { readonly operation: string }): Error {
  if (isDomainError(error)) return error;
  if (isAbortError(error)) return error;
  return translateByTable(MEDIASTORE_ERRORS, awsErrorFacts(error), error);
}
