/**
 * Canonical Google error codes (google.rpc.Code) as the emulator speaks them on both transports: gRPC sends the
 * number as the call status, REST sends Google's JSON error body with the HTTP status the code maps to
 * (https://cloud.google.com/apis/design/errors, "Handling errors").
 */

/** Every google.rpc.Code name except OK. */
export type RpcStatusName =
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/** google.rpc.Code number of each name. */
export const RPC_STATUS_CODE: Readonly<Record<RpcStatusName, number>> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** HTTP status of each code in Google's REST mapping (the table in google/rpc/code.proto). */
export const RPC_STATUS_HTTP: Readonly<Record<RpcStatusName, number>> = {
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

/** A google.rpc.Status without details, as stored on operations and failed resources. */
export interface RpcStatus {
  readonly status: RpcStatusName;
  readonly message: string;
}

/**
 * An error a handler throws to answer the request with `status`; rendered once per transport (gRPC status or
 * Google JSON error). Any other thrown value is an emulator bug and is answered as INTERNAL.
 */
export class LiveStreamRpcError extends Error {
  /** The status sent. */
  readonly status: RpcStatusName;

  /**
   * @param status the code to answer with.
   * @param message the `message` (REST) / status details (gRPC) sent to the client.
   */
  constructor(status: RpcStatusName, message: string) {
    super(message);
    this.name = 'LiveStreamRpcError';
    this.status = status;
  }
}

/** Shorthand for the most common rejection. */
export function invalidArgument(message: string): LiveStreamRpcError {
  return new LiveStreamRpcError('INVALID_ARGUMENT', message);
}
