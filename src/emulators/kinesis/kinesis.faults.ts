import { FaultList } from '../common/fault-list.js';
/**
 * Fault injection for the Kinesis Video emulator, in the style of the MediaStore emulator's.
 *
 * Two families:
 * - request faults (`latency`, `error`, `throttle`, `connectionLimit`, `invalidEndpoint`, `notAuthorized`) are
 *   consulted once per request, after it is recorded and authorised and before it is validated. Every
 *   matching `latency` applies (delays add up); the first matching terminal one decides the answer.
 * - session faults (`drop`, `stall`, `errorTag`) shape a GetMedia payload. They are consulted when a GetMedia
 *   session starts, i.e. after the call passed validation and the per-stream limits; the first matching one
 *   applies to that session.
 *
 * Each applied fault uses up one of its `times`; without `times` it stays until `clear()`. `stream` limits a
 * fault to requests naming that stream (by name, or by ARN resolved to the name).
 */

/** Operations as the emulator routes them; `Unknown` is any path that is not one of them. */
export type KinesisOperation =
  | 'CreateStream'
  | 'DescribeStream'
  | 'ListStreams'
  | 'GetDataEndpoint'
  | 'GetMedia'
  | 'ListFragments'
  | 'Unknown';

/** GetMedia error ids the emulator can put in an `AWS_KINESISVIDEO_ERROR_ID` tag (the documented list). */
export type GetMediaErrorId = 3002 | 4000 | 4500 | 4501 | 4502 | 4503 | 4504 | 4505 | 4506 | 5000;

/** The documented GetMedia error ids, in order. */
export const GET_MEDIA_ERROR_IDS: readonly GetMediaErrorId[] = [3002, 4000, 4500, 4501, 4502, 4503, 4504, 4505, 4506, 5000];

interface FaultScope {
  /** Only requests naming this stream; omitted = any stream (and requests naming none). */
  readonly stream?: string;
  /** Applications before the fault is removed; omitted = until `clearFaults()`. */
  readonly times?: number;
}

interface RequestFaultScope extends FaultScope {
  /** Only this operation; omitted = every operation (for `invalidEndpoint`: GetMedia and ListFragments). */
  readonly operation?: KinesisOperation;
}

/** A fault to inject; see PROTOCOL.md for the exact wire effect of each kind. */
export type KinesisFault =
  /** Delay the request by `ms` milliseconds (real timer) before it is processed. */
  | (RequestFaultScope & { readonly kind: 'latency'; readonly ms: number })
  /** Answer 500 `InternalFailure` or 503 `ServiceUnavailable` (the SDKs retry both). */
  | (RequestFaultScope & { readonly kind: 'error'; readonly status: 500 | 503 })
  /** Answer 400 `ClientLimitExceededException`. */
  | (RequestFaultScope & { readonly kind: 'throttle' })
  /** Answer 400 `ConnectionLimitExceededException`. */
  | (RequestFaultScope & { readonly kind: 'connectionLimit' })
  /** Answer 400 `InvalidEndpointException` (default scope: the media calls GetMedia and ListFragments). */
  | (RequestFaultScope & { readonly kind: 'invalidEndpoint' })
  /** Answer 401 `NotAuthorizedException` (an expired session token, RELIABILITY K11). */
  | (RequestFaultScope & { readonly kind: 'notAuthorized' })
  /**
   * GetMedia: destroy the connection after exactly `afterBytes` payload bytes, or after `afterFragments`
   * complete fragments (give exactly one of the two; `afterFragments: 0` drops right after the headers).
   */
  | (FaultScope & { readonly kind: 'drop'; readonly afterBytes?: number; readonly afterFragments?: number })
  /**
   * GetMedia: send the headers and the first `afterBytes` bytes or `afterFragments` fragments (default: none),
   * then nothing more, without ending the response, until the client gives up or the emulator closes.
   */
  | (FaultScope & { readonly kind: 'stall'; readonly afterBytes?: number; readonly afterFragments?: number })
  /**
   * GetMedia: after `afterFragments` fragments (default 0) send an error document carrying
   * `AWS_KINESISVIDEO_ERROR_ID` = `errorId`; then end the payload, unless `end: false` (then continue).
   */
  | (FaultScope & {
      readonly kind: 'errorTag';
      readonly errorId: GetMediaErrorId;
      readonly afterFragments?: number;
      readonly end?: boolean;
    });

/** Faults that replace the normal answer of a request. */
export type RequestTerminalFault = Extract<KinesisFault, { kind: 'error' | 'throttle' | 'connectionLimit' | 'invalidEndpoint' | 'notAuthorized' }>;

/** Faults that shape a GetMedia payload. */
export type SessionFault = Extract<KinesisFault, { kind: 'drop' | 'stall' | 'errorTag' }>;

/** What the request faults decide for one request. */
export interface RequestFaultDecision {
  /** Total delay to apply first, in milliseconds (0 = none). */
  readonly latencyMs: number;
  /** The fault that replaces the normal answer, if any. */
  readonly terminal: RequestTerminalFault | undefined;
}


const MEDIA_OPERATIONS: ReadonlySet<KinesisOperation> = new Set(['GetMedia', 'ListFragments']);

function isSessionFault(fault: KinesisFault): fault is SessionFault {
  return fault.kind === 'drop' || fault.kind === 'stall' || fault.kind === 'errorTag';
}

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

function validate(fault: KinesisFault): void {
  checkCount('fault.times', fault.times, 1);
  switch (fault.kind) {
    case 'latency':
      if (!Number.isFinite(fault.ms) || fault.ms < 0) throw new RangeError(`latency fault ms must be >= 0, got ${String(fault.ms)}`);
      return;
    case 'error':
      if (fault.status !== 500 && fault.status !== 503) throw new RangeError(`error fault status must be 500 or 503, got ${String(fault.status)}`);
      return;
    case 'drop':
      checkCount('drop fault afterBytes', fault.afterBytes, 0);
      checkCount('drop fault afterFragments', fault.afterFragments, 0);
      if ((fault.afterBytes === undefined) === (fault.afterFragments === undefined)) {
        throw new RangeError('drop fault needs exactly one of afterBytes and afterFragments');
      }
      return;
    case 'stall':
      checkCount('stall fault afterBytes', fault.afterBytes, 0);
      checkCount('stall fault afterFragments', fault.afterFragments, 0);
      if (fault.afterBytes !== undefined && fault.afterFragments !== undefined) {
        throw new RangeError('stall fault takes at most one of afterBytes and afterFragments');
      }
      return;
    case 'errorTag':
      checkCount('errorTag fault afterFragments', fault.afterFragments, 0);
      if (!GET_MEDIA_ERROR_IDS.includes(fault.errorId)) throw new RangeError(`errorTag fault errorId ${String(fault.errorId)} is not documented`);
      return;
    default:
      return;
  }
}

function matchesRequest(fault: KinesisFault, operation: KinesisOperation, stream: string | undefined): boolean {
  if (isSessionFault(fault)) return false;
  if (fault.stream !== undefined && fault.stream !== stream) return false;
  if (fault.operation !== undefined) return fault.operation === operation;
  return fault.kind === 'invalidEndpoint' ? MEDIA_OPERATIONS.has(operation) : true;
}

/** The injected faults of one emulator. */
export class KinesisFaultSchedule {
  private readonly list = new FaultList<KinesisFault>();

  /**
   * Adds a fault after those already injected.
   *
   * @throws RangeError when a count, delay, status or error id is out of range.
   */
  inject(fault: KinesisFault): void {
    validate(fault);
    this.list.add(fault);
  }

  /** Removes every fault. */
  clear(): void {
    this.list.clear();
  }

  /** Decides the request faults for one request and uses them up. */
  takeRequest(operation: KinesisOperation, stream: string | undefined): RequestFaultDecision {
    return this.list.takeRequest(
      (fault) => matchesRequest(fault, operation, stream),
      (fault): fault is RequestTerminalFault => !isSessionFault(fault),
    );
  }

  /** The first session fault matching `stream`, used up; `undefined` when none. */
  takeSession(stream: string): SessionFault | undefined {
    return this.list.takeFirst((fault): fault is SessionFault => isSessionFault(fault) && (fault.stream === undefined || fault.stream === stream));
  }
}
