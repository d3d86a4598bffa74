import type { ServerResponse } from 'node:http';

/**
 * Error responses of the emulator, shaped the way the restJson1 deserializer of
 * `@aws-sdk/client-mediastore-data` reads them.
 *
 * The SDK takes the error code from, in order: the `x-amzn-ErrorType` header, a `code` body key, the
 * `__type` body key (anything after `:` or before `#` is stripped). HEAD responses carry no body, so the
 * header is what makes DescribeObject errors typed; the body repeats the code in `__type` for readers that
 * only look there. Codes the client models (ContainerNotFoundException, ObjectNotFoundException,
 * RequestedRangeNotSatisfiableException, InternalServerError) become instances of those classes; any other
 * code becomes a `MediaStoreDataServiceException` whose `name` is the code. The SDK retries a name in its
 * throttling list (ThrottlingException among them) and any 500/502/503/504.
 */

/** Every error type the emulator can return. */
export type MediaStoreErrorType =
  // Modelled by the MediaStore Data API.
  | 'ContainerNotFoundException'
  | 'ObjectNotFoundException'
  | 'RequestedRangeNotSatisfiableException'
  | 'InternalServerError'
  // Common errors of AWS APIs, listed on the MediaStore "Common Errors" page.
  | 'ServiceUnavailable'
  | 'ThrottlingException'
  | 'ValidationError'
  | 'InvalidAction'
  | 'IncompleteSignature'
  // The AWS-wide error for an unsigned request (emulator choice: MediaStore's page does not list it).
  | 'MissingAuthenticationToken'
  // Emulator choices where the MediaStore reference documents a limit but no error; PROTOCOL.md says so. Clients
  // must key on the HTTP status of these, never on the name.
  | 'RequestEntityTooLargeException'
  | 'RequestTimeoutException';

/** HTTP status of each error type (documented where the docs give one; PROTOCOL.md marks the choices). */
export const MEDIASTORE_ERROR_STATUS: Readonly<Record<MediaStoreErrorType, number>> = {
  ContainerNotFoundException: 404,
  ObjectNotFoundException: 404,
  RequestedRangeNotSatisfiableException: 416,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  ThrottlingException: 400,
  ValidationError: 400,
  InvalidAction: 400,
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
  RequestEntityTooLargeException: 413,
  RequestTimeoutException: 408,
};

/** An error the emulator sends as a response; thrown inside handlers and rendered once at the top. */
export class MediaStoreWireError extends Error {
  /** The code sent in `x-amzn-ErrorType` and `__type`. */
  readonly type: MediaStoreErrorType;
  /** The HTTP status sent. */
  readonly status: number;
  /** Extra response headers (e.g. `Content-Range: bytes * /size` on a 416). */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param type the error code.
   * @param message human-readable text; kept within the documented `ErrorMessage` alphabet `[ \w:.?-]`,
   *   1..255 chars, so no paths or slashes are echoed back.
   * @param headers extra response headers.
   */
  constructor(type: MediaStoreErrorType, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = MEDIASTORE_ERROR_STATUS[type];
    this.headers = headers;
  }
}

/**
 * Writes `error` as a restJson1 error response and ends `res`. Does nothing if headers were already sent
 * (the caller then has to destroy the socket instead: a half-sent success cannot become an error).
 *
 * @param res the response to write.
 * @param error the error to render.
 * @param requestId the value for `x-amzn-RequestId`.
 * @param closeConnection ask the client to close the connection afterwards (used when the request body
 *   was not, or will not be, read completely).
 * @returns `true` when the error was written.
 */
export function sendWireError(
  res: ServerResponse,
  error: MediaStoreWireError,
  requestId: string,
  closeConnection = false,
): boolean {
  if (res.headersSent || res.destroyed) return false;
  const body = JSON.stringify({ __type: error.type, Message: error.message });
  res.writeHead(error.status, {
    ...error.headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
    'x-amzn-ErrorType': error.type,
    ...(closeConnection ? { Connection: 'close' } : {}),
  });
  res.end(body);
  return true;
}
