/**
 * The pending timers of one emulator: injected latency before an answer and deadlines such as an upload timeout.
 * The emulator's `close()` cancels them all at once, so a closed emulator never answers or fails a request late and
 * leaves nothing on the event loop. One per emulator instance.
 */
export class EmulatorTimers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /**
   * Runs `run` once after `ms` milliseconds unless cancelled first.
   * @param unref true for a deadline that must not keep the process alive by itself (an upload timeout).
   * @returns the cancel function (idempotent; a no-op once `run` ran).
   */
  after(ms: number, run: () => void, unref = false): () => void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      run();
    }, ms);
    if (unref) timer.unref();
    this.pending.add(timer);
    return () => {
      clearTimeout(timer);
      this.pending.delete(timer);
    };
  }

  /** Runs `run` after `ms` milliseconds of injected latency, or synchronously when `ms` is 0 or less. */
  delay(ms: number, run: () => void): void {
    if (ms <= 0) run();
    else this.after(ms, run);
  }

  /** Cancels every pending timer. Idempotent. */
  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
