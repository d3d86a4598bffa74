import { FaultList, validateCountedFault } from '../common/fault-list.js';

/**
 * Fault injection for the OCI emulator.
 *
 * Faults are consulted once per authenticated request (a request whose signature fails is answered 401
 * before any fault), in injection order. Every matching `latency` fault applies (their delays add up);
 * then the first matching terminal fault (`error`, `throttle`, `stall`) decides the outcome. Each applied
 * fault uses up one of its `times`; a fault without `times` stays until cleared.
 */

/** Operation names as the emulator routes them; `Unknown` is anything that routes to none. */
export type OciOperation =
  | 'ListMediaAssets'
  | 'GetMediaAsset'
  | 'ListStreamPackagingConfigs'
  | 'GetStreamPackagingConfig'
  | 'ListStreamDistributionChannels'
  | 'GetStreamDistributionChannel'
  | 'GeneratePlaylist'
  | 'GenerateSessionToken'
  | 'Unknown';

/** Statuses an `error` fault may answer with. */
export type OciFaultStatus = 400 | 401 | 404 | 409 | 429 | 500 | 502 | 503 | 504;

/** A fault to inject. `operation` omitted = every operation; `times` omitted = until cleared. */
export type OciFault =
  /** Delay the request by `ms` milliseconds before it is processed. */
  | { kind: 'latency'; ms: number; operation?: OciOperation; times?: number }
  /**
   * Answer `status` with the OCI error body. `code` defaults to the usual code for the status
   * (400 InvalidParameter, 401 NotAuthenticated, 404 NotAuthorizedOrNotFound, 409 Conflict,
   * 429 TooManyRequests, 500 InternalServerError, 502/503/504 ServiceUnavailable).
   */
  | { kind: 'error'; status: OciFaultStatus; code?: string; operation?: OciOperation; times?: number }
  /** Answer 429 TooManyRequests (the SDK's default retry condition retries it). */
  | { kind: 'throttle'; operation?: OciOperation; times?: number }
  /** Read the request, never answer; lasts until the client gives up or the emulator closes. */
  | { kind: 'stall'; operation?: OciOperation; times?: number };

/** Terminal faults: those that replace the normal response. */
export type OciTerminalFault = Exclude<OciFault, { kind: 'latency' }>;

/** What the faults decide for one request. */
export interface OciFaultDecision {
  /** Total delay to apply first, in milliseconds (0 = none). */
  readonly latencyMs: number;
  /** The fault that replaces the normal response, if any. */
  readonly terminal: OciTerminalFault | undefined;
}

/** The usual service code OCI pairs with each fault status. */
export const FAULT_DEFAULT_CODES: Readonly<Record<OciFaultStatus, string>> = {
  400: 'InvalidParameter',
  401: 'NotAuthenticated',
  404: 'NotAuthorizedOrNotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'ServiceUnavailable',
  503: 'ServiceUnavailable',
  504: 'ServiceUnavailable',
};

function validate(fault: OciFault): void {
  validateCountedFault(fault);
  if (fault.kind === 'error' && !(fault.status in FAULT_DEFAULT_CODES)) {
    throw new RangeError(`error fault status ${String(fault.status)} is not one the emulator injects`);
  }
}

/** The list of injected faults of one emulator. */
export class OciFaultSchedule {
  private readonly list = new FaultList<OciFault>();

  /**
   * Adds a fault after those already injected.
   *
   * @throws RangeError when `times`, `ms` or `status` is out of range.
   */
  inject(fault: OciFault): void {
    validate(fault);
    this.list.add(fault);
  }

  /** Removes every fault. */
  clear(): void {
    this.list.clear();
  }

  /** Decides the faults for one request of `operation` and uses them up. */
  take(operation: OciOperation): OciFaultDecision {
    return this.list.takeRequest(
      (fault) => fault.operation === undefined || fault.operation === operation,
      (fault): fault is OciTerminalFault => fault.kind !== 'latency',
    );
  }
}
