import { setTimeout as delay } from 'node:timers/promises';
import { DomainError } from '../../core/domain-error.js';
import type { Logger } from '../../core/logger.js';
import { fleetRedisErrors } from '../../core/metrics.js';
import type { StreamLimits } from '../media-reader.js';
import type { FleetKeys } from './fleet-keys.js';
import { CALL_SETTLE, CALL_TAKE, SESSION_ACQUIRE, SESSION_REFRESH } from './fleet-scripts.js';
import type { RedisClient } from './redis-connection.js';

/** Fleet-wide per-stream GetMedia budgets (the service's limits, shared by every instance). */
export interface FleetBudgetOptions {
  /** Concurrent GetMedia sessions per stream, live reader included (service limit: 3). */
  readonly sessions: number;
  /** GetMedia calls in any window of `windowMs` per stream (service limit: 5 per second). */
  readonly calls: number;
  readonly windowMs: number;
  /** A session permit whose holder stops refreshing it (a crashed instance) frees itself after this, in ms. */
  readonly permitTtlMs: number;
  /** Longest wait between two tries for a permit or a call, in ms (waiters are not queued fleet-wide). */
  readonly pollMs: number;
}

/**
 * The per-stream GetMedia budgets of the whole fleet, in Redis: a semaphore of session permits (a sorted set of
 * permits scored by expiry, refreshed while held) and a sliding log of calls, each re-stamped when its call was
 * answered (as `TokenBucket` does locally). Every reader of the fleet, live or catch-up, takes from them through
 * {@link FleetBudgets.limits}, which has the `StreamLimits` contract the readers already use.
 *
 * Budgets fail closed: while Redis is unreachable no permit is granted, so no GetMedia starts (the reader reports
 * RECONNECTING and backs off). Waiters poll rather than queue, so the order among instances is not FIFO.
 */
export class FleetBudgets {
  /** Permits this instance holds, by stream. */
  private readonly held = new Map<string, Set<string>>();
  private sequence = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
    private readonly instance: string,
    private readonly options: FleetBudgetOptions,
    private readonly logger: Logger,
  ) {}

  /** The budgets of `stream`, for a `MediaReader`. */
  limits(stream: string): StreamLimits {
    const heldFor = (): number => this.heldFor(stream);
    return {
      connections: {
        acquire: (signal) => this.acquire(stream, signal),
        get held() {
          return heldFor();
        },
      },
      calls: { take: (signal) => this.take(stream, signal) },
    };
  }

  /** Session permits this instance holds for `stream`. */
  heldFor(stream: string): number {
    return this.held.get(stream)?.size ?? 0;
  }

  /**
   * Extends every permit this instance holds (call at least every third of `permitTtlMs`). A failure is logged; the
   * next call tries again, and a permit that expired meanwhile may have been granted to someone else.
   */
  async refresh(): Promise<void> {
    await Promise.all(
      [...this.held].map(async ([stream, permits]) => {
        if (permits.size === 0) return;
        try {
          const kept = (await SESSION_REFRESH.run(this.client, [this.keys.stream(stream).sessions], [this.options.permitTtlMs, ...permits])) as number;
          if (kept < permits.size) this.logger.warn({ stream, held: permits.size, kept }, 'fleet GetMedia permits expired before their refresh');
        } catch (err) {
          fleetRedisErrors.labels('budgets').inc();
          this.logger.warn({ err, stream }, 'could not refresh fleet GetMedia permits');
        }
      }),
    );
  }

  private async acquire(stream: string, signal?: AbortSignal): Promise<() => void> {
    const key = this.keys.stream(stream).sessions;
    const permit = `${this.instance}:${String((this.sequence += 1))}`;
    for (;;) {
      if (signal?.aborted === true) throw signal.reason;
      const wait = await this.ask(() => SESSION_ACQUIRE.run(this.client, [key], [permit, this.options.sessions, this.options.permitTtlMs]));
      if (wait === 0) break;
      await delay(this.pause(wait), undefined, { signal });
    }
    let permits = this.held.get(stream);
    if (permits === undefined) {
      permits = new Set();
      this.held.set(stream, permits);
    }
    permits.add(permit);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const set = this.held.get(stream);
      set?.delete(permit);
      if (set?.size === 0) this.held.delete(stream);
      this.client.zrem(key, permit).catch((err: unknown) => {
        this.logger.warn({ err, stream }, 'could not return a fleet GetMedia permit; it expires on its own');
      });
    };
  }

  private async take(stream: string, signal?: AbortSignal): Promise<() => void> {
    const key = this.keys.stream(stream).calls;
    const call = `${this.instance}:${String((this.sequence += 1))}`;
    for (;;) {
      if (signal?.aborted === true) throw signal.reason;
      const wait = await this.ask(() => CALL_TAKE.run(this.client, [key], [call, this.options.calls, this.options.windowMs]));
      if (wait === 0) break;
      await delay(this.pause(wait), undefined, { signal });
    }
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      CALL_SETTLE.run(this.client, [key], [call, this.options.windowMs]).catch((err: unknown) => {
        this.logger.warn({ err, stream }, 'could not re-stamp a fleet GetMedia call; it counts from when it was taken');
      });
    };
  }

  /** Runs one budget script; its reply is 0 (granted) or a wait hint in ms. */
  private async ask(script: () => Promise<unknown>): Promise<number> {
    try {
      return Number(await script());
    } catch (error) {
      fleetRedisErrors.labels('budgets').inc();
      throw new DomainError('UPSTREAM_UNAVAILABLE', 'The fleet coordination store is unreachable.', { cause: error });
    }
  }

  /** How long to wait after a refusal: the hint, at most `pollMs`, jittered so waiting instances do not call in step. */
  private pause(hint: number): number {
    return Math.max(1, Math.min(hint, this.options.pollMs) * (0.5 + Math.random() * 0.5));
  }
}
