import { DomainError, isDomainError } from '../../core/domain-error.js';
import type { Logger } from '../../core/logger.js';
import { domainErrorFor, isAbortError, rowFor, type ProviderErrorRow, type ProviderErrorTable } from '../provider-errors.js';

/**
 * The one error table of the OCI provider: what the `oci-mediaservices` clients throw, translated into
 * {@link DomainError}s. Provider messages and request URLs never become client messages; the `cause` kept
 * for logs is a sanitized summary (status, service code, opc-request-id, message with secrets removed)
 * because the SDK's own error carries the request URL, and GeneratePlaylist URLs carry session tokens.
 */

/** One row of the table. */
interface OciErrorRow extends ProviderErrorRow {
  /** Rows that mean "our credentials were refused": logged at error level with a configuration hint. */
  readonly credentials?: true;
}

const UNAVAILABLE: OciErrorRow = { code: 'UPSTREAM_UNAVAILABLE', message: 'The media service is unavailable; try again later.' };
const NOT_FOUND_MESSAGE = 'The media resource does not exist.';

/**
 * The error a missing OCI resource translates to, for callers that must answer a resource they may not see
 * exactly as a missing one (the tenant boundary): same code, same message, no cause.
 */
export function ociNotFoundError(): DomainError {
  return new DomainError('NOT_FOUND', NOT_FOUND_MESSAGE);
}

/**
 * The table (OCI "API Errors": common errors returned by all services). OCI errors are told apart by HTTP status;
 * by name only transport failures, by their Node error code, since the service codes add nothing the status does not
 * say here.
 */
export const OCI_ERRORS: ProviderErrorTable<OciErrorRow> = {
  byName: {
    ETIMEDOUT: { code: 'UPSTREAM_TIMEOUT', message: 'The media service did not answer in time.' },
  },
  byStatus: {
    // Signature wrong, key deleted or rotated, clock skewed by more than 5 minutes (RELIABILITY O1): a
    // deployment problem the client cannot fix, reported as an upstream outage with a log line for operators.
    401: { code: 'UPSTREAM_UNAVAILABLE', message: 'The media service refused the gateway credentials.', credentials: true },
    // 403 NotAllowed / NotAuthorized / SignUpRequired: the gateway's identity or tenancy setup, not the client.
    403: { code: 'UPSTREAM_UNAVAILABLE', message: 'The media service refused the request for this account.', credentials: true },
    // OCI answers "not found" and "not authorized" alike (NotAuthorizedOrNotFound), on purpose.
    404: { code: 'NOT_FOUND', message: NOT_FOUND_MESSAGE },
    // InvalidParameter, MissingParameter, CannotParseRequest: OCI's message usually names the parameter.
    400: { code: 'BAD_USER_INPUT', message: 'The media service refused the request parameters.', refusesArgument: true },
    409: { code: 'CONFLICT', message: 'The media resource is not in a state that allows this request.' },
    412: { code: 'CONFLICT', message: 'The media resource changed; read it again.' },
    429: { code: 'UPSTREAM_THROTTLED', message: 'The media service is throttling requests; retry later.' },
  },
  serverError: UNAVAILABLE,
  // No HTTP response at all (connection refused or reset, DNS): the service cannot be reached.
  network: { code: 'UPSTREAM_UNAVAILABLE', message: 'The media service cannot be reached.' },
  unexpected: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected media service error.' },
  // The API's names: a page size and a cursor wrap OCI's paging, and session tokens are named for what they are.
  argumentNames: { limit: 'first', page: 'after', timeExpires: 'expiresAt', token: 'sessionToken' },
};

/** What the translation knows about the call. */
export interface OciErrorContext {
  /** Operation name, e.g. `GeneratePlaylist` (logged). */
  readonly operation: string;
  /** Receives the credentials log line. */
  readonly logger: Logger;
  /** Fingerprint of the API key in use (public; identifies which key was refused). */
  readonly keyFingerprint?: string | undefined;
  /** Values that must not appear in the kept cause (session tokens sent with the call). */
  readonly secrets?: readonly string[] | undefined;
}

/** Replaces every occurrence of each secret (and of its URL-encoded form) with `[redacted]`. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    result = result.split(secret).join('[redacted]');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) result = result.split(encoded).join('[redacted]');
  }
  return result;
}

/** The fields read from an `OciError`, or from the plain object the SDK retrier throws for network errors. */
interface ErrorShape {
  readonly name?: unknown;
  readonly statusCode?: unknown;
  readonly serviceCode?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly opcRequestId?: unknown;
  /** Set on the plain objects the SDK retrier throws when `fetch` (or signing) failed without a response. */
  readonly requestEndpoint?: unknown;
}

/** The sanitized cause kept on translated errors. */
export class OciUpstreamError extends Error {
  /** HTTP status, or `undefined` when no response arrived. */
  readonly status: number | undefined;
  readonly serviceCode: string | undefined;
  readonly opcRequestId: string | undefined;

  constructor(operation: string, status: number | undefined, serviceCode: string | undefined, opcRequestId: string | undefined, message: string) {
    const where = status === undefined ? 'no response' : `${status} ${serviceCode ?? 'None'}`;
    super(`OCI ${operation} failed (${where}${opcRequestId === undefined ? '' : `, opc-request-id ${opcRequestId}`}): ${message}`);
    this.name = 'OciUpstreamError';
    this.status = status;
    this.serviceCode = serviceCode;
    this.opcRequestId = opcRequestId;
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Translates anything an OCI SDK call throws into a {@link DomainError} through {@link OCI_ERRORS}. A refused
 * parameter is named (`details.argument`) when OCI's message says which, and the scrubbed message becomes the
 * development-only `debugMessage`. Domain errors and our own `AbortError`s (the caller went away) are returned
 * unchanged. A refused credential is logged at error level, once per failed call, without any secret.
 *
 * @returns the error to throw; never throws itself.
 */
export function translateOciError(error: unknown, context: OciErrorContext): Error {
  if (isDomainError(error)) return error;
  if (isAbortError(error)) return error;
  const shape: ErrorShape = typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
  const status = typeof shape.statusCode === 'number' && shape.statusCode > 0 ? shape.statusCode : undefined;
  // OciError carries the service code in `serviceCode`; network errors from the retrier carry `code`.
  const serviceCode = text(shape.serviceCode) ?? (typeof shape.code === 'string' ? shape.code : undefined);
  const providerMessage = scrubSecrets(text(shape.message) ?? String(error), context.secrets);
  const cause = new OciUpstreamError(context.operation, status, serviceCode, text(shape.opcRequestId), providerMessage);
  // Without a response, only the SDK's own transport failures count as network errors; anything else
  // without a status is a bug on our side and must not be reported as an outage.
  const network = status === undefined && (typeof shape.requestEndpoint === 'string' || (error instanceof TypeError && error.message === 'fetch failed'));
  const facts = { name: network ? serviceCode : undefined, status, network, providerMessage };
  const chosen = rowFor(OCI_ERRORS, facts);
  if (chosen.credentials === true) {
    context.logger.error(
      {
        provider: 'oci',
        operation: context.operation,
        status,
        serviceCode,
        opcRequestId: cause.opcRequestId,
        keyFingerprint: context.keyFingerprint,
      },
      'OCI refused the gateway credentials: check the tenancy, user and key fingerprint, that the private key ' +
        'matches the public key uploaded for the user (keys rotated?), and the host clock (OCI allows 5 minutes of skew)',
    );
  }
  // A refused credential is not fixed by retrying; everything else keeps the code's default.
  return domainErrorFor(OCI_ERRORS, chosen.credentials === true ? { ...chosen, retryable: false } : chosen, facts, cause);
}
