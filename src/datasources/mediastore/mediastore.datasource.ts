import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DescribeObjectCommand,
  GetObjectCommand,
  ListItemsCommand,
  PutObjectCommand,
  type MediaStoreDataClient,
} from '@aws-sdk/client-mediastore-data';
import { DomainError } from '../../core/domain-error.js';
import { abortError, idleWatchdog, withDeadline } from '../../core/deadline.js';
import type {
  CallOptions,
  ObjectBody,
  ObjectListPage,
  ObjectStore,
  ObjectStoreLimits,
  PutObjectInput,
  PutObjectResult,
} from '../object-store/object-store.js';
import { translateMediaStoreError } from './mediastore.errors.js';
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
  /** Deadline for a call up to its response headers (retries included), in ms. */
  readonly timeoutMs: number;
  /** Longest silence tolerated inside a streamed body, in ms. */
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
    const output = await this.call('ListItems', options, (abortSignal) =>
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
    const output = await this.call('DescribeObject', options, (abortSignal) =>
      this.client.send(new DescribeObjectCommand({ Path: path }), { abortSignal }),
    );
    return toObjectMetadata(path, output);
  }

  async get(path: string, range: string | undefined, options: CallOptions = {}): Promise<ObjectBody> {
    const parent = options.signal;
    if (parent?.aborted) throw abortError(parent);
    // The deadline covers the wait for headers only; a large body may legitimately take longer, so the body is
    // guarded by an idle watchdog instead. One controller aborts the request in either phase.
    const controller = new AbortController();
    let guarded: Transform | undefined;
    const onParentAbort = (): void => {
      controller.abort(parent?.reason);
      if (parent !== undefined) guarded?.destroy(abortError(parent));
    };
    parent?.addEventListener('abort', onParentAbort, { once: true });
    try {
      const output = await this.call('GetObject', { signal: controller.signal }, (abortSignal) =>
        this.client.send(new GetObjectCommand({ Path: path, Range: range }), { abortSignal }),
      );
      if (!(output.Body instanceof Readable)) {
        throw new DomainError('INTERNAL_SERVER_ERROR', 'The object store returned no body stream.');
      }
      const upstream = output.Body;
      const body = idleWatchdog(this.options.idleTimeoutMs, () => controller.abort());
      guarded = body;
      // Not `pipeline()`: it would destroy `body` with the raw socket error (e.g. `aborted`, ECONNRESET) before
      // it could be translated. Errors are translated here; closing `body` early releases the upstream request.
      upstream.on('error', (error: unknown) => {
        body.destroy(parent?.aborted ? abortError(parent) : translateMediaStoreError(error, { operation: 'GetObject' }));
      });
      body.once('close', () => {
        parent?.removeEventListener('abort', onParentAbort);
        if (!upstream.readableEnded) upstream.destroy();
      });
      upstream.pipe(body);
      return {
        metadata: toObjectMetadata(path, output),
        body,
        contentRange: output.ContentRange,
        bodyLength: output.ContentLength,
      };
    } catch (error) {
      parent?.removeEventListener('abort', onParentAbort);
      throw error;
    }
  }

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
    const parent = options.signal;
    if (parent?.aborted) throw abortError(parent);
    // A streamed upload has no response until its body ends, so it cannot have one total deadline: the body is
    // guarded by an idle watchdog, and the deadline starts once the last byte has been handed to the SDK.
    const controller = new AbortController();
    let stalled = false;
    let bodyError: unknown;
    const onParentAbort = (): void => controller.abort(parent?.reason);
    parent?.addEventListener('abort', onParentAbort, { once: true });
    let body: Readable | Uint8Array = input.body;
    let guarded: Transform | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const expire = (): void => {
      stalled = true;
      controller.abort();
    };
    if (input.body instanceof Readable) {
      guarded = idleWatchdog(this.options.idleTimeoutMs, expire, 'upload');
      guarded.once('end', () => {
        deadline = setTimeout(expire, this.options.timeoutMs);
      });
      // The SDK only `pipe()`s the body into the request and listens for no stream errors, so errors are handled
      // here: pipeline() keeps the watchdog's own error from going unhandled, and a failing source (e.g. a byte
      // limit upstream of us) aborts the request and is reported as itself instead of hanging until a timeout.
      pipeline(input.body, guarded).catch((error: unknown) => {
        // A stall is already reported as UPSTREAM_TIMEOUT by the catch below; anything else is the source's
        // failure and becomes the result of the call.
        if (stalled) return;
        bodyError ??= error;
        controller.abort();
      });
      body = guarded;
    } else {
      deadline = setTimeout(expire, this.options.timeoutMs);
    }
    try {
      const command = new PutObjectCommand({
        Path: input.path,
        Body: body,
        ContentType: input.contentType,
        CacheControl: input.cacheControl,
        UploadAvailability: input.uploadAvailability,
      });
      if (body instanceof Readable && input.contentLength !== undefined) declareContentLength(command, input.contentLength);
      const output = await this.client.send(command, { abortSignal: controller.signal });
      return { eTag: output.ETag, contentSha256: output.ContentSHA256 };
    } catch (error) {
      if (parent?.aborted) throw abortError(parent);
      if (stalled) {
        throw new DomainError('UPSTREAM_TIMEOUT', 'The object store stopped accepting the upload.', { cause: error });
      }
      if (bodyError !== undefined) throw bodyError instanceof Error ? bodyError : new Error(String(bodyError));
      throw translateMediaStoreError(error, { operation: 'PutObject' });
    } finally {
      if (deadline !== undefined) clearTimeout(deadline);
      // Stops the watchdog (and releases the source) when the request ended before the body did.
      if (guarded !== undefined && !guarded.readableEnded) guarded.destroy();
      parent?.removeEventListener('abort', onParentAbort);
    }
  }

  async delete(path: string, options: CallOptions = {}): Promise<void> {
    await this.call('DeleteObject', options, (abortSignal) =>
      this.client.send(new DeleteObjectCommand({ Path: path }), { abortSignal }),
    );
  }

  async checkReachable(options: CallOptions = {}): Promise<void> {
    await this.call('ListItems', options, (abortSignal) =>
      this.client.send(new ListItemsCommand({ MaxResults: 1 }), { abortSignal }),
    );
  }

  private async call<T>(operation: string, options: CallOptions, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.options.timeoutMs, options.signal, send);
    } catch (error) {
      throw translateMediaStoreError(error, { operation });
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
