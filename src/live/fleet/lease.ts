import type { FleetKeys } from './fleet-keys.js';
import { RELEASE, TICK } from './fleet-scripts.js';
import type { RedisClient } from './redis-connection.js';

/** Lease timings, in milliseconds. */
export interface LeaseTimings {
  /** Lifetime of a reader lease (`LIVE_LEASE_TTL_MS`); the holder renews it every third of it. */
  readonly ttlMs: number;
  /** Lifetime of an instance's interest announcement; refreshed with every tick. */
  readonly interestTtlMs: number;
  /** How long a stream's log outlives its last holder (for the next one to continue it). */
  readonly logGraceMs: number;
}

/** What one coordination tick found. */
export interface TickResult {
  /** `held`: renewed; `acquired`: taken just now (`value` is the new lease); `other`: someone else's, or free. */
  readonly state: 'held' | 'acquired' | 'other';
  /** The lease value `<instance>|<token>`, '' when free. */
  readonly value: string;
  /** The newest fragment number in the log (where a new holder resumes), or null. */
  readonly head: string | null;
  /** Instances whose interest in the stream has not expired. */
  readonly interested: readonly string[];
}

/** The outcome of giving a lease up. */
export type ReleaseResult = 'released' | 'not-holder' | 'kept';

/**
 * The part of a lease's lifetime the holder may act on, measured from when it SENT the renewal (or acquisition) that
 * succeeded: the lease expires at Redis `ttlMs` after the script ran, which is later. The margin (a fifth of the
 * lease, at most 2 s) covers clock-rate differences and the time an aborted GetMedia takes to close at the service,
 * so the holder's reader is gone before anyone else may start one.
 */
export function leaseDeadline(sentAt: number, ttlMs: number): number {
  return sentAt + ttlMs - Math.min(2_000, Math.floor(ttlMs / 5));
}

/**
 * Reader leases of every stream, for one instance. A lease is `<instance>|<fencing token>` with an expiry; the token
 * comes from a per-stream counter, so every acquisition is distinguishable and a former holder's appends are refused
 * (see `APPEND`). Interest is announced with the same round trip.
 */
export class StreamLeases {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
    readonly instance: string,
    readonly timings: LeaseTimings,
  ) {
    if (instance.includes('|')) throw new RangeError('An instance id must not contain "|".');
  }

  /**
   * One tick for `stream`: announces or withdraws interest, renews `holder` when it still holds the lease (or takes it
   * back after Redis lost it), or takes a free lease when `mayAcquire` (see `TICK` for the quarantine after lost data).
   * @throws the client's error when Redis is unreachable (the caller treats the lease as unconfirmed).
   */
  async tick(
    stream: string,
    request: {
      readonly holder: string | undefined;
      readonly interested: boolean;
      readonly mayAcquire: boolean;
      /** This instance has read the stream's log before (a free lease without a counter then means lost data). */
      readonly knewLog?: boolean;
    },
  ): Promise<TickResult> {
    const k = this.keys.stream(stream);
    const reply = (await TICK.run(
      this.client,
      [k.lease, k.fence, k.interest, k.log, k.head, k.status, k.ended],
      [
        this.instance,
        request.holder ?? '',
        request.interested ? '1' : '0',
        request.mayAcquire ? '1' : '0',
        this.timings.ttlMs,
        this.timings.interestTtlMs,
        this.timings.logGraceMs,
        request.knewLog === true ? '1' : '0',
      ],
    )) as [string, string, string, string[]];
    const [state, value, head, interested] = reply;
    if (state !== 'held' && state !== 'acquired' && state !== 'other') throw new Error(`unexpected tick reply ${String(state)}`);
    return { state, value, head: head === '' ? null : head, interested };
  }

  /**
   * Gives the lease of `stream` up when `holder` still holds it. `handover` tells every tailing instance at once
   * (a hand-over entry in the log) and keeps the log; `linger` releases only when no instance is interested, and
   * then deletes the log too.
   * @throws the client's error when Redis is unreachable (the lease then simply expires).
   */
  async release(stream: string, holder: string, mode: 'handover' | 'linger', maxLogLength: number): Promise<ReleaseResult> {
    const k = this.keys.stream(stream);
    const reply = (await RELEASE.run(this.client, [k.lease, k.interest, k.log, k.head, k.status], [holder, mode, maxLogLength, this.timings.logGraceMs])) as number;
    return reply === 1 ? 'released' : reply === -1 ? 'kept' : 'not-holder';
  }

  /** The instance that holds the lease value `value`, or null for ''. Pure. */
  static holderOf(value: string): string | null {
    const bar = value.lastIndexOf('|');
    return bar === -1 ? null : value.slice(0, bar);
  }
}
