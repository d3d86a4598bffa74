import type { LiveStreamOperation, LiveStreamTransport } from './livestream.faults.js';

/** One request as the emulator received it, recorded before any fault, auth or validation step. */
export interface RecordedRequest {
  readonly transport: LiveStreamTransport;
  /** The operation the gRPC method or the REST method and path route to. */
  readonly operation: LiveStreamOperation;
  /** gRPC: the full method path (`/google.cloud.video.livestream.v1.LivestreamService/GetAsset`); REST: the HTTP method. */
  readonly method: string;
  /**
   * The resource the request names: gRPC `name` or `parent`; REST the decoded path after `/v1/` (e.g.
   * `projects/p/locations/l/channels/c/dvrSessions`); `''` when none.
   */
  readonly resource: string;
  /** REST: the raw query string without `?` (`''` when none); gRPC: `''`. */
  readonly query: string;
  /** The `request_id` / `requestId` the request carries, if any. */
  readonly requestId: string | undefined;
  /** Emulator clock at arrival, epoch milliseconds. */
  readonly at: number;
}

interface Waiter {
  readonly predicate: (request: RecordedRequest) => boolean;
  readonly resolve: (request: RecordedRequest) => void;
  readonly reject: (error: Error) => void;
}

/** The emulator's bounded request log, whose entries tests can await instead of sleeping. */
export class RequestLog {
  private items: RecordedRequest[] = [];
  private waiters: Waiter[] = [];
  private closed: Error | undefined;
  private readonly totals = new Map<LiveStreamOperation, number>();

  /** @param maxItems entries kept; the oldest are dropped first (counters keep counting them). */
  constructor(private readonly maxItems: number) {}

  /** A snapshot of the kept entries, oldest first. */
  get entries(): readonly RecordedRequest[] {
    return [...this.items];
  }

  /** Requests recorded since the last reset, of one operation (and transport) when given. */
  count(operation?: LiveStreamOperation, transport?: LiveStreamTransport): number {
    if (transport !== undefined) {
      return this.items.filter((item) => item.transport === transport && (operation === undefined || item.operation === operation)).length;
    }
    if (operation === undefined) return [...this.totals.values()].reduce((sum, value) => sum + value, 0);
    return this.totals.get(operation) ?? 0;
  }

  /** Appends `request` and resolves every waiter whose predicate it satisfies. */
  push(request: RecordedRequest): void {
    this.items.push(request);
    this.totals.set(request.operation, (this.totals.get(request.operation) ?? 0) + 1);
    if (this.items.length > this.maxItems) this.items.splice(0, this.items.length - this.maxItems);
    if (this.waiters.length === 0) return;
    const remaining: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.predicate(request)) waiter.resolve(request);
      else remaining.push(waiter);
    }
    this.waiters = remaining;
  }

  /** Drops the entries and counters; pending waits keep waiting for new requests. */
  reset(): void {
    this.items = [];
    this.totals.clear();
  }

  /**
   * Resolves with the first kept entry matching `predicate`, or the first later one.
   *
   * @throws (rejects) Error when the log is closed first.
   */
  waitFor(predicate: (request: RecordedRequest) => boolean): Promise<RecordedRequest> {
    const found = this.items.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<RecordedRequest>((resolve, reject) => {
      this.waiters.push({ predicate, resolve, reject });
    });
  }

  /** Rejects every pending wait and refuses new ones. Idempotent. */
  close(): void {
    this.closed ??= new Error('Live Stream emulator is closed');
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(this.closed);
  }
}
