import { KVS_MAX_RECORDED_CALLS_PER_STREAM } from './kinesis.limits.js';

/**
 * Per-stream GetMedia accounting: the documented call-rate and concurrent-connection limits, plus the
 * counters tests and benchmarks read.
 *
 * Rate: a call is accepted when fewer than `callsPerSecond` calls were accepted in the preceding 1000 ms of
 * the emulator clock (a sliding window), so no half-open 1-second window ever holds more accepted calls than
 * the limit. Calls refused by the rate limit do not count against it; every call attempt, refused or not,
 * is recorded in the call log (`calls`), which is what "never more than 5 calls in any 1 s window" assertions
 * on a client should read.
 */

/** The GetMedia limits in force. */
export interface GetMediaLimits {
  /** GetMedia calls accepted per second per stream (documented 5). */
  readonly getMediaCallsPerSecond: number;
  /** Concurrent GetMedia connections per stream (documented 3). */
  readonly maxConnectionsPerStream: number;
  /** Payload send rate per GetMedia session in bytes per second (documented 25 MB/s). */
  readonly bytesPerSecond: number;
}

interface StreamCounters {
  /** Every GetMedia attempt naming the stream (emulator clock), oldest first, bounded. */
  readonly calls: number[];
  /** Accepted calls in the last second, oldest first. */
  readonly accepted: number[];
  active: number;
  /** Highest `active` ever reached; never reset. */
  maxActive: number;
  /** GetMedia attempts since the emulator started (refused ones included); never reset, unlike `calls`. */
  totalCalls: number;
}

/** Lifetime GetMedia counters of one stream, as `GET /_emulator/stats` reports them. */
export interface GetMediaStreamStats {
  /** Open GetMedia connections now. */
  readonly openGetMedia: number;
  /** Most GetMedia connections open at once since the emulator started. */
  readonly maxOpenGetMedia: number;
  /** GetMedia attempts naming the stream since the emulator started, refused ones included. */
  readonly getMediaCalls: number;
}

/** GetMedia counters and limit checks, keyed by stream name. */
export class StreamLimits {
  private readonly streams = new Map<string, StreamCounters>();

  constructor(
    private readonly limits: GetMediaLimits,
    private readonly now: () => number,
    private readonly onChange: () => void,
  ) {}

  private counters(stream: string): StreamCounters {
    let counters = this.streams.get(stream);
    if (counters === undefined) {
      counters = { calls: [], accepted: [], active: 0, maxActive: 0, totalCalls: 0 };
      this.streams.set(stream, counters);
    }
    return counters;
  }

  /** Records one GetMedia attempt on `stream` at the current emulator time. */
  recordCall(stream: string): void {
    const counters = this.counters(stream);
    const { calls } = counters;
    counters.totalCalls += 1;
    calls.push(this.now());
    if (calls.length > KVS_MAX_RECORDED_CALLS_PER_STREAM) calls.splice(0, calls.length - KVS_MAX_RECORDED_CALLS_PER_STREAM);
    this.onChange();
  }

  /** Timestamps of the recorded GetMedia attempts on `stream`, oldest first (a copy). */
  calls(stream: string): readonly number[] {
    return [...(this.streams.get(stream)?.calls ?? [])];
  }

  /** Lifetime counters of `stream` (zeros for a stream never named by a GetMedia call). */
  stats(stream: string): GetMediaStreamStats {
    const counters = this.streams.get(stream);
    return { openGetMedia: counters?.active ?? 0, maxOpenGetMedia: counters?.maxActive ?? 0, getMediaCalls: counters?.totalCalls ?? 0 };
  }

  /** Clears the call log of every stream (the rate window, connection counts and lifetime counters are unaffected). */
  resetCalls(): void {
    for (const counters of this.streams.values()) counters.calls.length = 0;
  }

  /** Accepts a call under the per-second limit (and counts it), or returns false. */
  tryAcceptCall(stream: string): boolean {
    const { accepted } = this.counters(stream);
    const now = this.now();
    while (accepted.length > 0 && (accepted[0] ?? now) <= now - 1000) accepted.shift();
    if (accepted.length >= this.limits.getMediaCallsPerSecond) return false;
    accepted.push(now);
    return true;
  }

  /** Takes a connection slot of `stream`, or returns false when all are held. */
  tryOpen(stream: string): boolean {
    const counters = this.counters(stream);
    if (counters.active >= this.limits.maxConnectionsPerStream) return false;
    counters.active += 1;
    counters.maxActive = Math.max(counters.maxActive, counters.active);
    this.onChange();
    return true;
  }

  /** Releases a slot taken with {@link tryOpen}. */
  release(stream: string): void {
    const counters = this.counters(stream);
    counters.active = Math.max(0, counters.active - 1);
    this.onChange();
  }

  /** Open GetMedia connections of `stream`. */
  active(stream: string): number {
    return this.streams.get(stream)?.active ?? 0;
  }
}
