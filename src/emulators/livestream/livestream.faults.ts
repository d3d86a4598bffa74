import { FaultList, validateCountedFault } from '../common/fault-list.js';
/**
 * Fault injection for the Live Stream emulator, in the style of the MediaStore and Kinesis emulators'.
 *
 * Request faults (`latency`, `status`, `stall`) are consulted once per request, after it is recorded and passed
 * the authorization check, before validation. Every matching `latency` applies (delays add up); then the first matching
 * terminal fault (`status`, `stall`) decides the answer. Operation faults (`operationFailure`) are consulted when
 * a long-running operation is started and decide how it ends. Each applied fault uses up one of its `times`; a
 * fault without `times` stays until `clear()`.
 */

import type { RpcStatusName } from './livestream.status.js';

/** The transports of the emulator: gRPC (LivestreamService, Operations) and REST (DVR sessions, operations). */
export type LiveStreamTransport = 'grpc' | 'rest';

/** Operations as the emulator routes them; `Unknown` is a REST route it does not serve. */
export type LiveStreamOperation =
  | 'CreateAsset'
  | 'DeleteAsset'
  | 'GetAsset'
  | 'ListAssets'
  | 'GetChannel'
  | 'ListChannels'
  | 'GetOperation'
  | 'ListOperations'
  | 'DeleteOperation'
  | 'CancelOperation'
  | 'CreateDvrSession'
  | 'ListDvrSessions'
  | 'GetDvrSession'
  | 'UpdateDvrSession'
  | 'DeleteDvrSession'
  | 'Unknown';

/** The operations that start a long-running operation. */
export type LongRunningVerbOperation = 'CreateAsset' | 'DeleteAsset' | 'CreateDvrSession' | 'UpdateDvrSession' | 'DeleteDvrSession';

interface RequestScope {
  /** Only this operation; omitted = every operation. */
  readonly operation?: LiveStreamOperation;
  /** Only this transport; omitted = both. */
  readonly transport?: LiveStreamTransport;
  /** Applications before the fault is removed; omitted = until `clearFaults()`. */
  readonly times?: number;
}

/** A fault to inject; see PROTOCOL.md for the wire effect of each kind. */
export type LiveStreamFault =
  /** Delay the request by `ms` milliseconds (real timer) before it is processed. */
  | (RequestScope & { readonly kind: 'latency'; readonly ms: number })
  /** Answer with `status` (gRPC status / Google JSON error with its HTTP status) instead of processing. */
  | (RequestScope & { readonly kind: 'status'; readonly status: RpcStatusName; readonly message?: string })
  /** Read the request and never answer, until the client gives up or the emulator closes. */
  | (RequestScope & { readonly kind: 'stall' })
  /**
   * The next long-running operation started by `operation` (omitted = any) ends with `status` (default
   * INTERNAL) instead of succeeding; the resource ends in its failed state (asset ERROR, DVR session FAILED).
   */
  | {
      readonly kind: 'operationFailure';
      readonly operation?: LongRunningVerbOperation;
      readonly status?: RpcStatusName;
      readonly message?: string;
      readonly times?: number;
    };

/** Faults that replace the normal answer of a request. */
export type TerminalRequestFault = Extract<LiveStreamFault, { kind: 'status' | 'stall' }>;

/** A planned failure of the next long-running operation(s). */
type OperationFailureFault = Extract<LiveStreamFault, { kind: 'operationFailure' }>;

/** What the request faults decide for one request. */
export interface RequestFaultDecision {
  /** Total delay to apply first, in milliseconds (0 = none). */
  readonly latencyMs: number;
  /** The fault that replaces the normal answer, if any. */
  readonly terminal: TerminalRequestFault | undefined;
}


function validate(fault: LiveStreamFault): void {
  validateCountedFault(fault);
}

/** The injected faults of one emulator. */
export class LiveStreamFaultSchedule {
  private readonly list = new FaultList<LiveStreamFault>();

  /**
   * Adds a fault after those already injected.
   *
   * @throws RangeError when `times` or `ms` is out of range.
   */
  inject(fault: LiveStreamFault): void {
    validate(fault);
    this.list.add(fault);
  }

  /** Removes every fault. */
  clear(): void {
    this.list.clear();
  }

  /** Decides the request faults for one request and uses them up. */
  takeRequest(operation: LiveStreamOperation, transport: LiveStreamTransport): RequestFaultDecision {
    return this.list.takeRequest(
      (fault) =>
        fault.kind !== 'operationFailure' &&
        (fault.operation === undefined || fault.operation === operation) &&
        (fault.transport === undefined || fault.transport === transport),
      (fault): fault is TerminalRequestFault => fault.kind !== 'operationFailure' && fault.kind !== 'latency',
    );
  }

  /** The operation failure planned for a new operation of `operation`, used up; `undefined` = it succeeds. */
  takeOperationFailure(operation: LongRunningVerbOperation): { status: RpcStatusName; message: string } | undefined {
    const fault = this.list.takeFirst(
      (candidate): candidate is OperationFailureFault =>
        candidate.kind === 'operationFailure' && (candidate.operation === undefined || candidate.operation === operation),
    );
    return fault === undefined ? undefined : { status: fault.status ?? 'INTERNAL', message: fault.message ?? 'The operation failed.' };
  }
}
