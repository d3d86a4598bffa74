import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { UpstreamExchange, withDeadline } from '../../core/deadline.js';
import { DomainError } from '../../core/domain-error.js';
import { quoteETag } from '../../core/http-conditions.js';
import type { Logger } from '../../core/logger.js';
import type {
  CallOptions,
  DirectTransfers,
  ObjectBody,
  ObjectListPage,
  ObjectMetadata,
  ObjectStore,
  ObjectStoreLimits,
  PutObjectInput,
  PutObjectResult,
} from '../object-store/object-store.js';
import { NoSuchBucketError, isNoSuchBucket, translateS3Error } from './s3.errors.js';
import { keyOf, listPrefixOf, type KeyLayout } from './s3.keys.js';
import { toObjectEntries, toObjectMetadata } from './s3.mapper.js';
import { S3_MAX_PARTS, S3_PART_BYTES, isStreamBody, uploadStream } from './s3.upload.js';

/**
 * Limits of the S3 object store. Listings page up to 1,000 keys; continuation tokens do not expire. Streamed uploads
 * use fixed 5 MiB parts (bounded memory), so the largest object is 10,000 of them; S3 has no streaming
 * availability, so both availabilities share that limit (STREAMING only allows a body without Content-Length).
 */
export const S3_LIMITS: ObjectStoreLimits = {
  maxListPageSize: 1000,
  listTokenTtlMs: undefined,
  maxObjectBytes: { STANDARD: S3_MAX_PARTS * S3_PART_BYTES, STREAMING: S3_MAX_PARTS * S3_PART_BYTES },
};

/** Settings of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions extends KeyLayout {
  /** Deadline of a call up to its response headers (retries included), in ms; a streamed upload's parts each get it. */
  readonly timeoutMs: number;
  /** Longest silence tolerated inside a streamed body, either way, in ms. */
  readonly idleTimeoutMs: number;
  readonly logger: Logger;
  /** Presigned direct transfers (`OBJECT_URLS=direct`); omitted when URLs are the gateway's. */
  readonly direct?: DirectTransfers | undefined;
}

/**
 * {@link ObjectStore} over one S3 bucket (or S3-compatible store), every key under the configured prefix. The SDK
 * client is injected (endpoint, addressing style, credentials, adaptive retries are configured on it). Paths reach
 * it validated by `parseObjectPath`/`parseFolderPath` and checked against the caller's tenant, so a key is always
 * `prefix + an allowed path`. Stateless apart from the client: one instance serves the whole process.
 */
export class S3ObjectStore implements ObjectStore {
  readonly provider = 's3';
  readonly limits = S3_LIMITS;
  readonly direct: DirectTransfers | undefined;

  constructor(
    private readonly client: S3Client,
    private readonly options: S3ObjectStoreOptions,
  ) {
    this.direct = options.direct;
  }

  /** The bucket this store reads and writes. */
  get bucket(): string {
    return this.options.bucket;
  }

  async list(folder: string, page: { pageSize: number; token: string | undefined }, options: CallOptions = {}): Promise<ObjectListPage> {
    const prefix = listPrefixOf(this.options, folder);
    const output = await this.call(options, (abortSignal) =>
      this.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, Delimiter: '/', MaxKeys: page.pageSize, ContinuationToken: page.token }),
        { abortSignal },
      ),
    );
    const entries = toObjectEntries(folder, prefix, output.Contents ?? [], output.CommonPrefixes ?? []);
    const next = output.IsTruncated === true ? output.NextContinuationToken : undefined;
    return { entries, nextToken: next === '' ? undefined : next };
  }

  async describe(path: string, options: CallOptions = {}): Promise<ObjectMetadata> {
    const output = await this.call(options, (abortSignal) =>
      this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: keyOf(this.options, path) }), { abortSignal }),
    );
    return toObjectMetadata(path, output);
  }

  /**
   * Opens the object's bytes. `UPSTREAM_TIMEOUT_MS` covers the wait for the response headers only; the body then
   * streams at its reader's pace and fails only when S3 sends nothing for `UPSTREAM_IDLE_TIMEOUT_MS` while there
   * is room for its bytes (see `UpstreamExchange`).
   */
  async get(path: string, range: string | undefined, options: CallOptions = {}): Promise<ObjectBody> {
    const exchange = UpstreamExchange.open(this.options, options.signal);
    try {
      const output = await exchange.send(
        (abortSignal) => this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: keyOf(this.options, path), Range: range }), { abortSignal }),
        translateS3Error,
      );
      if (!(output.Body instanceof Readable)) {
        throw new DomainError('INTERNAL_SERVER_ERROR', 'The object store returned no body stream.');
      }
      return {
        metadata: toObjectMetadata(path, output),
        body: exchange.downloadBody(output.Body, translateS3Error),
        contentRange: output.ContentRange,
        bodyLength: output.ContentLength,
      };
    } catch (error) {
      exchange.close();
      throw error;
    }
  }

  async put(input: PutObjectInput, options: CallOptions = {}): Promise<PutObjectResult> {
    const max = this.limits.maxObjectBytes[input.uploadAvailability];
    const length = input.body instanceof Uint8Array ? input.body.byteLength : input.contentLength;
    if (length !== undefined && length > max) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `Objects may be at most ${max} bytes.`, { details: { maxBytes: max } });
    }
    if (length === undefined && input.uploadAvailability === 'STANDARD') {
      throw new DomainError('BAD_USER_INPUT', 'A STANDARD upload needs its length; use STREAMING availability for chunked uploads.');
    }
    const key = keyOf(this.options, input.path);
    if (isStreamBody(input.body)) {
      const result = await uploadStream(
        this.client,
        { bucket: this.options.bucket, key, contentType: input.contentType, cacheControl: input.cacheControl, contentLength: input.contentLength },
        input.body,
        { timeoutMs: this.options.timeoutMs, idleTimeoutMs: this.options.idleTimeoutMs, logger: this.options.logger },
        options.signal,
      );
      return { eTag: result.eTag === undefined ? undefined : quoteETag(result.eTag), contentSha256: undefined };
    }
    const body = input.body;
    const output = await this.call(options, (abortSignal) =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: input.contentType, CacheControl: input.cacheControl }),
        { abortSignal },
      ),
    );
    return { eTag: output.ETag === undefined ? undefined : quoteETag(output.ETag), contentSha256: undefined };
  }

  /** Deletes the object; S3 answers a delete of a missing key with success, so existence is checked first. */
  async delete(path: string, options: CallOptions = {}): Promise<void> {
    await this.describe(path, options);
    await this.call(options, (abortSignal) =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: keyOf(this.options, path) }), { abortSignal }),
    );
  }

  /**
   * HeadBucket. @throws NoSuchBucketError naming the bucket when it does not exist (also logged: a deployment
   * error), otherwise the translated error.
   */
  async checkReachable(options: CallOptions = {}): Promise<void> {
    try {
      await withDeadline(this.options.timeoutMs, options.signal, (abortSignal) => this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }), { abortSignal }));
    } catch (error) {
      if (isNoSuchBucket(error, true)) {
        this.options.logger.error({ err: error, bucket: this.options.bucket }, `S3 bucket "${this.options.bucket}" does not exist (NoSuchBucket): check S3_BUCKET`);
        throw new NoSuchBucketError(this.options.bucket, error);
      }
      throw translateS3Error(error);
    }
  }

  private async call<T>(options: CallOptions, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.options.timeoutMs, options.signal, send);
    } catch (error) {
      throw translateS3Error(error);
    }
  }
}
