/**
 * A token bucket whose tokens each come back exactly `windowMs` after they were last stamped (a sliding-window
 * log): at most `capacity` takes in ANY window of `windowMs`, which is how the service counts its 5 GetMedia calls
 * per second per stream (a classic refill-per-tick bucket would allow a burst plus a refill, up to 2x in one second).
 * `take()` waits in FIFO order instead of failing, so callers are paced rather than refused (RELIABILITY.md K4).
 *
 * The service counts a call when it ARRIVES, which is later than the take by a variable delay (a GetDataEndpoint
 * lookup, a new connection). Spacing takes by `windowMs` therefore does not space arrivals: a slow first call and
 * five fast ones later land six calls in one service second. So `take()` resolves with `settle()`: the caller
 * calls it once the call has been answered (headers or error), which re-stamps the token at that moment, an upper
 * bound of the arrival. The token returns `windowMs` after that, so arrivals are never closer than the window.
 */
export class TokenBucket {
  /** Stamps of the tokens in use (take time, or settle time once settled); small (at most `capacity`). */
  private readonly taken: { at: number }[] = [];
  private readonly waiters: { resolve: (settle: () => void) => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Resolves with `settle` once a token was taken; rejects with the signal's reason if `signal` aborts first.
   * Call `settle()` when the paced call has been answered (idempotent; optional, but without it the token is
   * stamped at take time only).
   */
  take(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.waiters.length === 0) {
      const token = this.tryTake();
      if (token !== undefined) return Promise.resolve(this.settler(token));
    }
    return new Promise<() => void>((resolve, reject) => {
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

  private settler(token: { at: number }): () => void {
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      // Only ever later: the token comes back `windowMs` after the call was answered. A call answered more than
      // a window after its take had its token expire meanwhile; it still counts at the service, so it comes back.
      token.at = Math.max(token.at, this.now());
      if (!this.taken.includes(token)) this.taken.push(token);
      if (this.waiters.length > 0) {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
        this.schedule();
      }
    };
  }

  private tryTake(): { at: number } | undefined {
    const now = this.now();
    // A 1 ms margin keeps us strictly inside the limit even when the two clocks round differently.
    for (let i = this.taken.length - 1; i >= 0; i -= 1) {
      if (now - (this.taken[i]?.at ?? 0) >= this.windowMs + 1) this.taken.splice(i, 1);
    }
    if (this.taken.length >= this.capacity) return undefined;
    const token = { at: now };
    this.taken.push(token);
    return token;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const oldest = this.taken.reduce((min, token) => Math.min(min, token.at), this.now());
    const wait = Math.max(0, oldest + this.windowMs + 1 - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.waiters.length > 0) {
        const token = this.tryTake();
        if (token === undefined) break;
        const waiter = this.waiters.shift();
        if (waiter === undefined) break;
        waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.resolve(this.settler(token));
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
