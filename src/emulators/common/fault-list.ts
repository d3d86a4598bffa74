/**
 * The bookkeeping every emulator's fault injection shares: faults are kept in injection order, each applies at
 * most `times` (omitted = until cleared), and a request takes every matching latency fault (delays add up) plus
 * the first matching terminal fault. Which faults match and what they do stay with each emulator.
 */

/** Any injectable fault: a `kind`, and optionally how many times it applies. */
export interface CountedFault {
  readonly kind: string;
  readonly times?: number | undefined;
}

/** A latency fault: adds `ms` milliseconds before the request is processed. */
export interface LatencyFault extends CountedFault {
  readonly kind: 'latency';
  readonly ms: number;
}

/** What the faults decide for one request. */
export interface RequestFaultDecision<T> {
  /** Total delay to apply first, in milliseconds (0 = none). */
  readonly latencyMs: number;
  /** The fault that replaces the normal response, if any. */
  readonly terminal: T | undefined;
}

interface Active<F> {
  readonly fault: F;
  remaining: number;
}

/**
 * Checks the fields every fault kind shares.
 * @throws RangeError when `times` is not a positive integer or a latency `ms` is negative or not finite.
 */
export function validateCountedFault(fault: CountedFault): void {
  if (fault.times !== undefined && (!Number.isInteger(fault.times) || fault.times < 1)) {
    throw new RangeError(`fault.times must be a positive integer, got ${String(fault.times)}`);
  }
  if (isLatency(fault) && (!Number.isFinite(fault.ms) || fault.ms < 0)) {
    throw new RangeError(`latency fault ms must be a finite number >= 0, got ${String(fault.ms)}`);
  }
}

function isLatency(fault: CountedFault): fault is LatencyFault {
  return fault.kind === 'latency';
}

/** The injected faults of one emulator. */
export class FaultList<F extends CountedFault> {
  private faults: Active<F>[] = [];

  /** Adds a copy of `fault` after those already injected (validate it first). */
  add(fault: F): void {
    this.faults.push({ fault: { ...fault }, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  /** Removes every fault. */
  clear(): void {
    this.faults = [];
  }

  /**
   * Decides the request faults for one request: every latency fault `matches` accepts, plus the first other one
   * that `isTerminal` accepts; both are used up.
   */
  takeRequest<T extends F>(matches: (fault: F) => boolean, isTerminal: (fault: F) => fault is T): RequestFaultDecision<T> {
    let latencyMs = 0;
    let terminal: T | undefined;
    for (const active of this.faults) {
      const { fault } = active;
      if (!matches(fault)) continue;
      if (isLatency(fault)) {
        latencyMs += fault.ms;
        active.remaining -= 1;
      } else if (terminal === undefined && isTerminal(fault)) {
        terminal = fault;
        active.remaining -= 1;
      }
    }
    this.prune();
    return { latencyMs, terminal };
  }

  /** The first fault `pick` accepts, used up; `undefined` when none. */
  takeFirst<T extends F>(pick: (fault: F) => fault is T): T | undefined {
    for (const active of this.faults) {
      if (!pick(active.fault)) continue;
      active.remaining -= 1;
      this.prune();
      return active.fault;
    }
    return undefined;
  }

  private prune(): void {
    this.faults = this.faults.filter((active) => active.remaining > 0);
  }
}
