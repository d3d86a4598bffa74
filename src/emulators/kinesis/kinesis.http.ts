import type { IncomingMessage, ServerResponse } from 'node:http';
import { KinesisWireError } from './kinesis.errors.js';
import type { KinesisOperation, RequestTerminalFault } from './kinesis.faults.js';

/**
 * HTTP plumbing of the Kinesis Video emulator: routing (every operation is `POST /<operationName>` with a
 * JSON body, restJson1), body reading, the SigV4 header shape check, JSON answers, and the error each
 * request fault answers with.
 */

const ROUTES: Readonly<Record<string, KinesisOperation>> = {
  '/createStream': 'CreateStream',
  '/describeStream': 'DescribeStream',
  '/listStreams': 'ListStreams',
  '/getDataEndpoint': 'GetDataEndpoint',
  '/getMedia': 'GetMedia',
  '/listFragments': 'ListFragments',
};

/** The operation a method and path route to; `Unknown` when none (only POST routes exist). */
export function routeOperation(method: string, pathname: string): KinesisOperation {
  if (method !== 'POST') return 'Unknown';
  return ROUTES[pathname] ?? 'Unknown';
}

/** A request body as read: the bytes, or the fact that it exceeded the cap (its bytes then discarded). */
export type BodyReading = { readonly ok: true; readonly body: Buffer } | { readonly ok: false };

/**
 * Reads `req` to its end, keeping at most `maxBytes` (a larger body is read and discarded so the client still
 * receives the error answer), then calls `then`. If the request fails (the client aborted while sending), the
 * exchange is over: `res` is destroyed and `then` is never called.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, then: (reading: BodyReading) => void): void {
  req.once('error', () => res.destroy());
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      tooLarge = true;
      chunks.length = 0;
    } else {
      chunks.push(chunk);
    }
  });
  req.once('end', () => then(tooLarge ? { ok: false } : { ok: true, body: Buffer.concat(chunks) }));
}

/** Checks the shape of a SigV4 `Authorization` header (the signature itself is not verified). */
export function checkAuthorization(header: string | undefined): KinesisWireError | undefined {
  if (header === undefined || header.trim() === '') {
    return new KinesisWireError('MissingAuthenticationToken', 'Missing Authentication Token');
  }
  if (!header.startsWith('AWS4-HMAC-SHA256 ') || !header.includes('Credential=') || !header.includes('Signature=')) {
    return new KinesisWireError('IncompleteSignature', 'The request signature does not conform to AWS standards');
  }
  return undefined;
}

/** The error a terminal request fault answers with. */
export function faultError(fault: RequestTerminalFault): KinesisWireError {
  switch (fault.kind) {
    case 'error':
      return fault.status === 500
        ? new KinesisWireError('InternalFailure', 'The request processing has failed because of an unknown error')
        : new KinesisWireError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server');
    case 'throttle':
      return new KinesisWireError('ClientLimitExceededException', 'Too many requests; try again later');
    case 'connectionLimit':
      return new KinesisWireError('ConnectionLimitExceededException', 'Too many concurrent connections for this stream');
    case 'invalidEndpoint':
      return new KinesisWireError('InvalidEndpointException', 'The request was sent to the wrong endpoint; call GetDataEndpoint again');
    case 'notAuthorized':
      return new KinesisWireError('NotAuthorizedException', 'The security token included in the request is expired');
  }
}

/** Answers 200 with `value` as JSON. */
export function sendJson(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
