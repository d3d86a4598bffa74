import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { MediaStoreWireError, sendWireError } from './mediastore.errors.js';
import type { MediaStoreFault, MediaStoreOperation, TerminalFault } from './mediastore.faults.js';
import { FaultSchedule } from './mediastore.faults.js';
import {
  MEDIASTORE_LIST_TOKEN_TTL_MS,
  MEDIASTORE_MAX_STANDARD_OBJECT_BYTES,
  MEDIASTORE_UPLOAD_TIMEOUT_MS,
} from './mediastore.limits.js';
import { ListTokenCodec } from './mediastore.list-token.js';
import type { OperationContext } from './mediastore.operations.js';
import { deleteObject, describeObject, getObject, listItems, putObject } from './mediastore.operations.js';
import { parseObjectPathname, validateObjectPath } from './mediastore.paths.js';
import { MediaStoreObjectStore } from './mediastore.store.js';
import { discardBodyThen, stopReadingAfter } from './mediastore.streams.js';

import { ChangeSignal, EventLog } from '../common/event-log.js';
import { closeHttpServer, listenHttp, trackSockets } from '../common/http-lifecycle.js';
import { EmulatorTimers } from '../common/emulator-timers.js';
export type { MediaStoreFault, MediaStoreOperation } from './mediastore.faults.js';

/** Options of {@link MediaStoreEmulator.start}. */
export interface MediaStoreEmulatorOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** TCP port; default `0` (an ephemeral port, read it back from `endpoint`). */
  port?: number;
  /** ListItems NextToken lifetime in milliseconds; default 15 minutes (documented). */
  listTokenTtlMs?: number;
  /** Clock in epoch milliseconds for LastModified, token expiry and the request log; default `Date.now`. */
  now?: () => number;
  /** Milliseconds a PutObject body may take to arrive; default 30 000 (documented). Uses real timers. */
  uploadTimeoutMs?: number;
  /**
   * Require a SigV4 `Authorization` header (`AWS4-HMAC-SHA256 Credential=..., Signature=...`); default
   * `true`. The signature itself is never verified.
   */
  requireAuthorization?: boolean;
  /** Receives unexpected internal errors (answered as 500 InternalServerError); default `console.error`. */
  onInternalError?: (error: unknown) => void;
}

/** One request as the emulator received it, recorded before any fault, auth or validation step. */
export interface RecordedRequest {
  /** The operation the method and path route to; `Unknown` when they route to none. */
  readonly operation: MediaStoreOperation;
  /** HTTP method, e.g. `GET`. */
  readonly method: string;
  /** Request-target path as sent on the wire (still percent-encoded), e.g. `/vod/a%3Db.ts`. */
  readonly path: string;
  /** Raw query string without `?`, `''` when none. */
  readonly query: string;
  /** Emulator clock (`options.now`) at arrival, epoch milliseconds. */
  readonly at: number;
  /** How the request framed its body: a `Content-Length`, `Transfer-Encoding: chunked`, or neither (no body). */
  readonly bodyFraming: 'content-length' | 'chunked' | 'none';
}

function routeOperation(method: string, pathname: string): MediaStoreOperation {
  if (!pathname.startsWith('/')) return 'Unknown';
  if (pathname === '/') return method === 'GET' ? 'ListItems' : 'Unknown';
  switch (method) {
    case 'PUT':
      return 'PutObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'DescribeObject';
    case 'DELETE':
      return 'DeleteObject';
    default:
      return 'Unknown';
  }
}

/** Checks the shape of a SigV4 Authorization header; returns the error to answer, if any. */
function checkAuthorization(header: string | undefined): MediaStoreWireError | undefined {
  if (header === undefined || header.trim() === '') {
    return new MediaStoreWireError('MissingAuthenticationToken', 'Missing Authentication Token');
  }
  if (!header.startsWith('AWS4-HMAC-SHA256 ') || !header.includes('Credential=') || !header.includes('Signature=')) {
    return new MediaStoreWireError('IncompleteSignature', 'The request signature does not conform to AWS standards');
  }
  return undefined;
}


/**
 * A wire-level emulator of the AWS Elemental MediaStore Data plane (one container), for the real
 * `@aws-sdk/client-mediastore-data` client pointed at `endpoint`. See PROTOCOL.md beside this file for
 * what is implemented. Objects live in memory for the lifetime of the instance.
 */
export class MediaStoreEmulator {
  private readonly store: MediaStoreObjectStore;
  private readonly tokens: ListTokenCodec;
  private readonly faults = new FaultSchedule();
  private readonly sockets: Set<Socket>;
  private readonly timers = new EmulatorTimers();
  private readonly now: () => number;
  private readonly uploadTimeoutMs: number;
  private readonly requireAuthorization: boolean;
  private readonly onInternalError: (error: unknown) => void;
  private readonly log = new EventLog<RecordedRequest>(100_000, 'MediaStore emulator is closed');
  /** Wakes `waitForBodyBytes` callers whenever upload progress changes. */
  private readonly changes = new ChangeSignal('MediaStore emulator is closed');
  /** Requests received and not yet answered in full, with the peak since the last reset, per operation. */
  private readonly concurrency = new Map<MediaStoreOperation, { current: number; peak: number }>();
  private concurrencyTotal = { current: 0, peak: 0 };
  /** Body bytes accepted by the latest PutObject of each path (object path, no leading slash). */
  private readonly putBodyBytes = new Map<string, number>();
  private containerAvailable = true;
  private closing: Promise<void> | undefined;
  private endpointUrl = '';

  private constructor(
    private readonly server: Server,
    options: MediaStoreEmulatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.store = new MediaStoreObjectStore(this.now);
    this.tokens = new ListTokenCodec(options.listTokenTtlMs ?? MEDIASTORE_LIST_TOKEN_TTL_MS, this.now);
    this.uploadTimeoutMs = options.uploadTimeoutMs ?? MEDIASTORE_UPLOAD_TIMEOUT_MS;
    this.requireAuthorization = options.requireAuthorization ?? true;
    this.onInternalError = options.onInternalError ?? ((error: unknown) => console.error('MediaStore emulator internal error', error));
    // Tracked from the first connection so close() can end idle keep-alive and stalled sockets at once.
    this.sockets = trackSockets(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
  }

  /**
   * Starts an emulator listening on `options.host:options.port`.
   *
   * @returns the running emulator; the caller owns it and must `close()` it.
   * @throws the listen error (e.g. `EADDRINUSE`) or a RangeError for a bad `listTokenTtlMs`/`uploadTimeoutMs`.
   */
  static async start(options: MediaStoreEmulatorOptions = {}): Promise<MediaStoreEmulator> {
    for (const [name, value] of [
      ['listTokenTtlMs', options.listTokenTtlMs],
      ['uploadTimeoutMs', options.uploadTimeoutMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new RangeError(`${name} must be a positive number of milliseconds, got ${String(value)}`);
      }
    }
    const server = createServer();
    const emulator = new MediaStoreEmulator(server, options);
    emulator.endpointUrl = await listenHttp(server, options.host ?? '127.0.0.1', options.port ?? 0);
    return emulator;
  }

  /** Base URL to pass as the SDK's `endpoint`, e.g. `http://127.0.0.1:43210`. */
  get endpoint(): string {
    return this.endpointUrl;
  }

  /** Every request received since start or the last `resetRequests()`, in arrival order (a snapshot). */
  get requests(): readonly RecordedRequest[] {
    return this.log.entries;
  }

  /** Number of recorded requests, of one operation when given. */
  count(operation?: MediaStoreOperation): number {
    const entries = this.log.entries;
    if (operation === undefined) return entries.length;
    return entries.filter((request) => request.operation === operation).length;
  }

  /**
   * Empties the request log and upload progress, and restarts the in-flight peaks from the requests in flight
   * now (pending `waitForRequest` and `waitForBodyBytes` calls keep waiting).
   */
  resetRequests(): void {
    this.log.reset();
    this.putBodyBytes.clear();
    this.concurrencyTotal.peak = this.concurrencyTotal.current;
    for (const counter of this.concurrency.values()) counter.peak = counter.current;
  }

  /**
   * Requests (of `operation`, when given) received and not yet answered in full: counted from arrival, before
   * faults and latency, until their response ends or their connection closes.
   */
  inFlight(operation?: MediaStoreOperation): number {
    return (operation === undefined ? this.concurrencyTotal : this.concurrency.get(operation))?.current ?? 0;
  }

  /**
   * The most requests (of `operation`, when given) that were in flight at once since start or the last
   * `resetRequests()`. With a latency fault holding each request, this is how many a client sent concurrently.
   */
  peakInFlight(operation?: MediaStoreOperation): number {
    return (operation === undefined ? this.concurrencyTotal : this.concurrency.get(operation))?.peak ?? 0;
  }

  /**
   * Body bytes the latest PutObject of `path` (object path without leading slash, e.g. `vod/a.ts`) has
   * accepted so far, whether still uploading or done; `undefined` when none arrived since start or the last
   * `resetRequests()`. Bytes of a body refused as too large stop counting at the limit.
   */
  receivedBodyBytes(path: string): number | undefined {
    return this.putBodyBytes.get(path);
  }

  /**
   * Resolves as soon as a PutObject of `path` has accepted at least `bytes` body bytes (at once when the
   * latest one already has), so a test can tell that a client's bytes reached the store while the client is
   * still sending.
   *
   * @throws (rejects) Error when the emulator closes first.
   */
  waitForBodyBytes(path: string, bytes: number): Promise<void> {
    return this.changes.waitUntil(() => (this.putBodyBytes.get(path) ?? -1) >= bytes);
  }

  /**
   * Resolves with the first recorded request matching `predicate`, already in the log or arriving later.
   * The promise settles when the request is recorded, before it is processed.
   *
   * @throws (rejects) Error when the emulator closes first.
   */
  waitForRequest(predicate: (request: RecordedRequest) => boolean = () => true): Promise<RecordedRequest> {
    return this.log.waitFor(predicate);
  }

  /**
   * Injects a fault (see {@link MediaStoreFault}); `times` omitted = until `clearFaults()`.
   *
   * @throws RangeError for a non-positive `times`, a negative `ms` or `afterBytes`.
   */
  injectFault(fault: MediaStoreFault): void {
    this.faults.inject(fault);
  }

  /** Removes every injected fault. Exchanges already stalled stay stalled. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** `false`: every request (after the auth check) gets 404 ContainerNotFoundException until set back. */
  setContainerAvailable(available: boolean): void {
    this.containerAvailable = available;
  }

  /**
   * Stores an object without HTTP (seeding; not recorded in the request log). The body is copied.
   *
   * @param path object path without leading slash, e.g. `vod/big-buck-bunny/master.m3u8`.
   * @param meta `contentType` defaults to `application/octet-stream`.
   * @throws TypeError when `path` breaks the documented path rules; RangeError when the body exceeds 25 MB.
   */
  putObjectDirect(path: string, body: Uint8Array | string, meta: { contentType?: string; cacheControl?: string } = {}): void {
    const checked = validateObjectPath(path);
    if (!checked.ok) throw new TypeError(`invalid MediaStore path ${JSON.stringify(path)}: ${checked.reason}`);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    if (bytes.length > MEDIASTORE_MAX_STANDARD_OBJECT_BYTES) {
      throw new RangeError(`object of ${bytes.length} bytes exceeds ${MEDIASTORE_MAX_STANDARD_OBJECT_BYTES}`);
    }
    this.store.putObject(checked.value.segments, bytes, {
      contentType: meta.contentType ?? 'application/octet-stream',
      cacheControl: meta.cacheControl,
    });
  }

  /**
   * A copy of the committed object's body at `path`, or `undefined` when there is none (assertions in
   * tests; not recorded in the request log).
   */
  readObjectDirect(path: string): Buffer | undefined {
    const checked = validateObjectPath(path);
    if (!checked.ok) return undefined;
    const object = this.store.getObject(checked.value.segments);
    return object ? Buffer.from(object.body) : undefined;
  }

  /** Number of committed objects in the container. */
  get objectCount(): number {
    return this.store.objectCount;
  }

  /**
   * Stops listening and destroys every open socket, stalled and keep-alive ones included; open STREAMING
   * uploads fail, pending latency timers are cleared, pending `waitForRequest` calls reject. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.timers.clear();
    this.store.failOpenUploads();
    this.log.close();
    this.changes.close();
    await closeHttpServer(this.server, this.sockets);
  }

  private record(request: RecordedRequest): void {
    this.log.push(request);
  }

  private trackInFlight(operation: MediaStoreOperation, res: ServerResponse): void {
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
    // 'close' fires once per response, both after the last byte and when the connection dies mid-exchange.
    res.once('close', () => {
      for (const one of counters) one.current -= 1;
    });
  }

  private onBodyBytes(path: string, received: number): void {
    this.putBodyBytes.set(path, received);
    this.changes.notify();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const mark = target.indexOf('?');
    const pathname = mark < 0 ? target : target.slice(0, mark);
    const query = mark < 0 ? '' : target.slice(mark + 1);
    const operation = routeOperation(method, pathname);
    const bodyFraming = req.headers['content-length'] !== undefined ? 'content-length' : /chunked/i.test(req.headers['transfer-encoding'] ?? '') ? 'chunked' : 'none';
    this.record({ operation, method, path: pathname, query, at: this.now(), bodyFraming });
    this.trackInFlight(operation, res);
    res.setHeader('x-amzn-RequestId', requestId);

    const fail = (error: MediaStoreWireError, closeConnection = false): void => {
      if (!sendWireError(res, error, requestId, closeConnection)) res.destroy();
    };
    // Errors decided before the body is read: drain the body first so the client sees the answer.
    const refuse = (error: MediaStoreWireError): void => discardBodyThen(req, () => fail(error));

    if (this.requireAuthorization) {
      const header = req.headers.authorization;
      const authError = checkAuthorization(header);
      if (authError) {
        refuse(authError);
        return;
      }
    }

    const decision = this.faults.take(operation);
    const proceed = (): void => {
      try {
        this.dispatch(req, res, operation, pathname, query, decision.terminal, fail, refuse);
      } catch (error: unknown) {
        if (error instanceof MediaStoreWireError) {
          refuse(error);
          return;
        }
        this.onInternalError(error);
        refuse(new MediaStoreWireError('InternalServerError', 'The service is temporarily unavailable'));
      }
    };
    this.timers.delay(decision.latencyMs, proceed);
  }

  private dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    operation: MediaStoreOperation,
    pathname: string,
    query: string,
    terminal: TerminalFault | undefined,
    fail: (error: MediaStoreWireError, closeConnection?: boolean) => void,
    refuse: (error: MediaStoreWireError) => void,
  ): void {
    let stallAfter: number | undefined;
    if (terminal?.kind === 'error') {
      throw terminal.status === 500
        ? new MediaStoreWireError('InternalServerError', terminal.message ?? 'The service is temporarily unavailable')
        : new MediaStoreWireError('ServiceUnavailable', terminal.message ?? 'The request has failed due to a temporary failure of the server');
    }
    if (terminal?.kind === 'throttle') {
      throw new MediaStoreWireError('ThrottlingException', 'Rate exceeded');
    }
    if (terminal?.kind === 'stall') {
      if (operation === 'PutObject' && terminal.afterBytes !== undefined) {
        const target = parseObjectPathname(pathname);
        stopReadingAfter(req, terminal.afterBytes, (received) => {
          if (target.ok) this.onBodyBytes(target.value.path, received);
        });
        return;
      }
      if (operation !== 'GetObject') {
        // Read the request so the client believes it was delivered, then never answer.
        req.resume();
        return;
      }
      stallAfter = terminal.afterBytes ?? 0;
    }

    if (!this.containerAvailable) {
      throw new MediaStoreWireError('ContainerNotFoundException', 'The specified container was not found for the specified account');
    }

    const ctx: OperationContext = { req, res, store: this.store, fail };
    if (operation === 'Unknown') {
      throw new MediaStoreWireError('InvalidAction', 'The action or operation requested is invalid');
    }
    if (operation === 'ListItems') {
      listItems(ctx, query, this.tokens, this.faults.takeListItemsCap());
      return;
    }
    const path = parseObjectPathname(pathname);
    if (!path.ok) {
      throw new MediaStoreWireError('ValidationError', `Value at Path failed to satisfy constraint: ${path.reason}`);
    }
    switch (operation) {
      case 'PutObject':
        this.onBodyBytes(path.value.path, 0);
        putObject(ctx, path.value, {
          uploadTimeoutMs: this.uploadTimeoutMs,
          timers: this.timers,
          onBodyBytes: (received) => this.onBodyBytes(path.value.path, received),
        });
        return;
      case 'GetObject':
        getObject(ctx, path.value, stallAfter);
        return;
      case 'DescribeObject':
        describeObject(ctx, path.value);
        return;
      case 'DeleteObject':
        deleteObject(ctx, path.value);
        return;
    }
    // Exhaustive above; kept so a new operation cannot fall through silently.
    refuse(new MediaStoreWireError('InvalidAction', 'The action or operation requested is invalid'));
  }
}
