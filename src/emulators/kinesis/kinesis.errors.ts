import type { ServerResponse } from 'node:http';

/**
 * Error responses of the Kinesis Video emulator, shaped the way the restJson1 deserializers of
 * `@aws-sdk/client-kinesis-video`, `-kinesis-video-media` and `-kinesis-video-archived-media` read them.
 *
 * The SDKs take the error code from, in order: the `x-amzn-ErrorType` header, a `code` body key, the
 * `__type` body key. A code the client models becomes an instance of that class (`ResourceNotFoundException`,
 * `ClientLimitExceededException`, ...); any other code becomes the client's base service exception whose
 * `name` is the code. `Message` in the body becomes the error's `message`. The SDKs retry 500/502/503/504
 * and names in their throttling list; none of the Kinesis-specific codes is in that list, so
 * `ClientLimitExceededException` and `ConnectionLimitExceededException` surface at once.
 */

/** Every error type the emulator can return. */
export type KinesisErrorType =
  // Modelled by the Kinesis Video APIs.
  | 'ResourceNotFoundException'
  | 'ResourceInUseException'
  | 'InvalidArgumentException'
  | 'ClientLimitExceededException'
  | 'ConnectionLimitExceededException'
  | 'InvalidEndpointException'
  | 'NotAuthorizedException'
  // Common errors of AWS APIs.
  | 'InternalFailure'
  | 'ServiceUnavailable'
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'SerializationException'
  | 'UnknownOperationException';

/**
 * HTTP status of each error type: the status the SDK models carry (`httpError` in their schemas) for the
 * modelled codes, the AWS common-error status for the others.
 */
export const KINESIS_ERROR_STATUS: Readonly<Record<KinesisErrorType, number>> = {
  ResourceNotFoundException: 404,
  ResourceInUseException: 400,
  InvalidArgumentException: 400,
  ClientLimitExceededException: 400,
  ConnectionLimitExceededException: 400,
  InvalidEndpointException: 400,
  NotAuthorizedException: 401,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
  SerializationException: 400,
  UnknownOperationException: 404,
};

/** An error the emulator answers with; thrown inside handlers and rendered once at the top. */
export class KinesisWireError extends Error {
  /** The code sent in `x-amzn-ErrorType` and `__type`. */
  readonly type: KinesisErrorType;
  /** The HTTP status sent. */
  readonly status: number;

  /**
   * @param type the error code.
   * @param message human-readable text sent as `Message`; never echoes credentials.
   */
  constructor(type: KinesisErrorType, message: string) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = KINESIS_ERROR_STATUS[type];
  }
}

/**
 * Writes `error` as a restJson1 error response and ends `res`. Does nothing when headers were already sent
 * (a started GetMedia payload cannot turn into an error response; the caller must destroy the socket).
 *
 * @returns `true` when the error was written.
 */
export function sendWireError(res: ServerResponse, error: KinesisWireError, requestId: string): boolean {
  if (res.headersSent || res.destroyed) return false;
  const body = JSON.stringify({ __type: error.type, Message: error.message });
  res.writeHead(error.status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
    'x-amzn-ErrorType': error.type,
  });
  res.end(body);
  return true;
}
