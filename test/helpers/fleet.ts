import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { FeedStatus, LiveEvent } from '../../src/live/live.types.js';
import { compareFragmentNumbers } from '../../src/mkv/kinesis-tags.js';
import { within } from './within.js';

/** A key prefix no other test run uses (its keys are deleted by {@link deletePrefix}). */
export function uniquePrefix(what: string): string {
  return `test:${what}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A free loopback TCP port (bound and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A `redis-server` of the test's own, without persistence (a restart loses everything, as an outage of a cache
 * without persistence would), for faults that must not touch the shared Redis.
 */
export class OwnRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${String(this.port)}`;
  }

  /** Starts a server on a free port and waits until it answers. */
  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.launch();
    return redis;
  }

  /** Kills the server (SIGKILL) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts the server again on the same port (empty). */
  async launch(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.child = child;
    await redisAnswers(this.url, 10_000);
  }
}

/**
 * Resolves once the Redis at `url` answers PING (polling every 50 ms while it starts).
 * @throws (rejects) when it has not answered within `ms`.
 */
export async function redisAnswers(url: string, ms: number): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  probe.on('error', () => undefined);
  try {
    await within(
      (async () => {
        for (;;) {
          try {
            await probe.connect();
            await probe.ping();
            return;
          } catch {
            probe.disconnect();
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      })(),
      ms,
      `redis-server at ${url} to answer`,
    );
  } finally {
    probe.disconnect();
  }
}

/**
 * A TCP proxy in front of Redis whose link can be cut: `cut()` destroys every open connection and black-holes new
 * ones (accepted, never forwarded, as a partition would), `restore()` forwards again.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private held: Socket[] = [];
  private cutOff = false;

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free loopback port and forwards to `127.0.0.1:targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, targetPort);
    server.on('connection', (socket: Socket) => proxy.accept(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `redis://127.0.0.1:${String(this.port)}`;
  }

  /** Drops every forwarded connection and holds new ones without forwarding. */
  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Forwards again; connections held during the cut are dropped (their clients reconnect). */
  restore(): void {
    this.cutOff = false;
    for (const socket of this.held) socket.destroy();
    this.held = [];
  }

  async close(): Promise<void> {
    this.cut();
    this.restore();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.cutOff) {
      client.on('error', () => undefined);
      this.held.push(client);
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** Records every event of a hub subscription. */
export class EventLog {
  readonly events: { readonly event: LiveEvent; readonly at: number }[] = [];
  error: unknown = undefined;
  done = false;
  private readonly finished: Promise<void>;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly iterator: AsyncIterableIterator<LiveEvent>) {
    this.finished = this.pump();
  }

  fragments(): string[] {
    return this.events.flatMap(({ event }) => (event.kind === 'fragment' && event.fragment.fragmentNumber !== null ? [event.fragment.fragmentNumber] : []));
  }

  gaps(): Extract<LiveEvent, { kind: 'gap' }>[] {
    return this.events.flatMap(({ event }) => (event.kind === 'gap' ? [event] : []));
  }

  statuses(): { readonly status: FeedStatus; readonly detail: string | null }[] {
    return this.events.flatMap(({ event }) => (event.kind === 'status' ? [{ status: event.status, detail: event.detail }] : []));
  }

  /** Resolves once `condition` holds; rejects if the subscription ends first or after `ms`. */
  until(condition: (log: EventLog) => boolean, ms: number, what: string): Promise<void> {
    const waiting = new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (condition(this)) {
          this.listeners.delete(check);
          resolve();
        } else if (this.done) {
          this.listeners.delete(check);
          reject(new Error(`the subscription ended (${String(this.error)}) before ${what}`));
        }
      };
      this.listeners.add(check);
      check();
    });
    return within(waiting, ms, `${what} (have ${String(this.fragments().length)} fragments)`);
  }

  async stop(): Promise<void> {
    await this.iterator.return?.();
    await this.finished;
  }

  private async pump(): Promise<void> {
    try {
      for await (const event of this.iterator) {
        this.events.push({ event, at: Date.now() });
        for (const listener of [...this.listeners]) listener();
      }
    } catch (error) {
      this.error = error;
    } finally {
      this.done = true;
      for (const listener of [...this.listeners]) listener();
    }
  }
}

/** Fragment numbers that occur more than once in `numbers`. */
export function duplicates(numbers: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const number of numbers) {
    if (seen.has(number)) repeated.add(number);
    seen.add(number);
  }
  return [...repeated];
}

/** Whether `numbers` strictly increase (compared as fragment numbers). */
export function strictlyIncreasing(numbers: readonly string[]): boolean {
  for (let i = 1; i < numbers.length; i += 1) if (compareFragmentNumbers(numbers[i - 1] as string, numbers[i] as string) >= 0) return false;
  return true;
}

/**
 * The fragments of `all` (the emulator's list, in order) from the first of `got` to its last that `got` lacks:
 * what a subscriber missed inside the span it received.
 */
export function missingWithin(all: readonly string[], got: readonly string[]): string[] {
  if (got.length === 0) return [];
  const start = all.indexOf(got[0] as string);
  const end = all.indexOf(got[got.length - 1] as string);
  if (start === -1 || end === -1) return ['(span not found in the emulator list)'];
  const have = new Set(got);
  return all.slice(start, end + 1).filter((number) => !have.has(number));
}
