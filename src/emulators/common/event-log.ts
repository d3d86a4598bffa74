/**
 * Small event plumbing the emulator exposes to tests so they wait on events instead of sleeping: an
 * append-only log with "wait for the first entry matching" and a change signal with "wait until a condition
 * holds". Both reject their pending waits when the emulator closes.
 */

interface LogWaiter<T> {
  readonly predicate: (item: T) => boolean;
  readonly resolve: (item: T) => void;
  readonly reject: (error: Error) => void;
}

/** An append-only, optionally bounded log whose entries can be awaited. */
export class EventLog<T> {
  private items: T[] = [];
  private waiters: LogWaiter<T>[] = [];
  private closed: Error | undefined;

  /**
   * @param maxItems entries kept; older ones are dropped first (waiters already resolved are unaffected).
   * @param closedMessage message of the error pending waits reject with on {@link close}.
   */
  constructor(
    private readonly maxItems: number,
    private readonly closedMessage: string,
  ) {}

  /** A snapshot of the kept entries, oldest first. */
  get entries(): readonly T[] {
    return [...this.items];
  }

  /** Appends `item` and resolves every waiter whose predicate it satisfies. */
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.maxItems) this.items.splice(0, this.items.length - this.maxItems);
    if (this.waiters.length === 0) return;
    const remaining: LogWaiter<T>[] = [];
    for (const waiter of this.waiters) {
      if (waiter.predicate(item)) waiter.resolve(item);
      else remaining.push(waiter);
    }
    this.waiters = remaining;
  }

  /** Drops the kept entries; pending waits keep waiting for new ones. */
  reset(): void {
    this.items = [];
  }

  /**
   * Resolves with the first kept entry matching `predicate`, or the first later one.
   *
   * @throws (rejects) Error when the log is closed first.
   */
  waitFor(predicate: (item: T) => boolean): Promise<T> {
    const found = this.items.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return this.waitForNext(predicate);
  }

  /**
   * Resolves with the first entry matching `predicate` pushed after this call (kept entries are ignored).
   *
   * @throws (rejects) Error when the log is closed first.
   */
  waitForNext(predicate: (item: T) => boolean): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<T>((resolve, reject) => {
      this.waiters.push({ predicate, resolve, reject });
    });
  }

  /** Rejects every pending wait and refuses new ones. Idempotent. */
  close(): void {
    this.closed ??= new Error(this.closedMessage);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(this.closed);
  }
}

interface ConditionWaiter {
  readonly check: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Re-evaluates waiting conditions whenever the owner reports a change. */
export class ChangeSignal {
  private waiters: ConditionWaiter[] = [];
  private closed: Error | undefined;

  constructor(private readonly closedMessage: string) {}

  /** Re-checks every pending condition; those that now hold resolve. */
  notify(): void {
    if (this.waiters.length === 0) return;
    const remaining: ConditionWaiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.check()) waiter.resolve();
      else remaining.push(waiter);
    }
    this.waiters = remaining;
  }

  /**
   * Resolves as soon as `check()` returns true (at once when it already does).
   *
   * @throws (rejects) Error when the signal is closed first.
   */
  waitUntil(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ check, resolve, reject });
    });
  }

  /** Rejects every pending wait and refuses new ones. Idempotent. */
  close(): void {
    this.closed ??= new Error(this.closedMessage);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(this.closed);
  }
}
