import { isDomainError } from '../../core/domain-error.js';
import { awsErrorFacts, domainErrorFor, isAbortError, rowFor, type ProviderErrorRow, type ProviderErrorTable } from '../provider-errors.js';

const UNAVAILABLE = { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store failed; try again later.' } as const;
const THROTTLED = { code: 'UPSTREAM_THROTTLED', message: 'The object store is throttling requests; retry later.' } as const;
const TOO_LARGE = { code: 'PAYLOAD_TOO_LARGE', message: 'The object is larger than the store accepts.' } as const;
const NOT_FOUND = { code: 'NOT_FOUND', message: 'No object exists at this path.' } as const;
// The gateway's own identity is refused (bucket policy, IAM, KMS): nothing the client can change, and the
// provider's message (which may quote the policy) stays in the logs.
const FORBIDDEN = { code: 'UPSTREAM_FORBIDDEN', message: 'The object store refused the gateway access to this object.' } as const;
const CREDENTIALS = { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store rejected the configured credentials.' } as const;
const MISCONFIGURED = { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store is not configured correctly.' } as const;
const UPLOAD_LOST = { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store lost the upload; send it again.' } as const;
const REFUSED = { code: 'BAD_USER_INPUT', message: 'The object store refused the request parameters.', refusesArgument: true } as const;

/**
 * What S3 errors become. Names are the SDK's exception names: the error `Code` of an XML error document, or for
 * HEAD requests (no body) the status name the SDK derives (`NotFound`, `Forbidden`). Statuses catch what the names
 * do not; any other 4xx is a refusal of the gateway's request by the store, never an internal error.
 */
export const S3_ERRORS: ProviderErrorTable = {
  byName: {
    NoSuchKey: NOT_FOUND,
    NotFound: NOT_FOUND,
    // The configured bucket is gone: the deployment is broken, not the request. Readiness names the bucket.
    NoSuchBucket: MISCONFIGURED,
    InvalidBucketName: MISCONFIGURED,
    PermanentRedirect: MISCONFIGURED,
    AuthorizationHeaderMalformed: MISCONFIGURED,
    AccessDenied: FORBIDDEN,
    Forbidden: FORBIDDEN,
    AllAccessDisabled: FORBIDDEN,
    AccountProblem: FORBIDDEN,
    InvalidObjectState: FORBIDDEN,
    InvalidAccessKeyId: CREDENTIALS,
    SignatureDoesNotMatch: CREDENTIALS,
    ExpiredToken: CREDENTIALS,
    InvalidToken: CREDENTIALS,
    RequestTimeTooSkewed: CREDENTIALS,
    CredentialsProviderError: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store is not reachable with the configured credentials.' },
    SlowDown: THROTTLED,
    ThrottlingException: THROTTLED,
    InternalError: UNAVAILABLE,
    // S3's 503s all mean "reduce your request rate" (its ServiceUnavailable says so too), and a HEAD's SlowDown
    // arrives without a body, named only by its status.
    ServiceUnavailable: THROTTLED,
    InvalidRange: { code: 'RANGE_NOT_SATISFIABLE', message: 'The requested range is outside the object.' },
    EntityTooLarge: TOO_LARGE,
    KeyTooLongError: { code: 'BAD_USER_INPUT', message: 'The object path is too long for the object store.' },
    NoSuchUpload: UPLOAD_LOST,
    EntityTooSmall: UPLOAD_LOST,
    InvalidPart: UPLOAD_LOST,
    InvalidPartOrder: UPLOAD_LOST,
    IncompleteBody: UPLOAD_LOST,
    BadDigest: UPLOAD_LOST,
    RequestTimeout: { code: 'UPSTREAM_TIMEOUT', message: 'The object store timed out waiting for the upload.' },
    TimeoutError: { code: 'UPSTREAM_TIMEOUT', message: 'The object store did not answer in time.' },
    InvalidArgument: REFUSED,
  },
  byStatus: {
    403: FORBIDDEN,
    404: NOT_FOUND,
    411: REFUSED,
    413: TOO_LARGE,
    416: { code: 'RANGE_NOT_SATISFIABLE', message: 'The requested range is outside the object.' },
    429: THROTTLED,
    503: THROTTLED,
  },
  serverError: UNAVAILABLE,
  network: { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store cannot be reached.' },
  unexpected: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected object store error.' },
  argumentNames: { maxKeys: 'first', continuationToken: 'after' },
};

/** Any other 4xx: the store refused our request for a reason no row names. */
const OTHER_CLIENT_ERROR: ProviderErrorRow = { code: 'UPSTREAM_UNAVAILABLE', message: 'The object store refused the request.' };

/**
 * Translates anything the S3 SDK throws into a `DomainError` through {@link S3_ERRORS}. The provider's message is
 * kept as `cause` for logs (and as the development-only `debugMessage` of a refused argument), never as the client
 * message. Our caller's cancellation (`AbortError`) passes through unchanged.
 */
export function translateS3Error(error: unknown): Error {
  if (isDomainError(error)) return error;
  if (isAbortError(error)) return error;
  const facts = awsErrorFacts(error);
  let row = rowFor(S3_ERRORS, facts);
  if (row === S3_ERRORS.unexpected && facts.status !== undefined && facts.status >= 400 && facts.status < 500) row = OTHER_CLIENT_ERROR;
  return domainErrorFor(S3_ERRORS, row, facts, error);
}

/** The configured bucket does not exist: a deployment error, raised by the readiness check (and at startup). */
export class NoSuchBucketError extends Error {
  constructor(
    readonly bucket: string,
    cause: unknown,
  ) {
    super(`S3 bucket "${bucket}" does not exist`, { cause });
    this.name = 'NoSuchBucketError';
  }
}

/** Whether an SDK error says the bucket does not exist (`NoSuchBucket`, or a bare 404 on a bucket-level HEAD). */
export function isNoSuchBucket(error: unknown, bucketLevel: boolean): boolean {
  const facts = awsErrorFacts(error);
  return facts.name === 'NoSuchBucket' || (bucketLevel && facts.status === 404);
}
