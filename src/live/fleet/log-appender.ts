import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../core/logger.js';
import { fleetFencedAppends, fleetRedisErrors } from '../../core/metrics.js';
import type { FleetKeys } from './fleet-keys.js';
import { APPEND } from './fleet-scripts.js';
import { encodePayload, KIND_CODES, type LogDraft } from './log-entry.js';
import type { RedisClient } from './redis-connection.js';

/** What one append did. */
export type AppendOutcome = 'appended' | 'duplicate' | 'fenced';

/** Appends to stream logs through the fencing script. */
export class StreamLog {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
    private readonly options: {
      readonly maxLength: number;
      readonly graceMs: number;
      /** How long an end entry keeps the stream from being read again, in ms. */
      readonly fatalCooldownMs: number;
    },
  ) {}

  /**
   * Appends `draft` to the log of `stream` if `holder` still holds its lease. `after` is the fragment the holder
   * resumed after, recorded as the predecessor when the log has lost its head.
   * @throws the client's error when Redis is unreachable or slow; the append may or may not have happened, and
   *   repeating it is safe (a fragment already logged comes back `duplicate`).
   */
  async append(stream: string, holder: string, draft: LogDraft, after: string | null): Promise<AppendOutcome> {
    const k = this.keys.stream(stream);
    const reply = await APPEND.run(
      this.client,
      [k.lease, k.log, k.head, k.status, k.ended],
      [
        holder,
        this.options.maxLength,
        KIND_CODES[draft.kind],
        draft.kind === 'fragment' ? draft.fragment.fragmentNumber : '',
        after ?? '',
        encodePayload(draft),
        this.options.graceMs,
        draft.kind === 'gap' && draft.reason === 'UPSTREAM_RESET' ? '1' : '0',
        this.options.fatalCooldownMs,
      ],
    );
    if (reply === 0) {
      fleetFencedAppends.inc();
      return 'fenced';
    }
    if (reply === -1) return 'duplicate';
    return 'appended';
  }
}

/** How a {@link LogAppender} reports the end of its term. */
export interface AppenderHandlers {
  /** Whether the holder's lease is still valid locally (see `leaseDeadline`). */
  valid(): boolean;
  /** The term is over: `fenced` (someone else holds the lease) or `expired` (not confirmed in time). */
  onLost(reason: 'fenced' | 'expired'): void;
}

/**
 * The log writer of one holder term: appends the reader's output strictly in order, one at a time. A failed append
 * (Redis slow or away) is retried while the lease is valid, and everything behind it waits, so the log never skips
 * an entry; when the term ends nothing more is appended and the rest is dropped: the next holder resumes after the
 * log's head and reads those fragments again. Memory: the queue holds what the reader produced during an outage,
 * which is bounded by the lease lifetime.
 */
export class LogAppender {
  private readonly queue: LogDraft[] = [];
  private draining: Promise<void> | undefined;
  private stopped = false;
  private lastFragment: string | null;

  constructor(
    private readonly log: StreamLog,
    private readonly stream: string,
    private readonly holder: string,
    after: string | null,
    private readonly handlers: AppenderHandlers,
    private readonly logger: Logger,
    private readonly retryMs = 100,
  ) {
    this.lastFragment = after;
  }

  /** The newest fragment this term logged (or resumed after). */
  get after(): string | null {
    return this.lastFragment;
  }

  /** Queues `draft` behind everything queued before. Ignored after the term ended. */
  push(draft: LogDraft): void {
    if (this.stopped) return;
    this.queue.push(draft);
    this.kick();
  }

  /** Resolves once everything queued so far was appended, or the term ended, or `timeoutMs` passed. */
  async idle(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      while (this.draining !== undefined && !this.stopped && performance.now() < deadline) {
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.max(1, deadline - performance.now()));
        });
        await Promise.race([this.draining, timeout]);
        clearTimeout(timer);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the term: nothing queued or pushed later is appended. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private kick(): void {
    if (this.draining !== undefined || this.stopped) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // A push between the loop's last check and this callback found the drain still running.
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    let attempt = 0;
    while (!this.stopped && this.queue.length > 0) {
      const draft = this.queue[0] as LogDraft;
      if (!this.handlers.valid()) {
        // A renewal reply may be waiting in the socket behind this fragment: read it before giving up.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.stopped) return;
        if (!this.handlers.valid()) return this.end('expired');
      }
      let outcome: AppendOutcome;
      try {
        outcome = await this.log.append(this.stream, this.holder, draft, this.lastFragment);
      } catch (err) {
        fleetRedisErrors.labels('append').inc();
        if (this.stopped) return;
        attempt += 1;
        if (attempt === 1) this.logger.warn({ err, stream: this.stream }, 'fleet log append failed; retrying while the lease is valid');
        await delay(Math.min(1_000, this.retryMs * attempt));
        continue;
      }
      attempt = 0;
      if (outcome === 'fenced') return this.end('fenced');
      this.queue.shift();
      if (draft.kind === 'fragment') this.lastFragment = draft.fragment.fragmentNumber;
      else if (draft.kind === 'gap' && draft.reason === 'UPSTREAM_RESET') this.lastFragment = null;
    }
  }

  private end(reason: 'fenced' | 'expired'): void {
    if (this.stopped) return;
    this.stop();
    this.handlers.onLost(reason);
  }
}
