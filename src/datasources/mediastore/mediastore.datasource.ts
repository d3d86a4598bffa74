import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DescribeObjectCommand,
  GetObjectCommand,
  ListItemsCommand,
  PutObjectCommand,
  type MediaStoreDataClient,
} from '@aws-sdk/client-mediastore-data';
import { DomainError } from '../../core/domain-error.js';
import { UpstreamExchange, withDeadline } from '../../core/deadline.js';
import type {
  CallOptions,
  ObjectBody,
  ObjectListPage,
  ObjectStore,
  ObjectStoreLimits,
  PutObjectInput,
  PutObjectResult,
} from '../object-store/object-store.js';
import { translateMediaStoreError, type MediaStoreErrorContext } from './mediastore.errors.js';
import { toObjectEntry, toObjectMetadata } from './mediastore.mapper.js';
import type { ObjectEntry, ObjectMetadata } from '../object-store/object-store.js';

/** Documented MediaStore Data limits. */
export const MEDIASTORE_LIMITS: ObjectStoreLimits = {
  maxListPageSize: 1000,
  listTokenTtlMs: 15 * 60 * 1000,
  maxObjectBytes: { STANDARD: 25 * 1024 * 1024, STREAMING: 10 * 1024 * 1024 },
};

/** Timeouts applied to every MediaStore call. */
export interface MediaStoreDataSourceOptions {
  /** Deadline for a call up to its response headers (retries included), in ms; never applied to a body in flight. */
  readonly timeoutMs: number;
  /** Longest time a streamed body may make no progress on the store's side, in ms. */
  readonly idleTimeoutMs: number;
}

/**
 * {@link ObjectStore} over the MediaStore Data plane of one container. The SDK client is injected (its endpoint
 * is the container's data endpoint; retries and the adaptive client-side rate limiter are configured on it).
 * Stateless apart from the client: one instance serves the whole process.
 */
export class MediaStoreDataSource implements ObjectStore {
  readonly provider = 'mediastore';
  readonly limits = MEDIASTORE_LIMITS;

  constructor(
    private readonly client: MediaStoreDataClient,
    private readonly options: MediaStoreDataSourceOptions,
  ) {}

  async list(folder: string, page: { pageSize: number; token: string | undefined }, options: CallOptions = {}): Promise<ObjectListPage> {
    const output = await this.call({ operation: 'ListItems', sentNextToken: page.token !== undefined && page.token !== '' }, options, (abortSignal) =>
      this.client.send(
        new ListItemsCommand({ Path: folder === '' ? undefined : folder, MaxResults: page.pageSize, NextToken: page.token }),
        { abortSignal },
      ),
    );
    const entries: ObjectEntry[] = [];
    for (const item of output.Items ?? []) {
      const entry = toObjectEntry(folder, item);
      if (entry !== undefined) entries.push(entry);
    }
    return { entries, nextToken: output.NextToken === '' ? undefined : output.NextToken };
  }

  async describe(path: string, options: CallOptions = {}): Promise<ObjectMetadata> {
    const output = await this.call({ operation: 'DescribeObject' }, options, (abortSignal) =>
      this.client.send(new DescribeObjectCommand({ Path: path }), { abortSignal }),
    );
    return toObjectMetadata(path, output);
  }

  /**
   * Opens the object's bytes. `UPSTREAM_TIMEOUT_MS` covers the wait for the response headers only; the body then
   * streams at its reader's pace and fails only when the store sends nothing for `UPSTREAM_IDLE_TIMEOUT_MS` while
   * there is room for its bytes (see {@link UpstreamExchange}).
   */
  async get(path: string, range: string | undefined, options: CallOptions = {}): Promise<ObjectBody> {
    const exchange = UpstreamExchange.open(this.options, options.signal);
    const translate = (error: unknown): Error => translateMediaStoreError(error, { operation: 'GetObject' });
    try {
      const output = await exchange.send((abortSignal) => this.client.send(new GetObjectCommand({ Path: path, Range: range }), { abortSignal }), translate);
      if (!(output.Body instanceof Readable)) {
        throw new DomainError('INTERNAL_SERVER_ERROR', 'The object store returned no body stream.');
      }
      return {
        metadata: toObjectMetadata(path, output),
        body: exchange.downloadBody(output.Body, translate),
        contentRange: output.ContentRange,
        bodyLength: output.ContentLength,
      };
    } catch (error) {
      exchange.close();
      throw error;
    }
  }

  /**
   * Stores an object. A streamed body is relayed at its writer's pace and fails only when the store stops taking
   * bytes for `UPSTREAM_IDLE_TIMEOUT_MS`; `UPSTREAM_TIMEOUT_MS` starts once the last byte has been handed on (a
   * streamed upload has no response before its body ends), or at once for an in-memory body. A STANDARD upload
   * declares its length; a STREAMING one always goes with chunked transfer encoding and no length, as the service
   * requires (also when the length is known).
   */
  async put(input: PutObjectInput, options: CallOptions = {}): Promise<PutObjectResult> {
    const max = this.limits.maxObjectBytes[input.uploadAvailability];
    const length = input.body instanceof Uint8Array ? input.body.byteLength : input.contentLength;
    if (length !== undefined && length > max) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `Objects uploaded with ${input.uploadAvailability} availability may be at most ${max} bytes.`, {
        details: { maxBytes: max },
      });
    }
    if (length === undefined && input.uploadAvailability === 'STANDARD') {
      throw new DomainError('BAD_USER_INPUT', 'A STANDARD upload needs its length; use STREAMING availability for chunked uploads.');
    }
    const exchange = UpstreamExchange.open(this.options, options.signal);
    try {
      const streaming = input.uploadAvailability === 'STREAMING';
      // The reference makes chunked transfer encoding mandatory with STREAMING availability. The SDK measures a
      // Uint8Array and sends its Content-Length, so such a body goes as a stream: one chunk, no length.
      const source = streaming && !(input.body instanceof Readable) ? Readable.from([input.body], { objectMode: false }) : input.body;
      const body = source instanceof Readable ? exchange.uploadBody(source) : source;
      const command = new PutObjectCommand({
        Path: input.path,
        Body: body,
        ContentType: input.contentType,
        CacheControl: input.cacheControl,
        UploadAvailability: input.uploadAvailability,
      });
      if (body instanceof Readable && input.contentLength !== undefined && !streaming) declareContentLength(command, input.contentLength);
      const output = await exchange.send(
        (abortSignal) => this.client.send(command, { abortSignal }),
        (error) => translateMediaStoreError(error, { operation: 'PutObject' }),
      );
      return { eTag: output.ETag, contentSha256: output.ContentSHA256 };
    } finally {
      // Also stops the watchdog and releases the source when the request ended before the body did.
      exchange.close();
    }
  }

  async delete(path: string, options: CallOptions = {}): Promise<void> {
    await this.call({ operation: 'DeleteObject' }, options, (abortSignal) =>
      this.client.send(new DeleteObjectCommand({ Path: path }), { abortSignal }),
    );
  }

  async checkReachable(options: CallOptions = {}): Promise<void> {
    await this.call({ operation: 'ListItems' }, options, (abortSignal) =>
      this.client.send(new ListItemsCommand({ MaxResults: 1 }), { abortSignal }),
    );
  }

  private async call<T>(context: MediaStoreErrorContext, options: CallOptions, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.options.timeoutMs, options.signal, send);
    } catch (error) {
      throw translateMediaStoreError(error, context);
    }
  }
}

/**
 * Sends `Content-Length: length` with a streamed body. The SDK can measure only buffers and file streams, so a
 * relayed stream would otherwise go out chunked even when its length is known: the store then cannot refuse an
 * oversized STANDARD upload before the bytes arrive. Added in the build step, before signing, so the header is
 * signed like the others.
 */
function declareContentLength(command: PutObjectCommand, length: number): void {
  const value = String(length);
  command.middlewareStack.add(
    (next) => async (args) => {
      const request: unknown = args.request;
      if (typeof request === 'object' && request !== null && 'headers' in request && typeof request.headers === 'object' && request.headers !== null) {
        Reflect.set(request.headers, 'content-length', value);
      }
      return next(args);
    },
    { step: 'build', name: 'mediaGraphDeclaredContentLength' },
  );
}
