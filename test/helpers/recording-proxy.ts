import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolveTarget } from '../../src/emulators/s3/s3.target.js';
import type { S3Operation } from '../../src/emulators/s3/s3.faults.js';

/** One request the proxy forwarded. */
export interface ProxiedRequest {
  readonly operation: S3Operation;
  readonly key: string;
  readonly bodyFraming: 'content-length' | 'chunked' | 'none';
}

/**
 * An HTTP pass-through in front of an S3 implementation we cannot instrument (s3rver), giving its tests what our
 * emulator offers: a request log named by S3 operation, in-flight counts, per-operation latency and upload progress
 * per key. Requests are forwarded byte for byte with their headers (Host included, so SigV4 signatures still
 * verify). Lifetime: until `close()`.
 */
export class RecordingProxy {
  private log: ProxiedRequest[] = [];
  private readonly latency = new Map<S3Operation, number>();
  private readonly flight = new Map<S3Operation, { current: number; peak: number }>();
  private readonly bodyBytes = new Map<string, number>();
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    readonly endpoint: string,
  ) {}

  /** Starts a proxy on a free loopback port forwarding to `target` (`http://host:port`). */
  static async start(target: string): Promise<RecordingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new RecordingProxy(server, new URL(target), `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (socket: Socket) => {
      proxy.sockets.add(socket);
      socket.once('close', () => proxy.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.forward(req, res));
    return proxy;
  }

  /** Requests forwarded since the last {@link reset}. */
  get requests(): readonly ProxiedRequest[] {
    return [...this.log];
  }

  /** Forgets the log and upload progress; in-flight peaks restart from the requests in flight now. */
  reset(): void {
    this.log = [];
    this.bodyBytes.clear();
    for (const counter of this.flight.values()) counter.peak = counter.current;
  }

  /** The most requests of `operation` in flight at once since the last reset. */
  peakInFlight(operation: S3Operation): number {
    return this.flight.get(operation)?.peak ?? 0;
  }

  /** Holds each request of `operation` for `ms` before forwarding it; 0 stops holding. */
  setLatency(operation: S3Operation, ms: number): void {
    if (ms === 0) this.latency.delete(operation);
    else this.latency.set(operation, ms);
  }

  /** Resolves once the uploads of `key` forwarded at least `bytes` request-body bytes. */
  waitForBodyBytes(key: string, bytes: number): Promise<void> {
    const check = (): boolean => (this.bodyBytes.get(key) ?? 0) >= bytes;
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push({ check, resolve }));
  }

  /** Stops listening and destroys every open connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const target = resolveTarget(method, req.url ?? '/', req.headers.host);
    const key = target.key ?? '';
    const bodyFraming = req.headers['content-length'] !== undefined ? 'content-length' : /chunked/i.test(req.headers['transfer-encoding'] ?? '') ? 'chunked' : 'none';
    this.log.push({ operation: target.operation, key, bodyFraming });
    let counter = this.flight.get(target.operation);
    if (counter === undefined) {
      counter = { current: 0, peak: 0 };
      this.flight.set(target.operation, counter);
    }
    const tracked = counter;
    tracked.current += 1;
    tracked.peak = Math.max(tracked.peak, tracked.current);
    res.once('close', () => {
      tracked.current -= 1;
    });
    const send = (): void => {
      const upstream = request(
        { host: this.target.hostname, port: this.target.port, method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.once('close', () => upstream.destroy());
      if (target.operation === 'PutObject' || target.operation === 'UploadPart') {
        req.on('data', (chunk: Buffer) => {
          this.bodyBytes.set(key, (this.bodyBytes.get(key) ?? 0) + chunk.length);
          this.notify();
        });
      }
      req.pipe(upstream);
    };
    const delay = this.latency.get(target.operation);
    if (delay === undefined) send();
    else setTimeout(send, delay);
  }

  private notify(): void {
    const remaining: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.check()) waiter.resolve();
      else remaining.push(waiter);
    }
    this.waiters = remaining;
  }
}
