import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ChangeSignal, EventLog } from '../common/event-log.js';
import { closeHttpServer, listenHttp, trackSockets } from '../common/http-lifecycle.js';
import { checkRequestAuth, type AuthKind } from './s3.auth.js';
import { discardThen } from './s3.body.js';
import { S3WireError, sendS3Error } from './s3.errors.js';
import { S3FaultSchedule, type S3Fault, type S3Operation, type TerminalFault } from './s3.faults.js';
import { isValidBucketName, keyProblem } from './s3.keys.js';
import { S3_DEFAULT_CONTENT_TYPE, S3_MAX_PUT_OBJECT_BYTES } from './s3.limits.js';
import { ContinuationTokens } from './s3.list-token.js';
import {
  abortMultipartUpload,
  bodyFaultOf,
  completeMultipartUpload,
  createMultipartUpload,
  deleteObject,
  getObject,
  listMultipartUploads,
  listObjectsV2,
  putObject,
  uploadPart,
  type ObjectSettings,
  type OperationContext,
} from './s3.operations.js';
import { Bucket } from './s3.store.js';
import { resolveTarget, type Addressing } from './s3.target.js';
import { EmulatorTimers } from '../common/emulator-timers.js';

export type { S3Fault, S3Operation } from './s3.faults.js';

/** The bucket an emulator starts with when its options name none. */
export const S3_EMULATOR_DEFAULT_BUCKET = 'media-graph';

/** Options of {@link S3Emulator.start}. */
export interface S3EmulatorOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** TCP port; default 0 (an ephemeral port; read `endpoint`). */
  port?: number;
  /** Buckets that exist at start; default one, {@link S3_EMULATOR_DEFAULT_BUCKET}. The first is `bucket`. */
  buckets?: readonly string[];
  /** Clock in epoch milliseconds for LastModified, presigned URL expiry and the request log; default `Date.now`. */
  now?: () => number;
  /**
   * Require SigV4 authentication: an `Authorization: AWS4-HMAC-SHA256 Credential=..., Signature=...` header or
   * presigned query parameters that have not expired; default `true`. Signatures are never verified.
   */
  requireAuthorization?: boolean;
  /** Largest single PutObject body in bytes; default 5 GiB (documented). Lower it to reach EntityTooLarge cheaply. */
  maxPutObjectBytes?: number;
  /** Receives unexpected internal errors (answered as 500 InternalError); default `console.error`. */
  onInternalError?: (error: unknown) => void;
}

/** One request as the emulator received it, recorded before any fault, auth or validation step. */
export interface S3RecordedRequest {
  readonly operation: S3Operation;
  readonly method: string;
  /** The bucket the request addressed (`''` for none). */
  readonly bucket: string;
  /** The decoded object key (`''` for bucket operations or an undecodable path). */
  readonly key: string;
  /** Raw query string without `?`. */
  readonly query: string;
  readonly addressing: Addressing;
  /** How the request was authenticated: `header`, presigned `query`, or `none`. */
  readonly auth: AuthKind;
  /** Emulator clock at arrival, epoch milliseconds. */
  readonly at: number;
  /** How the request framed its body. */
  readonly bodyFraming: 'content-length' | 'chunked' | 'none';
}

/** A multipart upload in progress, as {@link S3Emulator.multipartUploads} reports it. */
export interface S3UploadInProgress {
  readonly key: string;
  readonly uploadId: string;
  readonly parts: number;
}

/**
 * A wire-level emulator of Amazon S3 (the operations in PROTOCOL.md beside this file), for the real
 * `@aws-sdk/client-s3` pointed at `endpoint` with path-style or virtual-host addressing, and for presigned URLs.
 * Buckets live in memory for the lifetime of the instance.
 */
export class S3Emulator {
  private readonly buckets = new Map<string, Bucket>();
  private readonly tokens = new ContinuationTokens();
  private readonly faults = new S3FaultSchedule();
  private readonly sockets: Set<Socket>;
  private readonly timers = new EmulatorTimers();
  private readonly now: () => number;
  private readonly requireAuthorization: boolean;
  private readonly maxPutObjectBytes: number;
  private readonly onInternalError: (error: unknown) => void;
  private readonly log = new EventLog<S3RecordedRequest>(100_000, 'S3 emulator is closed');
  private readonly changes = new ChangeSignal('S3 emulator is closed');
  private readonly concurrency = new Map<S3Operation, { current: number; peak: number }>();
  private readonly concurrencyTotal = { current: 0, peak: 0 };
  /** Body bytes the latest upload of each `bucket/key` received so far. */
  private readonly bodyBytes = new Map<string, number>();
  private readonly defaultBucket: string;
  private closing: Promise<void> | undefined;
  private endpointUrl = '';

  private constructor(
    private readonly server: Server,
    options: S3EmulatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.requireAuthorization = options.requireAuthorization ?? true;
    this.maxPutObjectBytes = options.maxPutObjectBytes ?? S3_MAX_PUT_OBJECT_BYTES;
    this.onInternalError = options.onInternalError ?? ((error: unknown) => console.error('S3 emulator internal error', error));
    const names = options.buckets ?? [S3_EMULATOR_DEFAULT_BUCKET];
    this.defaultBucket = names[0] ?? S3_EMULATOR_DEFAULT_BUCKET;
    for (const name of names) this.createBucket(name);
    this.sockets = trackSockets(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
  }

  /**
   * Starts an emulator on `options.host:options.port`.
   * @returns the running emulator; the caller owns it and must `close()` it.
   * @throws the listen error (e.g. `EADDRINUSE`); RangeError for an invalid bucket name or `maxPutObjectBytes`.
   */
  static async start(options: S3EmulatorOptions = {}): Promise<S3Emulator> {
    if (options.maxPutObjectBytes !== undefined && !(Number.isSafeInteger(options.maxPutObjectBytes) && options.maxPutObjectBytes >= 0)) {
      throw new RangeError(`maxPutObjectBytes must be a whole number of bytes, got ${String(options.maxPutObjectBytes)}`);
    }
    const server = createServer();
    const emulator = new S3Emulator(server, options);
    emulator.endpointUrl = await listenHttp(server, options.host ?? '127.0.0.1', options.port ?? 0);
    return emulator;
  }

  /** Base URL to pass as the SDK's `endpoint`, e.g. `http://127.0.0.1:43210`. */
  get endpoint(): string {
    return this.endpointUrl;
  }

  /** The first bucket (what `putObjectDirect` and friends use when given no bucket). */
  get bucket(): string {
    return this.defaultBucket;
  }

  /** Creates an empty bucket (no-op when it exists). @throws RangeError for a name S3 would refuse. */
  createBucket(name: string): void {
    if (!isValidBucketName(name)) throw new RangeError(`invalid bucket name ${JSON.stringify(name)}`);
    if (!this.buckets.has(name)) this.buckets.set(name, new Bucket(name, this.now));
  }

  /** Removes a bucket and everything in it; requests to it then get 404 NoSuchBucket. */
  deleteBucket(name: string): void {
    this.buckets.delete(name);
  }

  /** Every request received since start or the last `resetRequests()`, in arrival order (a snapshot). */
  get requests(): readonly S3RecordedRequest[] {
    return this.log.entries;
  }

  /** Number of recorded requests, of one operation when given. */
  count(operation?: S3Operation): number {
    const entries = this.log.entries;
    return operation === undefined ? entries.length : entries.filter((request) => request.operation === operation).length;
  }

  /** Empties the request log and upload progress; in-flight peaks restart from the requests in flight now. */
  resetRequests(): void {
    this.log.reset();
    this.bodyBytes.clear();
    this.concurrencyTotal.peak = this.concurrencyTotal.current;
    for (const counter of this.concurrency.values()) counter.peak = counter.current;
  }

  /** Requests (of `operation`) received and not yet answered in full, counted from arrival. */
  inFlight(operation?: S3Operation): number {
    return (operation === undefined ? this.concurrencyTotal : this.concurrency.get(operation))?.current ?? 0;
  }

  /** The most requests (of `operation`) in flight at once since start or the last `resetRequests()`. */
  peakInFlight(operation?: S3Operation): number {
    return (operation === undefined ? this.concurrencyTotal : this.concurrency.get(operation))?.peak ?? 0;
  }

  /**
   * Body bytes the latest upload of `key` has received so far (a PutObject, or every part of a multipart upload
   * together), in flight or done; `undefined` when none since start or the last `resetRequests()`.
   */
  receivedBodyBytes(key: string, bucket = this.defaultBucket): number | undefined {
    return this.bodyBytes.get(`${bucket}/${key}`);
  }

  /**
   * Resolves once the latest upload of `key` has received at least `bytes` body bytes, so a test can tell that
   * bytes reached the store while its client is still sending. @throws (rejects) when the emulator closes first.
   */
  waitForBodyBytes(key: string, bytes: number, bucket = this.defaultBucket): Promise<void> {
    return this.changes.waitUntil(() => (this.bodyBytes.get(`${bucket}/${key}`) ?? -1) >= bytes);
  }

  /** Resolves with the first recorded request matching `predicate`, logged or later. @throws (rejects) on close. */
  waitForRequest(predicate: (request: S3RecordedRequest) => boolean = () => true): Promise<S3RecordedRequest> {
    return this.log.waitFor(predicate);
  }

  /** Injects a fault (see {@link S3Fault}). @throws RangeError for an out-of-range number. */
  injectFault(fault: S3Fault): void {
    this.faults.inject(fault);
  }

  /** Removes every injected fault. Stalled exchanges stay stalled. */
  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Stores an object without HTTP (seeding; not logged). The body is copied.
   * @param meta `contentType` defaults to `binary/octet-stream` as in S3.
   * @throws RangeError for a missing bucket or a key S3 refuses.
   */
  putObjectDirect(key: string, body: Uint8Array | string, meta: { contentType?: string; cacheControl?: string } = {}, bucket = this.defaultBucket): void {
    const target = this.requireBucket(bucket);
    const problem = keyProblem(key);
    if (problem !== undefined) throw new RangeError(`invalid S3 key ${JSON.stringify(key)}: ${problem}`);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    target.putObject(key, [bytes], { contentType: meta.contentType ?? S3_DEFAULT_CONTENT_TYPE, cacheControl: meta.cacheControl, userMetadata: {} });
  }

  /** A copy of the object's bytes at `key`, or `undefined` when there is none (test assertions; not logged). */
  readObjectDirect(key: string, bucket = this.defaultBucket): Buffer | undefined {
    const object = this.buckets.get(bucket)?.getObject(key);
    return object === undefined ? undefined : Buffer.concat(object.body, object.size);
  }

  /** Number of objects in `bucket`. */
  objectCount(bucket = this.defaultBucket): number {
    return this.buckets.get(bucket)?.objectCount ?? 0;
  }

  /** The multipart uploads in progress in `bucket` (what ListMultipartUploads would list), ordered by key. */
  multipartUploads(bucket = this.defaultBucket): S3UploadInProgress[] {
    return (this.buckets.get(bucket)?.listUploads('') ?? []).map((upload) => ({ key: upload.key, uploadId: upload.uploadId, parts: upload.parts.size }));
  }

  /**
   * Stops listening and destroys every socket (keep-alive, stalled, mid-upload); clears latency timers and
   * rejects pending waits. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.timers.clear();
    this.log.close();
    this.changes.close();
    await closeHttpServer(this.server, this.sockets);
  }

  private requireBucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (bucket === undefined) throw new RangeError(`no bucket named ${JSON.stringify(name)}`);
    return bucket;
  }

  private trackInFlight(operation: S3Operation, res: ServerResponse): void {
    let counter = this.concurrency.get(operation);
    if (counter === undefined) {
      counter = { current: 0, peak: 0 };
      this.concurrency.set(operation, counter);
    }
    const counters = [counter, this.concurrencyTotal];
    for (const one of counters) {
      one.current += 1;
      one.peak = Math.max(one.peak, one.current);
    }
    res.once('close', () => {
      for (const one of counters) one.current -= 1;
    });
  }

  private objectSettings(bucket: string): ObjectSettings {
    return {
      maxPutObjectBytes: this.maxPutObjectBytes,
      onUploadStart: (key) => {
        this.bodyBytes.set(`${bucket}/${key}`, 0);
        this.changes.notify();
      },
      onBodyBytes: (key, added) => {
        const id = `${bucket}/${key}`;
        this.bodyBytes.set(id, (this.bodyBytes.get(id) ?? 0) + added);
        this.changes.notify();
      },
    };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
    const method = req.method ?? 'GET';
    const target = resolveTarget(method, req.url ?? '/', req.headers.host);
    const auth = checkRequestAuth(req.headers.authorization, target.query, this.now());
    const bodyFraming = req.headers['content-length'] !== undefined ? 'content-length' : /chunked/i.test(req.headers['transfer-encoding'] ?? '') ? 'chunked' : 'none';
    this.log.push({
      operation: target.operation,
      method,
      bucket: target.bucket,
      key: target.key ?? '',
      query: target.rawQuery,
      addressing: target.addressing,
      auth: auth.kind,
      at: this.now(),
      bodyFraming,
    });
    this.trackInFlight(target.operation, res);
    res.setHeader('x-amz-request-id', requestId);
    const headOnly = method === 'HEAD';
    const fail = (error: S3WireError): void => {
      if (!sendS3Error(res, error, requestId, headOnly)) res.destroy();
    };
    // Errors decided before the body is read: drain the body first so a client still sending sees the answer.
    const refuse = (error: S3WireError): void => discardThen(req, () => fail(error));

    if (this.requireAuthorization && auth.error !== undefined) {
      refuse(auth.error);
      return;
    }
    const decision = this.faults.take(target.operation);
    const proceed = (): void => {
      try {
        this.dispatch(req, res, target, decision.terminal, fail, refuse);
      } catch (error: unknown) {
        if (error instanceof S3WireError) {
          refuse(error);
          return;
        }
        this.onInternalError(error);
        refuse(new S3WireError('InternalError', 'We encountered an internal error. Please try again.'));
      }
    };
    this.timers.delay(decision.latencyMs, proceed);
  }

  private dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    target: ReturnType<typeof resolveTarget>,
    terminal: TerminalFault | undefined,
    fail: (error: S3WireError) => void,
    refuse: (error: S3WireError) => void,
  ): void {
    if (terminal?.kind === 'error') {
      throw terminal.status === 500
        ? new S3WireError('InternalError', terminal.message ?? 'We encountered an internal error. Please try again.')
        : new S3WireError('ServiceUnavailable', terminal.message ?? 'Service is unable to handle request.');
    }
    if (terminal?.kind === 'throttle') throw new S3WireError('SlowDown', 'Please reduce your request rate.');
    if (terminal?.kind === 'deny') throw new S3WireError('AccessDenied', terminal.message ?? 'Access Denied');
    const bodyFault = bodyFaultOf(terminal);
    if (bodyFault !== undefined && target.operation !== 'GetObject') {
      if (bodyFault.kind === 'drop') req.socket.destroy();
      // A stall reads the request so the client believes it was delivered, then never answers.
      else req.resume();
      return;
    }
    if (target.error !== undefined) throw target.error;
    if (target.operation === 'Unknown') {
      throw new S3WireError('NotImplemented', 'A header or query you provided implies functionality that is not implemented.');
    }
    const bucket = this.buckets.get(target.bucket);
    if (bucket === undefined) {
      throw new S3WireError('NoSuchBucket', 'The specified bucket does not exist', { fields: { BucketName: target.bucket } });
    }
    const key = target.key ?? '';
    if (key !== '') {
      const problem = keyProblem(key);
      if (problem !== undefined) throw new S3WireError('KeyTooLongError', 'Your key is too long');
    }
    const ctx: OperationContext = { req, res, bucket, key, query: target.query, fail };
    const settings = this.objectSettings(bucket.name);
    switch (target.operation) {
      case 'HeadBucket':
        discardThen(req, () => {
          res.writeHead(200, { 'x-amz-bucket-region': 'us-east-1', 'Content-Length': 0 });
          res.end();
        });
        return;
      case 'ListObjectsV2':
        listObjectsV2(ctx, this.tokens, this.faults.takePageCap());
        return;
      case 'ListMultipartUploads':
        listMultipartUploads(ctx);
        return;
      case 'HeadObject':
        getObject(ctx, true, undefined);
        return;
      case 'GetObject':
        getObject(ctx, false, bodyFault);
        return;
      case 'PutObject':
        putObject(ctx, settings);
        return;
      case 'DeleteObject':
        deleteObject(ctx);
        return;
      case 'CreateMultipartUpload':
        createMultipartUpload(ctx, settings);
        return;
      case 'UploadPart':
        uploadPart(ctx, settings);
        return;
      case 'CompleteMultipartUpload':
        completeMultipartUpload(ctx);
        return;
      case 'AbortMultipartUpload':
        abortMultipartUpload(ctx);
        return;
    }
    refuse(new S3WireError('NotImplemented', 'A header or query you provided implies functionality that is not implemented.'));
  }
}
