import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { evaluatePreconditions } from '../../core/http-conditions.js';
import { contentRangeOf, parseByteRange, resolveByteRange, unsatisfiedContentRange } from '../../core/http-range.js';
import { bodyFraming, checkDeclaredChecksum, ClientGoneError, collectBody, discardThen } from './s3.body.js';
import { S3WireError } from './s3.errors.js';
import type { TerminalFault } from './s3.faults.js';
import { compareKeys } from './s3.keys.js';
import { S3_DEFAULT_CONTENT_TYPE, S3_MAX_KEYS, S3_MAX_PART_BYTES, S3_MAX_PARTS, S3_MAX_UPLOADS_LISTED, S3_MIN_PART_BYTES } from './s3.limits.js';
import type { ContinuationTokens } from './s3.list-token.js';
import { md5ETag, multipartETag, type Bucket, type StoredMeta, type StoredObject, type StoredPart } from './s3.store.js';
import { parseCompleteMultipartUpload, xmlEscape } from './s3.xml.js';

/**
 * The S3 operations over the in-memory buckets. The server (s3.emulator.ts) has already authenticated the
 * request, applied faults and found the bucket; these handlers own the rest: headers, body, response. They throw
 * `S3WireError` for what they refuse before the response starts, and report later failures through `fail`.
 */

/** What every handler needs. */
export interface OperationContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly bucket: Bucket;
  /** The decoded object key (`''` for bucket operations). */
  readonly key: string;
  readonly query: URLSearchParams;
  /** Renders an error once the handler is past its synchronous part (e.g. after the body ended). */
  readonly fail: (error: S3WireError) => void;
}

/** Settings the emulator's options control. */
export interface ObjectSettings {
  /** Largest PutObject body, in bytes. */
  readonly maxPutObjectBytes: number;
  /** Called with each run of body bytes an upload of a key receives (PutObject or any of its parts). */
  readonly onBodyBytes: (key: string, added: number) => void;
  /** Called when an upload of a key starts (PutObject, CreateMultipartUpload): progress restarts at 0. */
  readonly onUploadStart: (key: string) => void;
}

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const SLICE_BYTES = 64 * 1024;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  const body = XML_HEADER + xml;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Content-Type, Cache-Control and `x-amz-meta-*` of a PutObject or CreateMultipartUpload. */
function storedMeta(req: IncomingMessage): StoredMeta {
  const userMetadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') userMetadata[name.slice('x-amz-meta-'.length)] = value;
  }
  return { contentType: header(req, 'content-type') ?? S3_DEFAULT_CONTENT_TYPE, cacheControl: header(req, 'cache-control'), userMetadata };
}

function objectHeaders(object: StoredObject): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'Content-Type': object.contentType,
    ETag: object.eTag,
    'Last-Modified': httpDate(object.lastModifiedMs),
    'Accept-Ranges': 'bytes',
  };
  if (object.cacheControl !== undefined) headers['Cache-Control'] = object.cacheControl;
  for (const [name, value] of Object.entries(object.userMetadata)) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

function noSuchKey(key: string): S3WireError {
  return new S3WireError('NoSuchKey', 'The specified key does not exist.', { fields: { Key: key } });
}

function noSuchUpload(uploadId: string): S3WireError {
  return new S3WireError('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', {
    fields: { UploadId: uploadId },
  });
}

/** What a stall or drop fault does to a GetObject body. */
export interface BodyFault {
  readonly kind: 'stall' | 'drop';
  readonly afterBytes: number;
}

/** The body fault of a terminal fault, if it is one. */
export function bodyFaultOf(fault: TerminalFault | undefined): BodyFault | undefined {
  if (fault?.kind !== 'stall' && fault?.kind !== 'drop') return undefined;
  return { kind: fault.kind, afterBytes: fault.afterBytes ?? 0 };
}

/**
 * Writes bytes `[start, endExclusive)` of an object's buffers to `res` in slices that respect backpressure, then
 * ends it. A body fault stops after its byte count and then either never ends (`stall`) or destroys the
 * connection (`drop`).
 */
function writeObjectBody(res: ServerResponse, body: readonly Buffer[], start: number, endExclusive: number, fault: BodyFault | undefined): void {
  const stop = fault === undefined ? endExclusive : Math.min(endExclusive, start + fault.afterBytes);
  let chunkIndex = 0;
  let chunkStart = 0;
  let offset = start;
  const finish = (): void => {
    if (fault === undefined) res.end();
    else if (fault.kind === 'drop') res.socket?.destroy();
  };
  const pump = (): void => {
    while (offset < stop) {
      if (res.destroyed) return;
      let chunk = body[chunkIndex];
      while (chunk !== undefined && chunkStart + chunk.length <= offset) {
        chunkStart += chunk.length;
        chunkIndex += 1;
        chunk = body[chunkIndex];
      }
      if (chunk === undefined) break;
      const from = offset - chunkStart;
      const to = Math.min(chunk.length, from + SLICE_BYTES, stop - chunkStart);
      offset += to - from;
      if (!res.write(chunk.subarray(from, to))) {
        res.once('drain', pump);
        return;
      }
    }
    // With a fault, let what was written reach the client before the connection goes.
    if (fault?.kind === 'drop' && res.writableLength > 0) res.once('drain', finish);
    else finish();
  };
  pump();
}

/**
 * GetObject and HeadObject: the object's headers (and bytes for GET). `Range` follows S3: one `bytes` range;
 * anything that does not parse as one is ignored (200, whole object); a range starting at or past the end, or a
 * zero-length suffix, is 416 `InvalidRange` with `Content-Range: bytes *\/size`. Preconditions (`If-Match`,
 * `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`) answer 412 or 304.
 * @throws S3WireError `NoSuchKey` (404), `InvalidRange` (416), `PreconditionFailed` (412).
 */
export function getObject(ctx: OperationContext, headOnly: boolean, fault: BodyFault | undefined): void {
  const { req, res } = ctx;
  const object = ctx.bucket.getObject(ctx.key);
  if (object === undefined) {
    if (fault?.kind === 'stall') return;
    throw noSuchKey(ctx.key);
  }
  const validators = { eTag: object.eTag, lastModified: new Date(object.lastModifiedMs) };
  const outcome = evaluatePreconditions(
    headOnly ? 'HEAD' : 'GET',
    {
      ifMatch: header(req, 'if-match'),
      ifNoneMatch: header(req, 'if-none-match'),
      ifModifiedSince: header(req, 'if-modified-since'),
      ifUnmodifiedSince: header(req, 'if-unmodified-since'),
    },
    validators,
  );
  if (outcome === 'failed') throw new S3WireError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { fields: { Condition: 'If-Match' } });
  if (outcome === 'not-modified') {
    res.writeHead(304, { ETag: object.eTag, 'Last-Modified': httpDate(object.lastModifiedMs) });
    res.end();
    return;
  }
  const size = object.size;
  if (headOnly) {
    // HeadObject ignores Range for its status (S3 answers 200 with the whole length).
    res.writeHead(200, { ...objectHeaders(object), 'Content-Length': size });
    res.end();
    return;
  }
  const spec = parseByteRange(header(req, 'range'));
  const resolved = spec === undefined ? ({ kind: 'full' } as const) : resolveByteRange(spec, size);
  if (resolved.kind === 'unsatisfiable') {
    throw new S3WireError('InvalidRange', 'The requested range is not satisfiable', {
      fields: { RangeRequested: header(req, 'range') ?? '', ActualObjectSize: String(size) },
      headers: { 'Content-Range': unsatisfiedContentRange(size) },
    });
  }
  if (resolved.kind === 'full') {
    res.writeHead(200, { ...objectHeaders(object), 'Content-Length': size });
    writeObjectBody(res, object.body, 0, size, fault);
    return;
  }
  res.writeHead(206, {
    ...objectHeaders(object),
    'Content-Length': resolved.end - resolved.start + 1,
    'Content-Range': contentRangeOf(resolved.start, resolved.end, size),
  });
  writeObjectBody(res, object.body, resolved.start, resolved.end + 1, fault);
}

/**
 * PutObject: reads the body (plain or aws-chunked, with a declared length), checks `Content-MD5` when sent, and
 * stores it; answers 200 with the ETag. A declared length over the single-PUT limit is 400 `EntityTooLarge`
 * before any body is read.
 * @throws S3WireError `MissingContentLength`, `InvalidArgument`, `EntityTooLarge` (before the body).
 */
export function putObject(ctx: OperationContext, settings: ObjectSettings): void {
  const framing = bodyFraming(ctx.req);
  if (framing.length > settings.maxPutObjectBytes) {
    throw new S3WireError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      fields: { ProposedSize: String(framing.length), MaxSizeAllowed: String(settings.maxPutObjectBytes) },
    });
  }
  const meta = storedMeta(ctx.req);
  const md5 = header(ctx.req, 'content-md5');
  settings.onUploadStart(ctx.key);
  collectBody(ctx.req, framing, progress(ctx.key, settings)).then(
    ({ body, trailers }) => {
      try {
        checkDeclaredChecksum(ctx.req, ctx.query, trailers, body);
      } catch (error) {
        if (error instanceof S3WireError) ctx.fail(error);
        return;
      }
      const eTag = md5ETag(body);
      if (md5 !== undefined && Buffer.from(eTag.slice(1, -1), 'hex').toString('base64') !== md5) {
        ctx.fail(new S3WireError('BadDigest', 'The Content-MD5 you specified did not match what we received.'));
        return;
      }
      ctx.bucket.putObject(ctx.key, body, meta, eTag);
      ctx.res.writeHead(200, { ETag: eTag, 'Content-Length': 0 });
      ctx.res.end();
    },
    (error: unknown) => {
      if (error instanceof S3WireError) ctx.fail(error);
    },
  );
}

/** Turns running totals of one body into the increments {@link ObjectSettings.onBodyBytes} takes. */
function progress(key: string, settings: ObjectSettings): (total: number) => void {
  let seen = 0;
  return (total) => {
    settings.onBodyBytes(key, total - seen);
    seen = total;
  };
}

/** DeleteObject: 204 whether or not the key existed (S3 does not tell). */
export function deleteObject(ctx: OperationContext): void {
  ctx.bucket.deleteObject(ctx.key);
  ctx.res.writeHead(204);
  ctx.res.end();
}

/** CreateMultipartUpload: starts an upload and answers its `UploadId`. */
export function createMultipartUpload(ctx: OperationContext, settings: ObjectSettings): void {
  const upload = ctx.bucket.createUpload(ctx.key, storedMeta(ctx.req));
  settings.onUploadStart(ctx.key);
  discardThen(ctx.req, () =>
    sendXml(
      ctx.res,
      200,
      `<InitiateMultipartUploadResult xmlns="${NS}"><Bucket>${xmlEscape(ctx.bucket.name)}</Bucket><Key>${xmlEscape(ctx.key)}</Key><UploadId>${upload.uploadId}</UploadId></InitiateMultipartUploadResult>`,
    ),
  );
}

function partNumberOf(query: URLSearchParams): number {
  const text = query.get('partNumber') ?? '';
  const number = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(number >= 1 && number <= S3_MAX_PARTS)) {
    throw new S3WireError('InvalidArgument', `Part number must be an integer between 1 and ${S3_MAX_PARTS}, inclusive`, {
      fields: { ArgumentName: 'partNumber', ArgumentValue: text },
    });
  }
  return number;
}

/**
 * UploadPart: stores one part (replacing an earlier upload of the same number) and answers its ETag.
 * @throws S3WireError `NoSuchUpload` (404), `InvalidArgument` (part number), `EntityTooLarge` (over 5 GiB).
 */
export function uploadPart(ctx: OperationContext, settings: ObjectSettings): void {
  const uploadId = ctx.query.get('uploadId') ?? '';
  const upload = ctx.bucket.uploads.get(uploadId);
  if (upload === undefined || upload.key !== ctx.key) throw noSuchUpload(uploadId);
  const partNumber = partNumberOf(ctx.query);
  const framing = bodyFraming(ctx.req);
  if (framing.length > S3_MAX_PART_BYTES) {
    throw new S3WireError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      fields: { ProposedSize: String(framing.length), MaxSizeAllowed: String(S3_MAX_PART_BYTES) },
    });
  }
  collectBody(ctx.req, framing, progress(ctx.key, settings)).then(
    ({ body, trailers }) => {
      try {
        checkDeclaredChecksum(ctx.req, ctx.query, trailers, body);
      } catch (error) {
        if (error instanceof S3WireError) ctx.fail(error);
        return;
      }
      // An upload aborted or completed while this part was arriving keeps nothing of it.
      if (ctx.bucket.uploads.get(uploadId) !== upload) {
        ctx.fail(noSuchUpload(uploadId));
        return;
      }
      const part: StoredPart = { partNumber, body, size: framing.length, eTag: md5ETag(body) };
      upload.parts.set(partNumber, part);
      ctx.res.writeHead(200, { ETag: part.eTag, 'Content-Length': 0 });
      ctx.res.end();
    },
    (error: unknown) => {
      if (error instanceof S3WireError) ctx.fail(error);
    },
  );
}

/** Reads a small request body as text (CompleteMultipartUpload's XML), at most `limit` bytes. */
function readText(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.once('end', () => (size > limit ? reject(new S3WireError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.')) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.once('close', () => {
      if (!req.readableEnded) reject(new ClientGoneError());
    });
  });
}

/**
 * CompleteMultipartUpload: assembles the listed parts into the object. The list must be in ascending part order
 * (`InvalidPartOrder`), name uploaded parts with their ETags (`InvalidPart`), and every part but the last must be
 * at least 5 MiB (`EntityTooSmall`). The object's ETag is the MD5 of the parts' MD5s, `-` and the part count.
 * @throws S3WireError `NoSuchUpload` (404).
 */
export function completeMultipartUpload(ctx: OperationContext): void {
  const uploadId = ctx.query.get('uploadId') ?? '';
  const upload = ctx.bucket.uploads.get(uploadId);
  if (upload === undefined || upload.key !== ctx.key) throw noSuchUpload(uploadId);
  readText(ctx.req, 1024 * 1024).then(
    (xml) => {
      const listed = parseCompleteMultipartUpload(xml);
      if (listed === undefined || listed.length === 0) {
        ctx.fail(new S3WireError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.'));
        return;
      }
      const parts: StoredPart[] = [];
      for (const [index, entry] of listed.entries()) {
        const previous = listed[index - 1];
        if (previous !== undefined && entry.partNumber <= previous.partNumber) {
          ctx.fail(new S3WireError('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.'));
          return;
        }
        const part = upload.parts.get(entry.partNumber);
        if (part === undefined || part.eTag !== `"${entry.eTag.replace(/"/g, '')}"`) {
          ctx.fail(new S3WireError('InvalidPart', "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."));
          return;
        }
        parts.push(part);
      }
      if (parts.slice(0, -1).some((part) => part.size < S3_MIN_PART_BYTES)) {
        ctx.fail(new S3WireError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.'));
        return;
      }
      ctx.bucket.uploads.delete(uploadId);
      const object = ctx.bucket.putObject(ctx.key, parts.flatMap((part) => part.body), upload, multipartETag(parts));
      const location = `/${encodeURIComponent(ctx.bucket.name)}/${ctx.key.split('/').map(encodeURIComponent).join('/')}`;
      sendXml(
        ctx.res,
        200,
        `<CompleteMultipartUploadResult xmlns="${NS}"><Location>${xmlEscape(location)}</Location><Bucket>${xmlEscape(ctx.bucket.name)}</Bucket><Key>${xmlEscape(ctx.key)}</Key><ETag>${xmlEscape(object.eTag)}</ETag></CompleteMultipartUploadResult>`,
      );
    },
    (error: unknown) => {
      if (error instanceof S3WireError) ctx.fail(error);
    },
  );
}

/**
 * AbortMultipartUpload: drops the upload and its parts; 204.
 * @throws S3WireError `NoSuchUpload` (404).
 */
export function abortMultipartUpload(ctx: OperationContext): void {
  const uploadId = ctx.query.get('uploadId') ?? '';
  const upload = ctx.bucket.uploads.get(uploadId);
  if (upload === undefined || upload.key !== ctx.key) throw noSuchUpload(uploadId);
  ctx.bucket.uploads.delete(uploadId);
  ctx.res.writeHead(204);
  ctx.res.end();
}

/** ListMultipartUploads (`GET /?uploads`): the uploads in progress under `prefix`, up to `max-uploads` (1000). */
export function listMultipartUploads(ctx: OperationContext): void {
  const prefix = ctx.query.get('prefix') ?? '';
  const max = maxParam(ctx.query, 'max-uploads', S3_MAX_UPLOADS_LISTED);
  const all = ctx.bucket.listUploads(prefix);
  const shown = all.slice(0, max);
  const uploads = shown
    .map(
      (upload) =>
        `<Upload><Key>${xmlEscape(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId><Initiator><ID>emulator</ID><DisplayName>emulator</DisplayName></Initiator><Owner><ID>emulator</ID><DisplayName>emulator</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>${isoDate(upload.initiatedMs)}</Initiated></Upload>`,
    )
    .join('');
  const last = shown[shown.length - 1];
  const truncated = all.length > shown.length;
  sendXml(
    ctx.res,
    200,
    `<ListMultipartUploadsResult xmlns="${NS}"><Bucket>${xmlEscape(ctx.bucket.name)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>${
      truncated && last !== undefined ? `<NextKeyMarker>${xmlEscape(last.key)}</NextKeyMarker><NextUploadIdMarker>${last.uploadId}</NextUploadIdMarker>` : ''
    }<Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>${max}</MaxUploads><IsTruncated>${String(truncated)}</IsTruncated>${uploads}</ListMultipartUploadsResult>`,
  );
}

/** A `max-keys`-style parameter: absent = `cap`; above the cap = the cap (S3 never returns more). */
function maxParam(query: URLSearchParams, name: string, cap: number): number {
  const text = query.get(name);
  if (text === null) return cap;
  if (!/^\d{1,10}$/.test(text)) {
    throw new S3WireError('InvalidArgument', `Provided ${name} not an integer or within integer range`, { fields: { ArgumentName: name, ArgumentValue: text } });
  }
  return Math.min(Number(text), cap);
}

/**
 * ListObjectsV2 (`GET /?list-type=2`): keys under `prefix`, those with `delimiter` after the prefix rolled up into
 * CommonPrefixes, in UTF-8 key order, strictly after `start-after` or the `continuation-token`'s position, at most
 * `max-keys` (default and cap 1000) entries counting each object and common prefix once; `NextContinuationToken`
 * when more remain.
 * @param cap a short-page fault's entry cap; the page is truncated there exactly as a smaller `max-keys` would be.
 * @throws S3WireError `InvalidArgument` for a bad `max-keys`, `encoding-type` or continuation token.
 */
export function listObjectsV2(ctx: OperationContext, tokens: ContinuationTokens, cap: number | undefined): void {
  const { query } = ctx;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const startAfter = query.get('start-after') ?? undefined;
  const encoding = query.get('encoding-type') ?? undefined;
  if (encoding !== undefined && encoding !== 'url') {
    throw new S3WireError('InvalidArgument', 'Invalid Encoding Method specified in Request', { fields: { ArgumentName: 'encoding-type', ArgumentValue: encoding } });
  }
  const maxKeys = maxParam(query, 'max-keys', S3_MAX_KEYS);
  const continuation = query.get('continuation-token') ?? undefined;
  let after: { key: string; rolledUp: boolean } | undefined = startAfter === undefined || startAfter === '' ? undefined : { key: startAfter, rolledUp: false };
  if (continuation !== undefined) {
    const position = continuation === '' ? undefined : tokens.read(continuation, { bucket: ctx.bucket.name, prefix, delimiter });
    if (position === undefined) {
      throw new S3WireError('InvalidArgument', 'The continuation token provided is incorrect', { fields: { ArgumentName: 'continuation-token' } });
    }
    // The token resumes after the page's last entry; StartAfter, which S3 echoes, no longer moves the start.
    if (after === undefined || compareKeys(position.key, after.key) >= 0) after = { key: position.key, rolledUp: position.rolledUp };
  }
  const limit = cap === undefined ? maxKeys : Math.min(maxKeys, cap);
  const page = ctx.bucket.list({ prefix, delimiter: delimiter === '' ? undefined : delimiter, after, maxKeys: limit });
  const encode = (text: string): string => xmlEscape(encoding === 'url' ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
  let contents = '';
  let prefixes = '';
  for (const entry of page.entries) {
    if (entry.kind === 'prefix') {
      prefixes += `<CommonPrefixes><Prefix>${encode(entry.prefix)}</Prefix></CommonPrefixes>`;
    } else {
      const { object } = entry;
      contents += `<Contents><Key>${encode(object.key)}</Key><LastModified>${isoDate(object.lastModifiedMs)}</LastModified><ETag>${xmlEscape(object.eTag)}</ETag><Size>${object.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    }
  }
  const last = page.entries[page.entries.length - 1];
  const next =
    page.more && last !== undefined
      ? tokens.issue({ bucket: ctx.bucket.name, prefix, delimiter, key: last.kind === 'prefix' ? last.prefix : last.object.key, rolledUp: last.kind === 'prefix' })
      : undefined;
  const optional = (name: string, value: string | undefined, encoded = false): string =>
    value === undefined ? '' : `<${name}>${encoded ? encode(value) : xmlEscape(value)}</${name}>`;
  sendXml(
    ctx.res,
    200,
    `<ListBucketResult xmlns="${NS}"><Name>${xmlEscape(ctx.bucket.name)}</Name><Prefix>${encode(prefix)}</Prefix>${optional('Delimiter', delimiter === '' ? undefined : delimiter, true)}<MaxKeys>${maxKeys}</MaxKeys>${optional('EncodingType', encoding)}<KeyCount>${page.entries.length}</KeyCount><IsTruncated>${String(page.more)}</IsTruncated>${optional('ContinuationToken', continuation)}${optional('NextContinuationToken', next)}${optional('StartAfter', startAfter, true)}${contents}${prefixes}</ListBucketResult>`,
  );
}
