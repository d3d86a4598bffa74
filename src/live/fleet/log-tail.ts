import { setTimeout as delay } from 'node:timers/promises';
import { backoffDelay } from '../../core/backoff.js';
import type { Logger } from '../../core/logger.js';
import { fleetRedisErrors } from '../../core/metrics.js';
import type { FeedStatus } from '../live.types.js';
import type { StreamKeys } from './fleet-keys.js';
import { decodeEntry, decodeStatus, type LogEntry } from './log-entry.js';
import type { RedisClient, RedisConnector } from './redis-connection.js';

/** The stream's current reader status as the log's holder last reported it. */
export type HolderStatus = { readonly status: FeedStatus; readonly detail: string | null } | undefined;

/** Callbacks of a {@link LogTail}, called in log order from its loop. */
export interface LogTailHandlers {
  /**
   * The log as it stands when the tail starts (the window), before any `onEntries`, with the stream's end when it
   * ended (a fatal upstream error) less than a cooldown ago.
   */
  onPrimed(entries: readonly LogEntry[], status: HolderStatus, ended: Extract<LogEntry, { kind: 'end' }> | undefined): void;
  /** Entries appended since, in order. */
  onEntries(entries: readonly LogEntry[]): void;
  /**
   * Redis became unreachable (`down`, possibly before the first prime), or reachable again after a prime (then with
   * the holder's current status; a first prime reports itself through `onPrimed` instead).
   */
  onOutage(down: boolean, status: HolderStatus): void;
}

/** Tunables of a {@link LogTail}, in milliseconds and entries. */
export interface LogTailOptions {
  /** How long one `XREAD BLOCK` waits. */
  readonly blockMs: number;
  /** Most entries read at once. */
  readonly batch: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** How long a reply may take beyond the block time before the connection counts as cut. */
  readonly replyTimeoutMs: number;
}

/**
 * Follows one stream's log on a connection of its own (a blocking read would hold up every other command on a shared
 * one): reads the window, then blocks for new entries after the last one read. It never skips ahead: after an outage
 * it continues after the last entry it read; if the log was recreated meanwhile with lower ids (Redis lost its
 * data and the clock of the new log is behind), it reads the new log from its start and leaves duplicates to the
 * fragment-number checks of the feed. Malformed entries are logged and skipped; the fragment after one names its
 * predecessor, so the feed reports the hole as a gap.
 */
export class LogTail {
  private stopped = false;
  private client: RedisClient | undefined;
  private running: Promise<void> | undefined;
  private readonly stopper = new AbortController();

  constructor(
    private readonly connect: RedisConnector,
    private readonly keys: StreamKeys,
    private readonly name: string,
    private readonly handlers: LogTailHandlers,
    private readonly options: LogTailOptions,
    private readonly logger: Logger,
  ) {}

  /** Starts following (idempotent). */
  start(): void {
    this.running ??= this.run();
  }

  /** Stops following and closes the connection; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopper.abort();
    this.client?.disconnect();
    await this.running;
  }

  private async run(): Promise<void> {
    let lastId: string | undefined;
    let down = false;
    let attempt = 0;
    while (!this.stopped) {
      // A connection that failed once is replaced, never reused: a command resent on it after a silent cut could
      // hang or answer late, and a fresh one fails or works at once.
      const client = this.client ?? this.open();
      try {
        if (lastId === undefined) {
          const [range, status, ended] = await this.bounded(
            Promise.all([client.xrange(this.keys.log, '-', '+'), client.get(this.keys.status), client.get(this.keys.ended)]),
            0,
          );
          const entries = this.decode(range);
          lastId = range.length === 0 ? '0-0' : (range[range.length - 1] as [string, string[]])[0];
          if (this.stopped) break;
          const end = ended === null ? [] : this.decode([['ended', ['k', 'e', 'd', ended]]]);
          // Priming replaces whatever an outage before it announced (waiting subscribers get the current status).
          down = false;
          this.handlers.onPrimed(entries, this.status(status), end[0]?.kind === 'end' ? end[0] : undefined);
        } else if (down) {
          const [newest, status] = await this.bounded(Promise.all([client.xrevrange(this.keys.log, '+', '-', 'COUNT', 1), client.get(this.keys.status)]), 0);
          const newestId = newest[0]?.[0];
          // A log recreated with lower ids (Redis lost its data, the new log's clock is behind): read it from its start.
          if (newestId !== undefined && compareIds(newestId, lastId) < 0) lastId = '0-0';
          down = false;
          if (this.stopped) break;
          this.logger.info({ stream: this.name }, 'fleet log tail reconnected');
          this.handlers.onOutage(false, this.status(status));
        }
        const reply = (await this.bounded(client.xread('COUNT', this.options.batch, 'BLOCK', this.options.blockMs, 'STREAMS', this.keys.log, lastId), this.options.blockMs)) as
          | [string, [string, string[]][]][]
          | null;
        attempt = 0;
        if (this.stopped) break;
        const range = reply?.[0]?.[1];
        if (range === undefined || range.length === 0) continue;
        lastId = (range[range.length - 1] as [string, string[]])[0];
        this.handlers.onEntries(this.decode(range));
      } catch (err) {
        if (this.stopped) break;
        fleetRedisErrors.labels('tail').inc();
        client.disconnect();
        this.client = undefined;
        // Before the first prime there is no position to resume from: the next round simply primes again.
        if (!down) {
          down = true;
          this.logger.warn({ err, stream: this.name }, 'fleet log tail lost Redis; subscribers hear RECONNECTING');
          this.handlers.onOutage(true, undefined);
        }
        attempt += 1;
        try {
          await delay(backoffDelay({ initialDelayMs: this.options.backoffBaseMs, maxDelayMs: this.options.backoffCapMs }, attempt - 1) + 10, undefined, {
            signal: this.stopper.signal,
          });
        } catch {
          // Stopped while waiting: the loop condition ends the tail.
        }
      }
    }
    this.client?.disconnect();
    this.client = undefined;
  }

  private open(): RedisClient {
    const client = this.connect('blocking', this.name);
    // ioredis reports connection errors as events too; the loop sees each as a failed command.
    client.on('error', (err: unknown) => this.logger.debug({ err, stream: this.name }, 'fleet log tail connection error'));
    this.client = client;
    return client;
  }

  /** `promise`, or a rejection when it has not settled `waitMs` plus the reply timeout after it was sent. */
  private async bounded<T>(promise: Promise<T>, waitMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        // One turn for I/O first: after a stall, timers run before a reply that is already there is read.
        () => setImmediate(() => reject(new Error(`no reply from Redis within ${String(waitMs + this.options.replyTimeoutMs)} ms`))),
        waitMs + this.options.replyTimeoutMs,
      );
    });
    // The abandoned command may still fail later, on the connection being dropped; that is expected.
    promise.catch((err: unknown) => this.logger.trace({ err, stream: this.name }, 'abandoned fleet log tail command ended'));
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private decode(range: readonly [string, string[]][]): LogEntry[] {
    const entries: LogEntry[] = [];
    for (const [id, fields] of range) {
      try {
        entries.push(decodeEntry(id, fields));
      } catch (err) {
        this.logger.warn({ err, stream: this.name, id }, 'skipping a fleet log entry this version cannot read');
      }
    }
    return entries;
  }

  private status(payload: string | null): HolderStatus {
    try {
      return decodeStatus(payload);
    } catch (err) {
      this.logger.warn({ err, stream: this.name }, 'ignoring a stored reader status this version cannot read');
      return undefined;
    }
  }
}

/** Orders two Redis Stream ids (`<ms>-<seq>`). Pure. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = Number(am) - Number(bm);
  return ms !== 0 ? Math.sign(ms) : Math.sign(Number(as) - Number(bs));
}
