import type { ServerResponse } from 'node:http';
import { xmlEscape } from './s3.xml.js';

/**
 * Error responses of the S3 emulator, shaped as the REST-XML protocol of `@aws-sdk/client-s3` reads them: an
 * `<Error>` document with `Code`, `Message`, `RequestId` and a few code-specific elements, plus the
 * `x-amz-request-id` header. HEAD responses carry no body, so the SDK names their errors from the status alone
 * (404 `NotFound`, 403 `Forbidden`, ...); the emulator still sends the status S3 documents for the code.
 */

/** Every error code the emulator can return, with the status the S3 error-code table gives it. */
export const S3_ERROR_STATUS = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  RequestTimeout: 400,
  ServiceUnavailable: 503,
  SlowDown: 503,
} as const;

/** An S3 error code the emulator knows. */
export type S3ErrorCode = keyof typeof S3_ERROR_STATUS;

/** An error the emulator answers with; thrown inside handlers and rendered once at the top. */
export class S3WireError extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  /** Extra elements of the `<Error>` document (`Key`, `BucketName`, `UploadId`...), in order. */
  readonly fields: Readonly<Record<string, string>>;
  /** Extra response headers (e.g. `Content-Range: bytes *\/size` on a 416). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: S3ErrorCode,
    message: string,
    options: { readonly fields?: Readonly<Record<string, string>>; readonly headers?: Readonly<Record<string, string>> } = {},
  ) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = S3_ERROR_STATUS[code];
    this.fields = options.fields ?? {};
    this.headers = options.headers ?? {};
  }
}

/** The XML error document S3 sends for `error`. */
export function errorDocument(error: S3WireError, requestId: string): string {
  const extra = Object.entries(error.fields)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>${extra}<RequestId>${requestId}</RequestId></Error>`;
}

/**
 * Writes `error` and ends `res`; HEAD requests get the status and headers only. Does nothing when headers were
 * already sent (the caller then destroys the socket: a half-sent success cannot turn into an error).
 * @param closeConnection ask the client to close the connection afterwards (its request body was not read).
 * @returns whether the error was written.
 */
export function sendS3Error(res: ServerResponse, error: S3WireError, requestId: string, headOnly: boolean, closeConnection = false): boolean {
  if (res.headersSent || res.destroyed) return false;
  const body = headOnly ? '' : errorDocument(error, requestId);
  res.writeHead(error.status, {
    ...error.headers,
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
    ...(closeConnection ? { Connection: 'close' } : {}),
  });
  res.end(body);
  return true;
}
