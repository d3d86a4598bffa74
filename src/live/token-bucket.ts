/**
 * A token bucket whose tokens each come back exactly `windowMs` after they were taken (a sliding-window log):
 * at most `capacity` takes in ANY window of `windowMs`, which is how the service counts its 5 GetMedia calls per
 * second per stream (a classic refill-per-tick bucket would allow a burst plus a refill, up to 2x in one second).
 * `take()` waits in FIFO order instead of failing, so callers are paced rather than refused (RELIABILITY.md K4).
 */
export class TokenBucket {
  private readonly taken: number[] = [];
  private readonly waiters: { resolve: () => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves when a token was taken; rejects with the signal's reason if `signal` aborts first. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.waiters.length === 0 && this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index !== -1) this.waiters.splice(index, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  private tryTake(): boolean {
    const now = this.now();
    // A 1 ms margin keeps us strictly inside the limit even when the two clocks round differently.
    while (this.taken.length > 0 && now - (this.taken[0] ?? 0) >= this.windowMs + 1) this.taken.shift();
    if (this.taken.length >= this.capacity) return false;
    this.taken.push(now);
    return true;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const oldest = this.taken[0] ?? this.now();
    const wait = Math.max(0, oldest + this.windowMs + 1 - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.waiters.length > 0 && this.tryTake()) {
        const waiter = this.waiters.shift();
        if (waiter === undefined) break;
        waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.resolve();
      }
      if (this.waiters.length > 0) this.schedule();
    }, Math.ceil(wait));
    this.timer.unref();
  }
}

/** A counting semaphore with FIFO waiters; `acquire()` resolves with a release function (idempotent). */
export class Semaphore {
  private available: number;
  private readonly waiters: { grant: (release: () => void) => void; reject: (error: unknown) => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];

  constructor(permits: number) {
    this.available = permits;
  }

  private heldCount = 0;

  /** Permits currently held. */
  get held(): number {
    return this.heldCount;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.available > 0 && this.waiters.length === 0) {
      this.available -= 1;
      this.heldCount += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index !== -1) this.waiters.splice(index, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next !== undefined) {
        next.signal?.removeEventListener('abort', next.onAbort);
        next.grant(this.releaser());
        return;
      }
      this.available += 1;
      this.heldCount -= 1;
    };
  }
}

/** Full-jitter exponential backoff: a uniform random delay in [0, min(cap, base * 2^attempt)] ms. */
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
