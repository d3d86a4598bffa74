import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { parseObjectPath } from '../datasources/object-store/object-path.js';
import type { ObjectMetadata, UploadAvailability } from '../datasources/object-store/object-store.js';
import { DomainError, HTTP_STATUS_BY_CODE, badInput, isDomainError } from '../core/domain-error.js';
import { evaluatePreconditions, ifRangeHolds, quoteETag, type ConditionalHeaders } from '../core/http-conditions.js';
import { parseByteRange, unsatisfiedContentRange, type ByteRangeSpec } from '../core/http-range.js';
import { objectBytesRelayed } from '../core/metrics.js';
import type { Security } from '../auth/security.js';
import { servicesFor } from '../auth/tenant-services.js';
import type { Services } from '../auth/services.js';
import type { RelayGcPacer } from './relay-gc.js';
import { carriesSignature, type UploadGrant } from '../auth/signed-url.js';

/** Request header an authorized PUT names its upload availability in (`STANDARD`, the default, or `STREAMING`). */
export const UPLOAD_AVAILABILITY_HEADER = 'x-mg-upload-availability';

type ObjectScope = 'objects:read' | 'objects:write';

/** Options of {@link createObjectsRouter}. */
export interface ObjectsRouterOptions {
  /**
   * True once the process has begun to shut down: a transfer cut from then on is logged as cut by the shutdown
   * (`reason: 'SHUTDOWN'`), not as a client or upstream failure. Default: never.
   */
  readonly isShuttingDown?: () => boolean;
}

/**
 * The byte endpoints outside GraphQL:
 * - `GET|HEAD /objects/{path}` streams an object with the HTTP semantics caches and players expect (RFC 9110):
 *   `Accept-Ranges: bytes`; one byte `Range` (206 with `Content-Range`; 416 with `Content-Range: bytes *\/size`
 *   when it starts past the end; a header that is not exactly one valid byte range is ignored: 200 with the whole
 *   object); a quoted strong `ETag`, `Last-Modified` and `Cache-Control` from the store; `If-None-Match` and
 *   `If-Modified-Since` answer 304, `If-Match` and `If-Unmodified-Since` 412, and `If-Range` serves the range only
 *   while its validator still holds. A revalidation that ends in 304 costs one describe, no object read;
 * - `PUT /objects/{path}` streams a body to the store without buffering it, chunked when the upload's
 *   availability is STREAMING. Size limits are enforced before any upstream call when the length is declared,
 *   and while streaming otherwise.
 *
 * A request is authorized by the signed URL it carries (`MediaObject.url`, `createObjectUpload`: the URL grants
 * its path within the tenant it was issued to; credentials sent along must be that tenant's) or, when its URL
 * carries no signature, by its credentials (`Authorization: Bearer <jwt>`, `Authorization: ApiKey <key>` or
 * `x-api-key`), authenticated and rate-limited as on `/graphql`, with `objects:read` (GET, HEAD) or
 * `objects:write` (PUT) and the tenant's path policy. An authorized PUT takes what to store from its own headers:
 * `Content-Type`, `Cache-Control` and `X-MG-Upload-Availability`. A request with neither is refused with 401 when
 * authentication is configured; in anonymous development mode (none configured) it is served as GraphQL is, with
 * full access. Refusals cost no upstream call.
 *
 * Time: the store's per-call deadline covers the wait for its response headers only; a body then moves at the
 * client's pace, both ways, and fails only when the store makes no progress (`UPSTREAM_IDLE_TIMEOUT_MS`). A full
 * download carries `Content-Length`, and a cut one ends with a reset connection, so a client can always tell a
 * cut from an end. Each cut is logged with who caused it: the shutdown, the client, or the store.
 *
 * Errors answer with the HTTP status of their code and a JSON body `{ error: { code, message, retryable, ...details } }`
 * (401 with `WWW-Authenticate`, 429 with `Retry-After` and `retryAfterMs`).
 * Relayed bytes, both ways, are counted by `pacer`, which keeps forwarded chunks from piling up as garbage.
 */
export function createObjectsRouter(services: Services, security: Security, pacer: RelayGcPacer, options: ObjectsRouterOptions = {}): Router {
  const router = Router();
  const context: TransferContext = { services, security, pacer, isShuttingDown: options.isShuttingDown ?? (() => false) };
  // Routes without capture groups: the router would percent-decode a captured parameter itself and fail a bad
  // escape (`%zz`) with an uncoded 500 before the request reached us; parseRequest decodes and codes it instead.
  router.get(OBJECT_ROUTE, (req, res) => handle(context, req, res, () => download(context, req, res, false)));
  router.head(OBJECT_ROUTE, (req, res) => handle(context, req, res, () => download(context, req, res, true)));
  router.put(OBJECT_ROUTE, (req, res) => handle(context, req, res, () => upload(context, req, res)));
  router.all(OBJECT_ROUTE, (_req, res) => {
    res.setHeader('Allow', 'GET, HEAD, PUT');
    sendError(res, new DomainError('BAD_USER_INPUT', 'Method not allowed on the object endpoint.'), 405);
  });
  // The bare prefix names no object: a coded 404 like any unknown object, never the framework's HTML page.
  router.all('/objects', (_req, res) => {
    sendError(res, new DomainError('NOT_FOUND', 'Name an object: /objects/{path}.'), 404);
  });
  return router;
}

/** Every request target under `/objects/`, the bare prefix included (refused as naming no object). */
const OBJECT_ROUTE = /^\/objects\/.*$/;

/** What every byte request needs, fixed for the router's lifetime. */
interface TransferContext {
  readonly services: Services;
  readonly security: Security;
  readonly pacer: RelayGcPacer;
  readonly isShuttingDown: () => boolean;
}

/**
 * The caller's view of the services for a signed URL. The URL alone authorizes `scope` on its path within the
 * tenant it was issued to (browsers load it without headers), and still passes the tenant boundary, so a URL
 * whose tenant no longer reaches the path stops working. A request that also carries credentials must come
 * from that same tenant: one tenant cannot spend another tenant's URLs.
 */
async function servicesForUrl(services: Services, security: Security, req: Request, tenant: string, scope: ObjectScope): Promise<Services> {
  if (hasCredentials(req)) {
    const caller = await security.fromHeaders(req.headers);
    if (!caller.unrestricted && caller.tenantKey !== tenant) throw new DomainError('FORBIDDEN', 'The signed URL is invalid or has expired.');
  }
  return servicesFor(services, security.forSignedUrl(tenant, scope));
}

/**
 * The caller's view of the services for a request without a signature: its credentials authenticate it as on
 * `/graphql` (same authenticator, tenant policy and rate limit), and its calls cross the same tenant boundary.
 * Without credentials the rule is GraphQL's too: refused whenever authentication is configured, and served with
 * the anonymous developer's full access in development mode (no authentication configured, loopback only).
 */
async function servicesForCaller(services: Services, security: Security, req: Request, path: string, scope: ObjectScope): Promise<Services> {
  if (!hasCredentials(req) && !security.development) {
    throw new DomainError('UNAUTHENTICATED', 'This endpoint needs a signed URL or credentials (`Authorization: Bearer <token>`, `Authorization: ApiKey <key>` or `x-api-key`).');
  }
  const access = await security.fromHeaders(req.headers);
  await security.charge(access);
  // The boundary below checks every call again. Checking here too answers a refused upload before its length is
  // judged or its body read, and holds HEAD to objects:read like GET (the boundary lets objects:write describe,
  // for `putObject`'s answer).
  access.object(path, scope);
  return servicesFor(services, access);
}

function hasCredentials(req: Request): boolean {
  return req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined;
}

/** The services a byte request may use, by its signature when it carries one and by its credentials otherwise. */
async function servicesForDownload(processServices: Services, security: Security, req: Request, path: string, query: URLSearchParams): Promise<Services> {
  if (!carriesSignature(query)) return servicesForCaller(processServices, security, req, path, 'objects:read');
  const { tenant } = processServices.urls.verifyDownload(path, query);
  return servicesForUrl(processServices, security, req, tenant, 'objects:read');
}

/**
 * Like {@link servicesForDownload}, with what the upload may store: a signed URL's grant, or, for an authorized
 * request, its own `Content-Type`, `Cache-Control` and `X-MG-Upload-Availability` headers.
 */
async function servicesForUpload(
  processServices: Services,
  security: Security,
  req: Request,
  path: string,
  query: URLSearchParams,
): Promise<{ readonly services: Services; readonly grant: UploadGrant }> {
  if (!carriesSignature(query)) {
    const services = await servicesForCaller(processServices, security, req, path, 'objects:write');
    return { services, grant: grantFromHeaders(req) };
  }
  const grant = processServices.urls.verifyUpload(path, query);
  return { services: await servicesForUrl(processServices, security, req, grant.tenant, 'objects:write'), grant };
}

function grantFromHeaders(req: Request): UploadGrant {
  const availability = singleHeader(req, UPLOAD_AVAILABILITY_HEADER) ?? 'STANDARD';
  if (!isUploadAvailability(availability)) throw badInput('X-MG-Upload-Availability must be STANDARD or STREAMING.');
  return {
    contentType: singleHeader(req, 'content-type'),
    cacheControl: singleHeader(req, 'cache-control'),
    uploadAvailability: availability,
  };
}

function isUploadAvailability(value: string): value is UploadAvailability {
  return value === 'STANDARD' || value === 'STREAMING';
}

function singleHeader(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function download(context: TransferContext, req: Request, res: Response, headOnly: boolean): Promise<void> {
  const { path, query } = parseRequest(req);
  const services = await servicesForDownload(context.services, context.security, req, path, query);
  const signal = abortOnClose(req, res);
  const conditions = conditionalHeaders(req);
  const store = services.objectStore;
  if (headOnly) {
    const metadata = await store.describe(path, { signal });
    if (answerPreconditions(res, 'HEAD', conditions, metadata)) return;
    writeObjectHeaders(res, metadata);
    if (metadata.contentLength !== undefined) res.setHeader('Content-Length', String(metadata.contentLength));
    res.status(200).end();
    return;
  }
  // A revalidation (If-None-Match, If-Modified-Since) usually ends in 304: a describe answers it without reading
  // the object. Every precondition is checked again on the read's own metadata, which comes with its bytes.
  if (conditions.ifNoneMatch !== undefined || conditions.ifModifiedSince !== undefined) {
    const current = await store.describe(path, { signal });
    if (answerPreconditions(res, 'GET', conditions, current)) return;
  }
  const spec = parseByteRange(singleHeader(req, 'range'));
  let object = await getOrUnsatisfied(store, path, spec, signal);
  if (answerPreconditions(res, 'GET', conditions, object.metadata)) {
    object.body.destroy();
    return;
  }
  const ifRange = singleHeader(req, 'if-range');
  if (spec !== undefined && !ifRangeHolds(ifRange, object.metadata)) {
    // The client's copy is not the current one: it gets the whole current object instead of a piece of it.
    object.body.destroy();
    object = await store.get(path, undefined, { signal });
  }
  writeObjectHeaders(res, object.metadata);
  if (object.bodyLength !== undefined) {
    res.setHeader('Content-Length', String(object.bodyLength));
    // Ending with fewer bytes than announced fails instead of looking complete on a kept-alive connection.
    res.strictContentLength = true;
  }
  if (object.contentRange !== undefined) res.setHeader('Content-Range', object.contentRange);
  res.status(object.contentRange === undefined ? 200 : 206);
  context.pacer.observe(object.body);
  let sentBytes = 0;
  object.body.on('data', (chunk: Buffer) => {
    sentBytes += chunk.length;
  });
  try {
    await pipeline(object.body, res);
  } catch (error) {
    // Headers are gone: the only signal left for the client is the cut itself (a reset before Content-Length
    // bytes, or an unterminated chunked body), which pipeline already caused. The log says who cut it.
    logCut(context, 'download', { path, sentBytes, totalBytes: object.bodyLength ?? null }, error, signal);
  } finally {
    objectBytesRelayed.labels('download').inc(sentBytes);
  }
}

/** The `Range` value a store is asked for: exactly the one parsed range, whatever spacing or case the client used. */
function rangeHeaderOf(spec: ByteRangeSpec): string {
  return spec.kind === 'suffix' ? `bytes=-${spec.length}` : `bytes=${spec.first}-${spec.last ?? ''}`;
}

/**
 * Reads the object, with `spec` when there is one. A range the store finds unsatisfiable is answered 416 with
 * `Content-Range: bytes *\/size` (RFC 9110): the size comes from a describe, since stores do not all report it.
 * @throws DomainError `RANGE_NOT_SATISFIABLE` carrying the size in `details.httpHeaders`, and every store error.
 */
async function getOrUnsatisfied(store: Services['objectStore'], path: string, spec: ByteRangeSpec | undefined, signal: AbortSignal) {
  try {
    return await store.get(path, spec === undefined ? undefined : rangeHeaderOf(spec), { signal });
  } catch (error) {
    if (!isDomainError(error) || error.code !== 'RANGE_NOT_SATISFIABLE') throw error;
    const size = await store.describe(path, { signal }).then(
      (metadata) => metadata.contentLength,
      () => undefined,
    );
    throw new DomainError('RANGE_NOT_SATISFIABLE', 'The requested range starts at or past the end of the object.', {
      cause: error,
      ...(size === undefined ? {} : { details: { objectSize: size } }),
    });
  }
}

function conditionalHeaders(req: Request): ConditionalHeaders {
  return {
    ifMatch: singleHeader(req, 'if-match'),
    ifNoneMatch: singleHeader(req, 'if-none-match'),
    ifModifiedSince: singleHeader(req, 'if-modified-since'),
    ifUnmodifiedSince: singleHeader(req, 'if-unmodified-since'),
  };
}

/**
 * Answers 304 or 412 when the preconditions say so (RFC 9110 13.2.2), with the validators and cache headers a 304
 * must repeat. @returns whether the response was sent.
 */
function answerPreconditions(res: Response, method: 'GET' | 'HEAD', conditions: ConditionalHeaders, metadata: ObjectMetadata): boolean {
  const outcome = evaluatePreconditions(method, conditions, metadata);
  if (outcome === 'proceed') return false;
  if (outcome === 'failed') {
    sendError(res, new DomainError('CONFLICT', 'A precondition of the request (If-Match, If-Unmodified-Since) does not hold.'), 412);
    return true;
  }
  res.setHeader('Accept-Ranges', 'bytes');
  if (metadata.eTag !== undefined) res.setHeader('ETag', quoteETag(metadata.eTag));
  if (metadata.lastModified !== undefined) res.setHeader('Last-Modified', metadata.lastModified.toUTCString());
  if (metadata.cacheControl !== undefined) res.setHeader('Cache-Control', metadata.cacheControl);
  res.status(304).end();
  return true;
}

async function upload(context: TransferContext, req: Request, res: Response): Promise<void> {
  const { path, query } = parseRequest(req);
  const { services, grant } = await servicesForUpload(context.services, context.security, req, path, query);
  const max = services.objectStore.limits.maxObjectBytes[grant.uploadAvailability];
  const declared = req.headers['content-length'];
  const length = declared === undefined ? undefined : Number(declared);
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) throw badInput('Invalid Content-Length.');
  if (length !== undefined && length > max) throw tooLarge(max);
  if (length === undefined && grant.uploadAvailability === 'STANDARD') {
    throw new DomainError('BAD_USER_INPUT', 'A STANDARD upload must send Content-Length; use a STREAMING upload for chunked bodies.', {
      details: { httpStatus: 411 },
    });
  }
  const signal = abortOnClose(req, res);
  const limited = byteLimit(max, context.pacer);
  req.once('error', (error: Error) => limited.destroy(error));
  // Counted as the bytes arrive: `req` already flows into `limited`, so one more listener changes nothing.
  req.on('data', (chunk: Buffer) => objectBytesRelayed.labels('upload').inc(chunk.length));
  const result = await services.objectStore.put(
    {
      path,
      body: req.pipe(limited),
      contentLength: length,
      contentType: grant.contentType,
      cacheControl: grant.cacheControl,
      uploadAvailability: grant.uploadAvailability,
    },
    { signal },
  );
  res.status(201).json({ path, eTag: result.eTag === undefined ? null : quoteETag(result.eTag), contentSha256: result.contentSha256 ?? null });
}

function parseRequest(req: Request): { path: string; query: URLSearchParams } {
  // Not `new URL()`: it would resolve `%2e%2e` segments before we can refuse them.
  const target = req.originalUrl;
  const question = target.indexOf('?');
  const pathname = question === -1 ? target : target.slice(0, question);
  const raw = pathname.slice('/objects/'.length);
  let decoded: string;
  try {
    decoded = raw.split('/').map((segment) => decodeURIComponent(segment)).join('/');
  } catch (error) {
    throw new DomainError('BAD_USER_INPUT', 'The object path is not valid percent-encoding.', { cause: error });
  }
  return { path: parseObjectPath(decoded), query: new URLSearchParams(question === -1 ? '' : target.slice(question + 1)) };
}

function writeObjectHeaders(res: Response, metadata: ObjectMetadata): void {
  res.setHeader('Accept-Ranges', 'bytes');
  // Quoted: HTTP's entity-tag syntax (MediaStore reports a bare hex digest), so caches can send it back as is.
  if (metadata.eTag !== undefined) res.setHeader('ETag', quoteETag(metadata.eTag));
  if (metadata.lastModified !== undefined) res.setHeader('Last-Modified', metadata.lastModified.toUTCString());
  if (metadata.contentType !== undefined) res.setHeader('Content-Type', metadata.contentType);
  if (metadata.cacheControl !== undefined) res.setHeader('Cache-Control', metadata.cacheControl);
}

function abortOnClose(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new DomainError('BAD_USER_INPUT', 'The client closed the connection.'));
  });
  req.once('aborted', () => controller.abort());
  return controller.signal;
}

function byteLimit(max: number, pacer: RelayGcPacer): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > max) {
        callback(tooLarge(max));
        return;
      }
      callback(null, chunk);
      pacer.account(chunk.length);
    },
  });
}

function tooLarge(max: number): DomainError {
  return new DomainError('PAYLOAD_TOO_LARGE', `The object may be at most ${max} bytes.`, { details: { maxBytes: max } });
}

async function handle(context: TransferContext, req: Request, res: Response, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (req.method === 'PUT' && (!isDomainError(error) || (context.isShuttingDown() && error.code.startsWith('UPSTREAM_')))) {
      // An upload that did not end by itself (an abort, a cut connection): say who cut it.
      logCut(context, 'upload', { target: loggablePath(req) }, error, undefined);
    } else if (!isDomainError(error) || error.code === 'INTERNAL_SERVER_ERROR' || error.code.startsWith('UPSTREAM_')) {
      context.services.logger.warn({ code: isDomainError(error) ? error.code : null, err: errorFields(error) }, 'object endpoint failed');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (isDomainError(error)) {
      const status = typeof error.details['httpStatus'] === 'number' ? error.details['httpStatus'] : HTTP_STATUS_BY_CODE[error.code];
      sendError(res, error, status);
      return;
    }
    sendError(res, new DomainError('INTERNAL_SERVER_ERROR', 'Internal server error.', { cause: error }), 500);
  }
}

/**
 * Logs a transfer that ended before its last byte, naming who ended it: the shutdown's grace deadline, the client
 * (it closed its connection: `clientGone` aborted and the error is not the store's), or the store.
 */
function logCut(context: TransferContext, transfer: 'download' | 'upload', fields: Record<string, string | number | null>, error: unknown, clientGone: AbortSignal | undefined): void {
  const logger = context.services.logger;
  if (context.isShuttingDown()) {
    logger.warn({ ...fields, reason: 'SHUTDOWN' }, `object ${transfer} cut by shutdown`);
  } else if (!isDomainError(error) && (clientGone?.aborted ?? isAbort(error))) {
    logger.info({ ...fields, reason: 'CLIENT_CLOSED' }, `object ${transfer} ended by the client`);
  } else {
    logger.warn({ ...fields, code: isDomainError(error) ? error.code : 'STREAM_ERROR', err: errorFields(error) }, `object ${transfer} interrupted`);
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** The request's path without its query string (which may carry a signature), for logs. */
function loggablePath(req: Request): string {
  const question = req.originalUrl.indexOf('?');
  return question === -1 ? req.originalUrl : req.originalUrl.slice(0, question);
}

function errorFields(error: unknown): { name: string; message: string } | string {
  return error instanceof Error ? { name: error.name, message: error.message } : String(error);
}

function sendError(res: Response, error: DomainError, status: number): void {
  // The same hints /graphql gives: which credentials to send, and when to come back.
  if (error.code === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', 'Bearer, ApiKey');
  const { httpStatus: _status, ...details } = error.details;
  const retryAfterMs = details['retryAfterMs'];
  if (error.code === 'RATE_LIMITED' && typeof retryAfterMs === 'number') res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  const objectSize = details['objectSize'];
  if (error.code === 'RANGE_NOT_SATISFIABLE') {
    res.setHeader('Accept-Ranges', 'bytes');
    if (typeof objectSize === 'number') res.setHeader('Content-Range', unsatisfiedContentRange(objectSize));
  }
  // The error contract of every transport: the code, whether the same request may succeed later, client-safe details.
  res.status(status).json({ error: { ...details, code: error.code, message: error.message, retryable: error.retryable } });
}
