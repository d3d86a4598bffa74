import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { compareFragmentNumbers } from '../../src/mkv/kinesis-tags.js';
import { StreamFragmentsDocument, type StreamFragmentsSubscription, type StreamStartInput } from '../generated/graphql.js';
import { within } from './within.js';

/*
 * Real processes for the fleet tests: `media-graph emulate` and `media-graph serve` started with `node --import tsx`
 * from the sources (no build step), graphql-ws clients over real WebSockets, and the emulator's own HTTP endpoints
 * (`/_emulator/stats`, `/fragments`, `/sessions`).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A child process of the test, with its output kept line by line. */
export class ChildProcessHandle {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<(line: string) => void>();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        pending += chunk;
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          this.lines.push(line);
          for (const listener of [...this.listeners]) listener(line);
          newline = pending.indexOf('\n');
        }
      });
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first line (already written or to come) matching `test`. */
  line(test: (line: string) => boolean, ms: number, what: string): Promise<string> {
    const found = this.lines.find(test);
    if (found !== undefined) return Promise.resolve(found);
    let listener: ((line: string) => void) | undefined;
    return within(
      new Promise<string>((resolve, reject) => {
        const found = (line: string): void => {
          if (!test(line)) return;
          this.listeners.delete(found);
          resolve(line);
        };
        listener = found;
        this.listeners.add(found);
        void this.exited.then((code) => {
          if (this.listeners.delete(found)) reject(new Error(`${this.name} exited (${String(code)}) before ${what}\n${this.lines.slice(-20).join('\n')}`));
        });
      }),
      ms,
      `${this.name}: ${what}`,
    ).catch((error: unknown) => {
      if (listener !== undefined) this.listeners.delete(listener);
      throw error instanceof Error && !error.message.includes('\n') ? new Error(`${error.message}; last output:\n${this.lines.slice(-20).join('\n')}`) : error;
    });
  }

  /** Sends `signal` to this process (by its pid). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** Kills it (SIGKILL; SIGCONT first in case it was stopped) and waits for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.exited;
  }
}

function spawnCli(name: string, args: readonly string[], env: Record<string, string>): ChildProcessHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ChildProcessHandle(name, child);
}

/** A `media-graph emulate` process and its endpoints. */
export interface EmulatorProcess {
  readonly process: ChildProcessHandle;
  readonly endpoints: Readonly<Record<string, string>>;
  readonly kinesis: string;
}

/** Starts `media-graph emulate` with the demo stream producing a fragment every `fragmentMs`. */
export async function startEmulatorProcess(fragmentMs: number): Promise<EmulatorProcess> {
  const handle = spawnCli('emulate', ['emulate'], { EMULATOR_DEMO_FRAGMENT_MS: String(fragmentMs), LOG_LEVEL: 'warn' });
  const line = await handle.line((l) => l.startsWith('{"') && l.includes('"kinesis"'), 60_000, 'the endpoints line');
  const endpoints = JSON.parse(line) as Record<string, string>;
  return { process: handle, endpoints, kinesis: endpoints['kinesis'] as string };
}

/** A `media-graph serve` process in fleet mode. */
export interface GatewayProcess {
  readonly name: string;
  readonly process: ChildProcessHandle;
  readonly url: string;
  readonly wsUrl: string;
  /** Its fleet instance id (from its log), which lease values start with. */
  readonly instance: string;
}

/** The bearer token of every fleet gateway's `/metrics` (served on its main port, so gateways need no port each). */
export const FLEET_METRICS_TOKEN = 'fleet-test-metrics-token';

/** `gateway`'s Prometheus exposition. */
export async function scrapeMetrics(gateway: GatewayProcess): Promise<string> {
  const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${FLEET_METRICS_TOKEN}` } });
  if (!response.ok) throw new Error(`${gateway.name}: /metrics answered ${String(response.status)}`);
  return response.text();
}

/** The value of the sample `series` (a metric name, with its labels when it has any) in `exposition`, or undefined. */
export function sampleOf(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The environment every fleet gateway gets; `env` adds to or overrides it. */
export function gatewayEnv(emulator: EmulatorProcess, redisUrl: string, prefix: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    EMULATORS: 'off',
    // The object store the emulator process serves (the gateway refuses to start without one).
    ...(emulator.endpoints['s3'] !== undefined
      ? { S3_ENDPOINT: emulator.endpoints['s3'], S3_BUCKET: 'media-graph', S3_FORCE_PATH_STYLE: 'true' }
      : { OBJECT_STORE: 'mediastore', MEDIASTORE_ENDPOINT: emulator.endpoints['mediastore'] ?? '' }),
    KINESIS_ENDPOINT: emulator.kinesis,
    AWS_ACCESS_KEY_ID: 'AKIDFLEETTEST',
    AWS_SECRET_ACCESS_KEY: 'fleet-test-secret',
    SHUTDOWN_GRACE_MS: '2000',
    METRICS_TOKEN: FLEET_METRICS_TOKEN,
    LIVE_HUB: 'redis',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    LIVE_LEASE_TTL_MS: '3000',
    LIVE_LINGER_MS: '1000',
    LIVE_WINDOW_FRAGMENTS: '150',
    // Catch-up from EARLIEST replays the whole history at once: enough room for it (the default 256 would gap).
    LIVE_SUBSCRIBER_BUFFER: '4096',
    ...env,
  };
}

/** Starts `media-graph serve` with `env` and waits until it listens. */
export async function startGatewayProcess(name: string, env: Record<string, string>): Promise<GatewayProcess> {
  const handle = spawnCli(name, ['serve'], env);
  const listening = await handle.line((l) => l.startsWith('media-graph: GraphQL at '), 180_000, 'listening');
  const url = /GraphQL at (\S+)\/graphql/.exec(listening)?.[1] ?? '';
  const started = await handle.line((l) => l.includes('"fleet hub started"'), 10_000, 'the fleet hub');
  const instance = (JSON.parse(started) as { instance: string }).instance;
  return { name, process: handle, url, wsUrl: `${url.replace(/^http/, 'ws')}/graphql`, instance };
}

/** One event of a `streamFragments` subscription as the client saw it. */
export type StreamEvent = StreamFragmentsSubscription['streamFragments'];

/** Records one `streamFragments` subscription over graphql-ws. */
export class SubscriptionRecorder {
  readonly events: { readonly event: StreamEvent; readonly at: number }[] = [];
  error: unknown = undefined;
  done = false;
  private readonly listeners = new Set<() => void>();
  private readonly stopper: () => void;

  constructor(client: Client, stream: string, start: StreamStartInput | null) {
    this.stopper = client.subscribe<StreamFragmentsSubscription>(
      { query: print(StreamFragmentsDocument), variables: { stream, start } },
      {
        next: (result) => {
          const event = result.data?.streamFragments;
          if (event === undefined) {
            // A result without data ends the subscription (an execution error).
            this.error = result.errors ?? new Error('no data');
            this.done = true;
          } else {
            this.events.push({ event, at: Date.now() });
          }
          this.notify();
        },
        error: (error) => {
          this.error = error;
          this.done = true;
          this.notify();
        },
        complete: () => {
          this.done = true;
          this.notify();
        },
      },
    );
  }

  fragments(): string[] {
    return this.events.flatMap(({ event }) => (event.__typename === 'FragmentEvent' ? [event.fragment.fragmentNumber] : []));
  }

  gaps(): Extract<StreamEvent, { __typename: 'GapEvent' }>[] {
    return this.events.flatMap(({ event }) => (event.__typename === 'GapEvent' ? [event] : []));
  }

  statuses(): { readonly status: string; readonly detail: string | null | undefined }[] {
    return this.events.flatMap(({ event }) => (event.__typename === 'StatusEvent' ? [{ status: event.status, detail: event.detail }] : []));
  }

  last(): string | undefined {
    const fragments = this.fragments();
    return fragments[fragments.length - 1];
  }

  /** Resolves once `condition` holds; rejects when the subscription ends first or after `ms`. */
  until(condition: (recorder: SubscriptionRecorder) => boolean, ms: number, what: string): Promise<void> {
    const waiting = within(
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (condition(this)) {
            this.listeners.delete(check);
            resolve();
          } else if (this.done) {
            this.listeners.delete(check);
            reject(new Error(`the subscription ended (${JSON.stringify(this.error)}) before ${what}`));
          }
        };
        this.listeners.add(check);
        check();
      }),
      ms,
      what,
    );
    return waiting.catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)} (have ${String(this.fragments().length)} fragments, ${String(this.gaps().length)} gaps)`);
    });
  }

  stop(): void {
    this.stopper();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** A graphql-ws client to `gateway` (one WebSocket, several subscriptions). */
export function wsClient(gateway: GatewayProcess): Client {
  return createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, lazyCloseTimeout: 0 });
}

async function getJson<T>(base: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, base), { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${path}: ${String(response.status)}`);
  return (await response.json()) as T;
}

/** The emulator's GetMedia counters of `stream` (zeros before any call). */
export async function getMediaStats(emulator: EmulatorProcess, stream: string): Promise<{ openGetMedia: number; maxOpenGetMedia: number; getMediaCalls: number }> {
  const stats = await getJson<{ streams: Record<string, { openGetMedia: number; maxOpenGetMedia: number; getMediaCalls: number }> }>(emulator.kinesis, '/_emulator/stats');
  return stats.streams[stream] ?? { openGetMedia: 0, maxOpenGetMedia: 0, getMediaCalls: 0 };
}

/** The emulator's fragment numbers of `stream`, in order. */
export async function emulatorFragments(emulator: EmulatorProcess, stream: string): Promise<string[]> {
  const listing = await getJson<{ fragments: { fragmentNumber: string }[] }>(emulator.kinesis, `/_emulator/fragments?stream=${encodeURIComponent(stream)}`);
  return listing.fragments.map((fragment) => fragment.fragmentNumber);
}

/** Who holds each stream's reader lease under `prefix`: stream (as tagged) → instance id. */
export async function leaseHolders(redisUrl: string, prefix: string): Promise<Map<string, string>> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    const holders = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}{*}:lease`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const value = await redis.get(key);
        const stream = key.slice(prefix.length + 1, key.lastIndexOf('}'));
        if (value !== null) holders.set(stream, value.slice(0, value.lastIndexOf('|')));
      }
    } while (cursor !== '0');
    return holders;
  } finally {
    redis.disconnect();
  }
}

/** The fragment numbers of a stream's log in Redis, in log order. */
export async function loggedFragments(redisUrl: string, prefix: string, stream: string): Promise<string[]> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    const entries = await redis.xrange(`${prefix}{${stream}}:log`, '-', '+');
    return entries.flatMap(([, fields]) => (fields[0] === 'k' && fields[1] === 'f' ? [fields[fields.indexOf('n') + 1] as string] : []));
  } finally {
    redis.disconnect();
  }
}

/** Polls one lease key every few milliseconds and records each change of value, with its time. */
export class LeaseWatcher {
  readonly changes: { readonly value: string | null; readonly at: number }[] = [];
  private readonly redis: Redis;
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(url: string, key: string, everyMs = 5) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.redis
        .get(key)
        .then((value) => {
          const last = this.changes[this.changes.length - 1];
          if (last === undefined || last.value !== value) this.changes.push({ value, at: Date.now() });
        })
        .catch((error: unknown) => console.warn('[fleet] lease poll failed', error))
        .finally(() => {
          this.busy = false;
        });
    }, everyMs);
  }

  /** The first change (already recorded or to come) whose value satisfies `test`, after the last one returned. */
  async next(test: (value: string | null) => boolean, ms: number): Promise<{ readonly value: string | null; readonly at: number }> {
    let found: { value: string | null; at: number } | undefined;
    await eventually(
      () => {
        found = this.changes.slice(this.consumed).find((change) => test(change.value));
        return found !== undefined;
      },
      ms,
      'a lease change',
      5,
    );
    this.consumed = this.changes.indexOf(found as { value: string | null; at: number }) + 1;
    return found as { value: string | null; at: number };
  }

  stop(): void {
    clearInterval(this.timer);
    this.redis.disconnect();
  }

  private consumed = 0;
}

/** Samples `probe` every `everyMs` until stopped; keeps the largest value seen. */
export class MaxSampler {
  max = 0;
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(probe: () => Promise<number>, everyMs: number) {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      probe()
        .then((value) => {
          this.max = Math.max(this.max, value);
        })
        .catch((error: unknown) => console.warn('[fleet] sample failed', error))
        .finally(() => {
          this.busy = false;
        });
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Strictly increasing as fragment numbers. */
export function ascending(numbers: readonly string[]): boolean {
  for (let i = 1; i < numbers.length; i += 1) if (compareFragmentNumbers(numbers[i - 1] as string, numbers[i] as string) >= 0) return false;
  return true;
}

/** Waits until `condition()` resolves true, polling every `everyMs`. */
export async function eventually(condition: () => Promise<boolean> | boolean, ms: number, what: string, everyMs = 50): Promise<void> {
  await within(
    (async () => {
      while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, everyMs));
    })(),
    ms,
    what,
  );
}

/** Stops every process in `handles` (SIGKILL) that is still running. */
export async function killAll(handles: readonly ChildProcessHandle[]): Promise<void> {
  await Promise.all(handles.map((handle) => handle.kill()));
}

