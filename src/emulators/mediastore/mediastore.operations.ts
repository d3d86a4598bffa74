import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { MediaStoreWireError } from './mediastore.errors.js';
import {
  MEDIASTORE_LIST_MAX_RESULTS,
  MEDIASTORE_MAX_STANDARD_OBJECT_BYTES,
  MEDIASTORE_MAX_STREAMING_OBJECT_BYTES,
  MEDIASTORE_STORAGE_CLASS,
} from './mediastore.limits.js';
import type { ListTokenCodec } from './mediastore.list-token.js';
import type { MediaStorePath } from './mediastore.paths.js';
import { validateListPath } from './mediastore.paths.js';
import { decideRange, formatContentRange } from './mediastore.range.js';
import type { ListedItem, MediaStoreObjectStore, StoredObject } from './mediastore.store.js';
import { discardBodyThen, followUpload, writeBufferBody } from './mediastore.streams.js';
import type { EmulatorTimers } from '../common/emulator-timers.js';

/**
 * The five MediaStore Data operations over the in-memory store. The server (mediastore.emulator.ts) has
 * already authenticated the request, applied faults, checked the container and validated the path; these
 * handlers own the rest of the request: headers, body, response. They throw `MediaStoreWireError` for
 * anything they refuse before the response starts; after that they report through `fail`.
 */

/** What every handler needs. */
export interface OperationContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly store: MediaStoreObjectStore;
  /** Renders an error once the handler is past the synchronous part (e.g. after the upload body ends). */
  readonly fail: (error: MediaStoreWireError, closeConnection?: boolean) => void;
}

/** Documented `ContentType` pattern: ^[\w\-\/\.\+]{1,255}$ (so no parameters such as `; charset=`). */
const CONTENT_TYPE = /^[\w\-/.+]{1,255}$/;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function objectHeaders(object: StoredObject): OutgoingHttpHeaders {
  return {
    'Content-Type': object.contentType,
    ETag: object.etag,
    'Last-Modified': httpDate(object.lastModifiedMs),
    'Accept-Ranges': 'bytes',
    ...(object.cacheControl !== undefined ? { 'Cache-Control': object.cacheControl } : {}),
  };
}

function notFound(): MediaStoreWireError {
  return new MediaStoreWireError('ObjectNotFoundException', 'Could not perform an operation on an object that does not exist');
}

/** Settings of PutObject that the emulator's options control. */
export interface PutSettings {
  /** Milliseconds within which the whole body must arrive. */
  readonly uploadTimeoutMs: number;
  /** Live timers of the emulator; the upload timer registers here so `close()` can clear it. */
  readonly timers: EmulatorTimers;
  /** Called with the running total each time body bytes are accepted, so tests can wait on upload progress. */
  readonly onBodyBytes?: (received: number) => void;
}

/**
 * PutObject (`PUT /{Path+}`): validates the headers, reads the body (Content-Length or chunked) within the
 * size limit of its upload availability, stores it, answers `{ ContentSHA256, ETag, StorageClass }`.
 *
 * STREAMING uploads are readable by GetObject while they arrive, and must come chunked (no Content-Length), as
 * the reference requires. Oversized bodies are read to the end and discarded before the 413 goes out, so the
 * client always receives the error rather than a reset.
 *
 * @throws MediaStoreWireError `ValidationError` for a bad Content-Type, storage class, upload availability,
 *   Content-Length, or a STREAMING upload that is not chunked, before any body is read (the body is then
 *   discarded by the caller).
 */
export function putObject(ctx: OperationContext, path: MediaStorePath, settings: PutSettings): void {
  const { req, res, store } = ctx;
  const contentType = singleHeader(req, 'content-type') ?? DEFAULT_CONTENT_TYPE;
  if (!CONTENT_TYPE.test(contentType)) {
    throw new MediaStoreWireError('ValidationError', 'Value at ContentType failed to satisfy constraint: Member must satisfy regular expression pattern');
  }
  const cacheControl = singleHeader(req, 'cache-control');
  const storageClass = singleHeader(req, 'x-amz-storage-class');
  if (storageClass !== undefined && storageClass.toUpperCase() !== MEDIASTORE_STORAGE_CLASS) {
    throw new MediaStoreWireError('ValidationError', 'Value at StorageClass failed to satisfy constraint: Member must satisfy enum value set: TEMPORAL');
  }
  const availability = (singleHeader(req, 'x-amz-upload-availability') ?? 'STANDARD').toUpperCase();
  if (availability !== 'STANDARD' && availability !== 'STREAMING') {
    throw new MediaStoreWireError('ValidationError', 'Value at UploadAvailability failed to satisfy constraint: Member must satisfy enum value set: STANDARD, STREAMING');
  }
  const limit = availability === 'STREAMING' ? MEDIASTORE_MAX_STREAMING_OBJECT_BYTES : MEDIASTORE_MAX_STANDARD_OBJECT_BYTES;
  const declared = singleHeader(req, 'content-length');
  if (declared !== undefined && !/^\d+$/.test(declared)) {
    throw new MediaStoreWireError('ValidationError', 'Content-Length must be a non-negative integer');
  }
  // The reference: "To use this header, you must also set the HTTP Transfer-Encoding header to chunked."
  if (availability === 'STREAMING' && (declared !== undefined || !/\bchunked\b/i.test(singleHeader(req, 'transfer-encoding') ?? ''))) {
    throw new MediaStoreWireError(
      'ValidationError',
      'Value at UploadAvailability failed to satisfy constraint: STREAMING requires Transfer-Encoding chunked and no Content-Length',
    );
  }
  const tooLarge = (): MediaStoreWireError =>
    new MediaStoreWireError(
      'RequestEntityTooLargeException',
      `Object size exceeds the limit of ${limit} bytes for ${availability} upload availability`,
    );
  if (declared !== undefined && Number(declared) > limit) {
    // Decided from the header alone; the body is read and dropped so the client gets the 413.
    discardBodyThen(req, () => ctx.fail(tooLarge()));
    return;
  }

  const meta = { contentType, cacheControl };
  const upload = availability === 'STREAMING' ? store.beginStreamingUpload(path.path, meta) : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  let refused: MediaStoreWireError | undefined;

  const cancelTimeout = settings.timers.after(
    settings.uploadTimeoutMs,
    () => {
      if (req.readableEnded) return;
      refused = new MediaStoreWireError('RequestTimeoutException', 'The object did not upload completely within the upload timeout');
      finishUpload(false);
      // The client is still sending; answer, then drop the connection rather than read on.
      ctx.fail(refused, true);
      res.once('finish', () => req.socket.destroy());
    },
    true,
  );

  function finishUpload(committed: boolean): void {
    cancelTimeout();
    if (!upload) return;
    if (committed) upload.complete();
    else upload.fail();
    store.endStreamingUpload(path.path, upload);
  }

  const onData = (chunk: Buffer): void => {
    if (refused) return;
    size += chunk.length;
    if (size > limit) {
      refused = tooLarge();
      chunks.length = 0;
      finishUpload(false);
      // Keep reading (and dropping) until the client is done, then answer 413.
      discardBodyThen(req, () => ctx.fail(tooLarge()));
      return;
    }
    if (upload) upload.append(chunk);
    else chunks.push(chunk);
    settings.onBodyBytes?.(size);
  };

  req.on('data', onData);
  req.once('end', () => {
    if (refused) return;
    const body = upload ? Buffer.concat(upload.chunks, size) : chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, size);
    const stored = store.putObject(path.segments, body, meta);
    finishUpload(true);
    const payload = JSON.stringify({ ContentSHA256: stored.sha256, ETag: stored.etag, StorageClass: MEDIASTORE_STORAGE_CLASS });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    res.end(payload);
  });
  req.once('close', () => {
    // 'close' without 'end' is a client abort (or the emulator closing): nothing is stored.
    if (!req.readableEnded) finishUpload(false);
  });
}

/**
 * GetObject (`GET /{Path+}`, optional `Range`): 200 with the whole body, 206 with `Content-Range` for a
 * satisfiable range. An open STREAMING upload at the path is served as it arrives (200, chunked, no
 * ETag or Content-Length, Range ignored as documented).
 *
 * @param stallAfter stall fault: send headers and at most this many body bytes, then nothing; a missing
 *   object then gets no answer at all.
 * @throws MediaStoreWireError `ObjectNotFoundException` (404), `RequestedRangeNotSatisfiableException` (416).
 */
export function getObject(ctx: OperationContext, path: MediaStorePath, stallAfter?: number): void {
  const { req, res, store } = ctx;
  const upload = store.streamingUpload(path.path);
  if (upload && upload.state === 'open') {
    res.writeHead(200, {
      'Content-Type': upload.contentType,
      'Last-Modified': httpDate(upload.startedAtMs),
      ...(upload.cacheControl !== undefined ? { 'Cache-Control': upload.cacheControl } : {}),
    });
    // A live follower must see the headers before the first chunk arrives, which may take a while.
    res.flushHeaders();
    followUpload(res, upload, stallAfter);
    return;
  }
  const object = store.getObject(path.segments);
  if (!object) {
    if (stallAfter !== undefined) return;
    throw notFound();
  }
  const size = object.body.length;
  const decision = decideRange(singleHeader(req, 'range'), size);
  if (decision.kind === 'unsatisfiable') {
    throw new MediaStoreWireError('RequestedRangeNotSatisfiableException', 'The requested content range is not valid', {
      'Content-Range': `bytes */${size}`,
    });
  }
  if (decision.kind === 'full') {
    res.writeHead(200, { ...objectHeaders(object), 'Content-Length': size });
    writeBufferBody(res, object.body, 0, size, stallAfter);
    return;
  }
  const { start, end } = decision;
  res.writeHead(206, {
    ...objectHeaders(object),
    'Content-Length': end - start + 1,
    'Content-Range': formatContentRange(start, end, size),
  });
  writeBufferBody(res, object.body, start, end + 1, stallAfter);
}

/**
 * DescribeObject (`HEAD /{Path+}`): the object's headers, no body. An open STREAMING upload is described
 * without Content-Length and ETag (both unknown until it completes).
 *
 * @throws MediaStoreWireError `ObjectNotFoundException` (404; the SDK reads the type from the header).
 */
export function describeObject(ctx: OperationContext, path: MediaStorePath): void {
  const { res, store } = ctx;
  const upload = store.streamingUpload(path.path);
  if (upload && upload.state === 'open') {
    res.writeHead(200, {
      'Content-Type': upload.contentType,
      'Last-Modified': httpDate(upload.startedAtMs),
      ...(upload.cacheControl !== undefined ? { 'Cache-Control': upload.cacheControl } : {}),
    });
    res.end();
    return;
  }
  const object = store.getObject(path.segments);
  if (!object) throw notFound();
  res.writeHead(200, { ...objectHeaders(object), 'Content-Length': object.body.length });
  res.end();
}

/**
 * DeleteObject (`DELETE /{Path+}`): removes the object and any folders left empty; answers `{}`.
 *
 * @throws MediaStoreWireError `ObjectNotFoundException` (404).
 */
export function deleteObject(ctx: OperationContext, path: MediaStorePath): void {
  if (!ctx.store.deleteObject(path.segments)) throw notFound();
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 2 });
  ctx.res.end('{}');
}

function itemJson(item: ListedItem): Record<string, unknown> {
  // restJson1 timestamps in a body default to epoch seconds; whole seconds keep ListItems consistent with
  // the second-precision Last-Modified header of GetObject/DescribeObject for the same object.
  if (item.type === 'FOLDER') {
    return { Name: item.name, Type: 'FOLDER', LastModified: Math.floor(item.lastModifiedMs / 1000) };
  }
  const { object } = item;
  return {
    Name: item.name,
    Type: 'OBJECT',
    ETag: object.etag,
    LastModified: Math.floor(object.lastModifiedMs / 1000),
    ContentType: object.contentType,
    ContentLength: object.body.length,
  };
}

/**
 * ListItems (`GET /?Path=&MaxResults=&NextToken=`): one folder level, ordered by name, at most
 * `MaxResults` (1..1000, default 1000) items, and a `NextToken` when more remain.
 *
 * @param rawQuery the query string as received (without `?`).
 * @param cap at most this many items whatever `MaxResults` says (a `short-page` fault); the `NextToken` then
 *   resumes after the last item returned, exactly as for a smaller `MaxResults`.
 * @throws MediaStoreWireError `ValidationError` (400) for a bad Path or MaxResults and for a NextToken that has
 *   expired or was not issued for this Path.
 */
export function listItems(ctx: OperationContext, rawQuery: string, tokens: ListTokenCodec, cap?: number): void {
  const params = new URLSearchParams(rawQuery);
  const folder = validateListPath(params.get('Path') ?? undefined);
  if (!folder.ok) {
    throw new MediaStoreWireError('ValidationError', `Value at Path failed to satisfy constraint: ${folder.reason}`);
  }
  let maxResults = MEDIASTORE_LIST_MAX_RESULTS;
  const maxText = params.get('MaxResults');
  if (maxText !== null) {
    maxResults = /^\d{1,7}$/.test(maxText) ? Number(maxText) : Number.NaN;
    if (!(maxResults >= 1 && maxResults <= MEDIASTORE_LIST_MAX_RESULTS)) {
      throw new MediaStoreWireError(
        'ValidationError',
        'Value at MaxResults failed to satisfy constraint: Member must have value between 1 and 1000',
      );
    }
  }
  let after: { name: string; type: 'FOLDER' | 'OBJECT' } | undefined;
  const token = params.get('NextToken');
  // An empty NextToken is treated as absent, as most AWS list APIs do.
  if (token !== null && token !== '') {
    const reading = tokens.read(token, folder.value.path);
    if (!reading.ok) {
      // The reference documents the 15-minute expiry but no error for it: ValidationError, the documented error
      // for a parameter that fails its constraints, with a message saying which case it is.
      throw reading.rejection === 'expired'
        ? new MediaStoreWireError('ValidationError', 'NextToken has expired: tokens expire 15 minutes after they are issued')
        : new MediaStoreWireError('ValidationError', 'NextToken is not valid for this request');
    }
    after = { name: reading.cursor.afterName, type: reading.cursor.afterType };
  }
  // The request is validated against MaxResults first: a short page must not hide a bad parameter.
  const page = ctx.store.listFolder(folder.value.segments, after, cap === undefined ? maxResults : Math.min(maxResults, cap));
  const last = page.items[page.items.length - 1];
  const nextToken =
    page.more && last ? tokens.issue({ folder: folder.value.path, afterName: last.name, afterType: last.type }) : undefined;
  const payload = JSON.stringify({ Items: page.items.map(itemJson), ...(nextToken ? { NextToken: nextToken } : {}) });
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  ctx.res.end(payload);
}
