import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DescribeObjectCommand,
  GetObjectCommand,
  ListItemsCommand,
  PutObjectCommand,
  type MediaStoreDataClient,
} from '@aws-sdk/client-mediastore-data';
import { DomainError } from '../../errors/domain-error.js';
import { idleWatchdog, withDeadline } from '../deadline.js';
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
    // The deadline covers the wait for headers only; a large body may legitimately take longer, so the body is
    // guarded by an idle watchdog instead. One controller aborts the request in either phase.
    const controller = new AbortController();
    const onParentAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onParentAbort, { once: true });
    try {
      const output = await this.call('GetObject', { signal: controller.signal }, (abortSignal) =>
        this.client.send(new GetObjectCommand({ Path: path, Range: range }), { abortSignal }),
      );
      if (!(output.Body instanceof Readable)) {
        throw new DomainError('INTERNAL_SERVER_ERROR', 'The object store returned no body stream.');
      }
      const upstream = output.Body;
      const guarded = idleWatchdog(this.options.idleTimeoutMs, () => controller.abort());
      pipeline(upstream, guarded).then(
        () => options.signal?.removeEventListener('abort', onParentAbort),
        (error: unknown) => {
          options.signal?.removeEventListener('abort', onParentAbort);
          if (!guarded.destroyed) guarded.destroy(translateMediaStoreError(error, { operation: 'GetObject' }));
        },
      );
      return {
        metadata: toObjectMetadata(path, output),
        body: guarded,
        contentRange: output.ContentRange,
        bodyLength: output.ContentLength,
      };
    } catch (error) {
      options.signal?.removeEventListener('abort', onParentAbort);
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
    // A streamed upload has no response until its body ends, so it cannot have one total deadline: the body is
    // guarded by an idle watchdog, and the deadline starts once the last byte has been handed to the SDK.
    const controller = new AbortController();
    let stalled = false;
    const onParentAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onParentAbort, { once: true });
    let body: Readable | Uint8Array = input.body;
    let deadline: NodeJS.Timeout | undefined;
    const expire = (): void => {
      stalled = true;
      controller.abort();
    };
    if (input.body instanceof Readable) {
      const guarded = idleWatchdog(this.options.idleTimeoutMs, expire, 'upload');
      input.body.once('error', (error: Error) => guarded.destroy(error));
      guarded.once('end', () => {
        deadline = setTimeout(expire, this.options.timeoutMs);
      });
      body = input.body.pipe(guarded);
    } else {
      deadline = setTimeout(expire, this.options.timeoutMs);
    }
    try {
      const output = await this.client.send(
        new PutObjectCommand({
          Path: input.path,
          Body: body,
          ContentType: input.contentType,
          CacheControl: input.cacheControl,
          UploadAvailability: input.uploadAvailability,
        }),
        { abortSignal: controller.signal },
      );
      return { eTag: output.ETag, contentSha256: output.ContentSHA256 };
    } catch (error) {
      if (stalled && !(options.signal?.aborted ?? false)) {
        throw new DomainError('UPSTREAM_TIMEOUT', 'The object store stopped accepting the upload.', { cause: error });
      }
      throw translateMediaStoreError(error, { operation: 'PutObject' });
    } finally {
      if (deadline !== undefined) clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onParentAbort);
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
