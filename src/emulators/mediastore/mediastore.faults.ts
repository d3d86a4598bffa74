import { FaultList, validateCountedFault } from '../common/fault-list.js';

/**
 * Fault injection for the MediaStore emulator.
 *
 * Faults are consulted once per received request, in injection order. Every matching `latency` fault
 * applies (their delays add up); then the first matching terminal fault (`error`, `throttle`, `stall`)
 * decides the outcome. A `short-page` fault is neither: it does not replace the response but shortens a
 * ListItems page, and only a ListItems request that reaches the operation uses it up. Each applied fault uses
 * up one of its `times`; a fault without `times` stays until `clear()`.
 */

/** Operation names as the emulator routes them; `Unknown` is anything that is not one of the five. */
export type MediaStoreOperation = 'PutObject' | 'GetObject' | 'DescribeObject' | 'DeleteObject' | 'ListItems' | 'Unknown';

/** A fault to inject. `operation` omitted = every operation; `times` omitted = until cleared. */
export type MediaStoreFault =
  /** Delay the request by `ms` milliseconds before it is processed. */
  | { kind: 'latency'; ms: number; operation?: MediaStoreOperation; times?: number }
  /**
   * Answer 500 `InternalServerError` or 503 `ServiceUnavailable`; the SDK retries both. `message` replaces the
   * service's message, e.g. to carry an ARN or a secret that the gateway must never pass on.
   */
  | { kind: 'error'; status: 500 | 503; operation?: MediaStoreOperation; times?: number; message?: string }
  /** Answer 400 `ThrottlingException`; the SDK classifies it as throttling and retries. */
  | { kind: 'throttle'; operation?: MediaStoreOperation; times?: number }
  /**
   * GetObject: send the success headers and the first `afterBytes` (default 0) body bytes, then nothing.
   * PutObject with `afterBytes`: read about that many body bytes (whole chunks), then stop reading the request, as a
   * store that stops accepting an upload. Other operations, PutObject without `afterBytes` (and a GetObject of a
   * missing object): read the request, never answer.
   * A stalled exchange lasts until the client gives up or the emulator closes.
   */
  | { kind: 'stall'; operation?: MediaStoreOperation; afterBytes?: number; times?: number }
  /**
   * ListItems: return at most `maxItems` items (>= 1) per call whatever `MaxResults` asks for, with a
   * `NextToken` when more remain, as a service may return a short page. Lets tests check that a client
   * keeps reading instead of taking one page for `MaxResults` items. Other operations ignore it.
   */
  | { kind: 'short-page'; maxItems: number; operation?: 'ListItems'; times?: number };

/** A fault that shortens ListItems pages (see {@link MediaStoreFault}). */
export type ShortPageFault = Extract<MediaStoreFault, { kind: 'short-page' }>;

/** Terminal faults: those that replace the normal response. */
export type TerminalFault = Exclude<MediaStoreFault, { kind: 'latency' } | ShortPageFault>;

/** What the faults decide for one request. */
export interface FaultDecision {
  /** Total delay to apply first, in milliseconds (0 = none). */
  readonly latencyMs: number;
  /** The fault that replaces the normal response, if any. */
  readonly terminal: TerminalFault | undefined;
}

function validate(fault: MediaStoreFault): void {
  validateCountedFault(fault);
  if (fault.kind === 'stall' && fault.afterBytes !== undefined && (!Number.isInteger(fault.afterBytes) || fault.afterBytes < 0)) {
    throw new RangeError(`stall fault afterBytes must be an integer >= 0, got ${String(fault.afterBytes)}`);
  }
  if (fault.kind === 'short-page' && (!Number.isInteger(fault.maxItems) || fault.maxItems < 1)) {
    throw new RangeError(`short-page fault maxItems must be an integer >= 1, got ${String(fault.maxItems)}`);
  }
}

/** The list of injected faults of one emulator. */
export class FaultSchedule {
  private readonly list = new FaultList<MediaStoreFault>();

  /**
   * Adds a fault after those already injected.
   *
   * @throws RangeError when `times`, `ms`, `afterBytes` or `maxItems` is out of range.
   */
  inject(fault: MediaStoreFault): void {
    validate(fault);
    this.list.add(fault);
  }

  /** Removes every fault. */
  clear(): void {
    this.list.clear();
  }

  /** Decides the faults for one request of `operation` and uses them up. */
  take(operation: MediaStoreOperation): FaultDecision {
    return this.list.takeRequest(
      (fault) => fault.operation === undefined || fault.operation === operation,
      (fault): fault is TerminalFault => fault.kind !== 'latency' && fault.kind !== 'short-page',
    );
  }

  /**
   * The cap on the items of the ListItems page being answered now, using up one `times` of the first
   * `short-page` fault; `undefined` when none is injected. Call it only for a ListItems that reaches the
   * operation, so a request answered by a terminal fault does not use the cap up.
   */
  takeListItemsCap(): number | undefined {
    return this.list.takeFirst((fault): fault is ShortPageFault => fault.kind === 'short-page')?.maxItems;
  }
}
