import { isDomainError } from '../../core/domain-error.js';
import {
  argumentInMessage,
  awsErrorFacts,
  domainErrorFor,
  isAbortError,
  rowFor,
  type ProviderErrorRow,
  type ProviderErrorTable,
} from '../provider-errors.js';

const UNAVAILABLE = { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store failed; try again later.' } as const;
const THROTTLED = { code: 'UPSTREAM_THROTTLED', message: 'The object store is throttling requests; retry later.' } as const;
const TOO_LARGE = { code: 'PAYLOAD_TOO_LARGE', message: 'The object is larger than the store accepts.' } as const;
const TIMED_OUT = { code: 'UPSTREAM_TIMEOUT', message: 'The object store cancelled the request because it took too long.' } as const;
// The store refused the gateway's own identity: a deployment problem, not the client's; logged with the cause.
const CREDENTIALS = { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store rejected the configured credentials.' } as const;
// The store refused a parameter (path, content type, page size): the request, not the store, is at fault.
const REFUSED = { code: 'BAD_USER_INPUT', message: 'The object store refused the request parameters.', refusesArgument: true } as const;
const CURSOR_EXPIRED = { code: 'CURSOR_EXPIRED', message: 'The cursor has expired; start the listing again.' } as const;

/**
 * MediaStore Data errors by the names its API reference and its Common Errors page document, then by HTTP
 * status. Nothing here depends on a name the reference does not give: the emulator's choices for undocumented
 * cases (an object over the size limit, an upload cancelled after 30 s) are matched by their status only.
 */
const MEDIASTORE_ERRORS: ProviderErrorTable = {
  byName: {
    // The operations' own errors (API reference).
    ContainerNotFoundException: { code: 'NOT_FOUND', message: 'The object store container does not exist.' },
    ObjectNotFoundException: { code: 'NOT_FOUND', message: 'No object exists at this path.' },
    RequestedRangeNotSatisfiableException: { code: 'RANGE_NOT_SATISFIABLE', message: 'The requested range is outside the object.' },
    InternalServerError: UNAVAILABLE,
    // Common Errors.
    InternalFailure: UNAVAILABLE,
    ServiceUnavailable: UNAVAILABLE,
    ThrottlingException: THROTTLED,
    ValidationError: REFUSED,
    AccessDeniedException: CREDENTIALS,
    IncompleteSignature: CREDENTIALS,
    InvalidClientTokenId: CREDENTIALS,
    NotAuthorized: CREDENTIALS,
    OptInRequired: CREDENTIALS,
    RequestExpired: CREDENTIALS,
    // The AWS-wide names of the same refusals, which MediaStore's page does not list.
    MissingAuthenticationToken: CREDENTIALS,
    UnrecognizedClientException: CREDENTIALS,
    // Raised by the SDK itself, without a response from the store.
    TimeoutError: { code: 'UPSTREAM_TIMEOUT', message: 'The object store did not answer in time.' },
    CredentialsProviderError: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store is not reachable with the configured credentials.' },
  },
  byStatus: {
    401: CREDENTIALS,
    403: CREDENTIALS,
    404: { code: 'NOT_FOUND', message: 'No object exists at this path.' },
    408: TIMED_OUT,
    413: TOO_LARGE,
    416: { code: 'RANGE_NOT_SATISFIABLE', message: 'The requested range is outside the object.' },
    429: THROTTLED,
    // 503 under another name than ServiceUnavailable is the store shedding load.
    503: THROTTLED,
  },
  serverError: UNAVAILABLE,
  network: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store cannot be reached.' },
  unexpected: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected object store error.' },
  argumentNames: { maxResults: 'first', nextToken: 'after' },
};

/** What was asked when an error came back; some statuses mean different things per request. */
export interface MediaStoreErrorContext {
  /** The MediaStore operation, e.g. `ListItems`. */
  readonly operation: string;
  /** The request carried a ListItems `NextToken`. */
  readonly sentNextToken?: boolean | undefined;
}

/**
 * The row for a 4xx the table leaves undecided (an unknown name) or decides only as a refused parameter. The
 * reference documents that NextTokens expire after 15 minutes but no error for it, so a ListItems that sent a
 * token and was refused for no other named parameter is an expired cursor; any other 4xx is the request's fault.
 */
function clientErrorRow(row: ProviderErrorRow, status: number | undefined, providerMessage: string | undefined, context: MediaStoreErrorContext): ProviderErrorRow {
  if (status === undefined || status < 400 || status >= 500) return row;
  if (row !== REFUSED && row !== MEDIASTORE_ERRORS.unexpected) return row;
  if (context.sentNextToken === true) {
    const named = argumentInMessage(providerMessage);
    if (named === undefined || named.toLowerCase() === 'nexttoken') return CURSOR_EXPIRED;
  }
  return REFUSED;
}

/**
 * Translates anything the MediaStore Data SDK throws into a {@link DomainError}: by documented name, then by HTTP
 * status and what was asked, so that any 4xx becomes a client-side code (`BAD_USER_INPUT`, or `CURSOR_EXPIRED`
 * for a refused ListItems token) and never `INTERNAL_SERVER_ERROR`. The provider's message is kept as `cause`
 * (for logs), and for a refused parameter also as the development-only `debugMessage`, never as the client
 * message. Abort errors caused by our own caller are rethrown unchanged so cancellation is not reported as an
 * upstream failure.
 */
export function translateMediaStoreError(error: unknown, context: MediaStoreErrorContext): Error {
  if (isDomainError(error)) return error;
  if (isAbortError(error)) return error;
  const facts = awsErrorFacts(error);
  const row = clientErrorRow(rowFor(MEDIASTORE_ERRORS, facts), facts.status, facts.providerMessage, context);
  return domainErrorFor(MEDIASTORE_ERRORS, row, facts, error);
}
