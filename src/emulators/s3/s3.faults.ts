import { FaultList, validateCountedFault } from '../common/fault-list.js';

/**
 * Fault injection for the S3 emulator, with the semantics the other emulators share (see `common/fault-list.ts`):
 * faults are consulted once per request in injection order; every matching `latency` adds up, then the first
 * matching terminal fault decides the outcome; each applied fault uses up one of its `times` (omitted = until
 * cleared). A `short-page` fault only shortens a ListObjectsV2 page that gets through.
 */

/** Operations as the emulator routes them; `Unknown` is anything else. */
export type S3Operation =
  | 'HeadBucket'
  | 'ListObjectsV2'
  | 'HeadObject'
  | 'GetObject'
  | 'PutObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads'
  | 'Unknown';

/** A fault to inject. `operation` omitted = every operation; `times` omitted = until cleared. */
export type S3Fault =
  /** Delay the request by `ms` milliseconds before it is processed. */
  | { kind: 'latency'; ms: number; operation?: S3Operation; times?: number }
  /**
   * Answer 500 `InternalError` or 503 `ServiceUnavailable` (both retried by the SDK). `message` replaces the
   * service's text, e.g. to carry a secret the gateway must never pass on.
   */
  | { kind: 'error'; status: 500 | 503; operation?: S3Operation; times?: number; message?: string }
  /** Answer 503 `SlowDown` ("Please reduce your request rate"), which the SDK treats as throttling and retries. */
  | { kind: 'throttle'; operation?: S3Operation; times?: number }
  /** Answer 403 `AccessDenied`, as a bucket policy or IAM denial does; `message` replaces the text. */
  | { kind: 'deny'; operation?: S3Operation; times?: number; message?: string }
  /**
   * GetObject: send the success headers and the first `afterBytes` (default 0) body bytes, then nothing. Other
   * operations: read the request, never answer. Lasts until the client gives up or the emulator closes.
   */
  | { kind: 'stall'; operation?: S3Operation; afterBytes?: number; times?: number }
  /**
   * GetObject: send the success headers and the first `afterBytes` (default 0) body bytes, then destroy the
   * connection (a drop mid-body). Other operations: destroy the connection without answering.
   */
  | { kind: 'drop'; operation?: S3Operation; afterBytes?: number; times?: number }
  /** ListObjectsV2: at most `maxKeys` (>= 1) entries per page whatever `max-keys` asks, truncated when more remain. */
  | { kind: 'short-page'; maxKeys: number; operation?: 'ListObjectsV2'; times?: number };

/** A fault that shortens ListObjectsV2 pages. */
export type ShortPageFault = Extract<S3Fault, { kind: 'short-page' }>;

/** Faults that replace the normal response. */
export type TerminalFault = Exclude<S3Fault, { kind: 'latency' } | ShortPageFault>;

function validate(fault: S3Fault): void {
  validateCountedFault(fault);
  if ((fault.kind === 'stall' || fault.kind === 'drop') && fault.afterBytes !== undefined && (!Number.isInteger(fault.afterBytes) || fault.afterBytes < 0)) {
    throw new RangeError(`${fault.kind} fault afterBytes must be an integer >= 0, got ${String(fault.afterBytes)}`);
  }
  if (fault.kind === 'short-page' && (!Number.isInteger(fault.maxKeys) || fault.maxKeys < 1)) {
    throw new RangeError(`short-page fault maxKeys must be an integer >= 1, got ${String(fault.maxKeys)}`);
  }
}

/** The injected faults of one S3 emulator. */
export class S3FaultSchedule {
  private readonly list = new FaultList<S3Fault>();

  /** Adds a fault after those already injected. @throws RangeError when a number is out of range. */
  inject(fault: S3Fault): void {
    validate(fault);
    this.list.add(fault);
  }

  /** Removes every fault. */
  clear(): void {
    this.list.clear();
  }

  /** Decides the faults of one request of `operation` and uses them up. */
  take(operation: S3Operation): { readonly latencyMs: number; readonly terminal: TerminalFault | undefined } {
    return this.list.takeRequest(
      (fault) => fault.operation === undefined || fault.operation === operation,
      (fault): fault is TerminalFault => fault.kind !== 'latency' && fault.kind !== 'short-page',
    );
  }

  /** The page cap of the ListObjectsV2 being answered now, using up one `times`; `undefined` when none. */
  takePageCap(): number | undefined {
    return this.list.takeFirst((fault): fault is ShortPageFault => fault.kind === 'short-page')?.maxKeys;
  }
}
