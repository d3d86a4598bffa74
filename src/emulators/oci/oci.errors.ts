import type { ServerResponse } from 'node:http';

/**
 * Error responses of the OCI emulator, in the shape every OCI REST API uses: a JSON body
 * `{"code": "<ServiceCode>", "message": "<text>"}` plus an `opc-request-id` header. The SDK
 * (`oci-common` `handleErrorResponse`) turns that into an `OciError` with `statusCode`, `serviceCode`
 * (= `code`), `message` and `opcRequestId`.
 *
 * Codes and statuses follow OCI's "API Errors" reference (common errors returned by all services).
 */

/** Every service code the emulator can answer with. */
export type OciErrorCode =
  | 'CannotParseRequest'
  | 'InvalidParameter'
  | 'MissingParameter'
  | 'NotAuthenticated'
  | 'NotAuthorizedOrNotFound'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'Conflict'
  | 'IncorrectState'
  | 'TooManyRequests'
  | 'InternalServerError'
  | 'ServiceUnavailable';

/** HTTP status of each code (OCI API Errors reference). */
export const OCI_ERROR_STATUS: Readonly<Record<OciErrorCode, number>> = {
  CannotParseRequest: 400,
  InvalidParameter: 400,
  MissingParameter: 400,
  NotAuthenticated: 401,
  NotAuthorizedOrNotFound: 404,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  IncorrectState: 409,
  TooManyRequests: 429,
  InternalServerError: 500,
  ServiceUnavailable: 503,
};

/** The message OCI sends with codes whose text does not depend on the request. */
export const OCI_DEFAULT_MESSAGES: Readonly<Partial<Record<OciErrorCode, string>>> = {
  NotAuthenticated: 'The required information to complete authentication was not provided or was incorrect.',
  NotAuthorizedOrNotFound: 'Authorization failed or requested resource not found.',
  NotFound: 'There is no operation supported at the URI path and HTTP method you specified in the request.',
  MethodNotAllowed: 'The target resource does not support the HTTP method.',
  TooManyRequests: 'Too many requests for the user.',
  InternalServerError: 'Internal server error.',
  ServiceUnavailable: 'The service is temporarily unavailable.',
};

/** An error the emulator sends as a response; thrown inside handlers and rendered once at the top. */
export class OciWireError extends Error {
  /** The service code sent as `code`. */
  readonly code: string;
  /** The HTTP status sent. */
  readonly status: number;

  /**
   * @param code service code sent as `code`.
   * @param status HTTP status sent.
   * @param message text sent as `message`; never echoes secrets (tokens, signatures) back.
   */
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
  }

  /**
   * The error OCI answers with `code`: its status from {@link OCI_ERROR_STATUS}, its message `message` or
   * OCI's fixed text for the code.
   */
  static of(code: OciErrorCode, message?: string): OciWireError {
    return new OciWireError(code, OCI_ERROR_STATUS[code], message ?? OCI_DEFAULT_MESSAGES[code] ?? code);
  }
}

/**
 * Writes `error` as an OCI error response and ends `res`. Does nothing when headers were already sent
 * (the caller then destroys the socket instead).
 *
 * @returns `true` when the error was written.
 */
export function sendOciError(res: ServerResponse, error: OciWireError, requestId: string): boolean {
  if (res.headersSent || res.destroyed) return false;
  const body = JSON.stringify({ code: error.code, message: error.message });
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'opc-request-id': requestId,
  });
  res.end(body);
  return true;
}
