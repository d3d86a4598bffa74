import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { MediaCallError } from '../datasources/kinesis/kinesis-media.datasource.js';
import type { MediaStart } from '../datasources/kinesis/kinesis.types.js';
import { backoffDelay } from '../core/backoff.js';
import { DomainError } from '../core/domain-error.js';
import { runOutsideRequestScope } from '../core/request-scope.js';
import { FragmentReader } from '../mkv/fragment-reader.js';
import type { Fragment } from '../mkv/fragment.type.js';
import { compareFragmentNumbers, isFragmentNumber } from '../mkv/kinesis-tags.js';
import { MalformedMediaError } from '../mkv/malformed-media.error.js';
import type { FeedStatus, GapReason } from './live.types.js';
import type { Semaphore, TokenBucket } from './token-bucket.js';

/** How a {@link MediaOpener} should make one call. */
export interface OpenOptions {
  /**
   * The previous call was refused as not authorized (an expired session, RELIABILITY.md K11): resolve the
   * credentials and the data endpoint again, bypassing any cache, before this call. Cached ones would only be
   * refused again.
   */
  readonly refresh: boolean;
}

/**
 * Opens a GetMedia payload; throws `MediaCallError` for service errors (the datasource does). An opener that
 * ignores `options` never recovers from expired credentials on its own; see `kinesisMediaOpener`.
 */
export type MediaOpener = (stream: string, start: MediaStart, signal: AbortSignal, options: OpenOptions) => Promise<Readable>;

/**
 * The per-stream budgets every reader of the stream (live and catch-up) draws from: in-process ones
 * ({@link TokenBucket}, {@link Semaphore}) or fleet-wide ones kept in Redis, with the same contract.
 */
export interface StreamLimits {
  /** GetMedia calls per second (the service allows 5). */
  readonly calls: Pick<TokenBucket, 'take'>;
  /** Concurrent GetMedia sessions (the service allows 3). */
  readonly connections: Pick<Semaphore, 'acquire' | 'held'>;
}

/** Tunables of a {@link MediaReader}; all in milliseconds. */
export interface MediaReaderOptions {
  /** A session silent this long is aborted and resumed (RELIABILITY.md K2). */
  readonly idleTimeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** Pause after a payload that ended without a fragment (producer idle), keeping calls <= ~1/s (K3). */
  readonly idleReconnectMs: number;
  /** Where to resume when the service says the position is beyond retention (error 4000). */
  readonly retentionFallback: 'EARLIEST' | 'NOW';
  /**
   * The pause between calls (backoff, idle reconnect): resolves after `ms`, rejects when `signal` aborts. Defaults to
   * `node:timers/promises`' `setTimeout`; tests pass one that records the waits instead of taking them.
   */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<unknown>;
}

/** Callbacks of a {@link MediaReader}; all called synchronously from the reader's loop. */
export interface MediaReaderHandlers {
  /**
   * A new fragment, in order; duplicates and error documents never reach it. After an `UPSTREAM_RESET` gap the order
   * starts over: the next fragment may have a lower number than those before the gap.
   */
  onFragment(fragment: Fragment): void;
  /**
   * The session's state changed. `ENDED` (detail: the error code) comes only right before `onFatal`; a reader
   * stopped by its owner (`stop()`) reports nothing, so its end never reads as the stream ending.
   */
  onStatus(status: FeedStatus, detail: string | null): void;
  /** Fragments were lost (reported right before the first fragment after the loss). */
  onGap(gap: { readonly reason: GapReason; readonly afterFragmentNumber: string | null; readonly beforeFragmentNumber: string }): void;
  /** The reader stopped for good; no retry will help (unknown stream, KMS failure). */
  onFatal(error: DomainError): void;
}

/** GetMedia error ids (AWS_KINESISVIDEO_ERROR_ID) that come from KMS and must not be retried in a loop. */
const KMS_ERROR_IDS = new Set([4500, 4501, 4502, 4503, 4504, 4505, 4506]);
const RETENTION_ERROR_ID = 4000;
/**
 * Consecutive fragments dropped as not after the last delivered one before the reader reports `STALLED`. One repeat
 * is normal after a resume (the service may send the last delivered fragment again); three in a row, i.e. three
 * fragment durations of the stream with nothing delivered, are not.
 */
export const STALLED_AFTER_FRAGMENTS = 3;
/** Printable ASCII, as the service's tokens are (they are fragment numbers today). */
const CONTINUATION_TOKEN_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * Reads one stream's GetMedia output from a start position for as long as it runs, surviving every fault in
 * RELIABILITY.md K1–K12: each session is paced by the stream's token bucket and connection semaphore; a drop,
 * a stall (idle watchdog), a malformed payload or a retryable error tag resumes right after the last fragment
 * delivered (continuation token, else fragment number) with full-jitter backoff; a retention error (4000) falls
 * back and reports a gap; KMS errors (4500–4506) and unknown streams end the reader through `onFatal`.
 * Fragment numbers are compared as BigInt; anything not strictly after the last delivered one is dropped.
 *
 * A fallback (after error 4000, or after the service refused the reader's own position) reads from NOW or EARLIEST.
 * If its first new fragment is numbered below the last one delivered yet was received later (server timestamp), the
 * stream's numbering has started over (the stream was recreated, the service restarted): that fragment starts a new
 * baseline and is delivered after an `UPSTREAM_RESET` gap, where dropping it as a duplicate would drop everything
 * until the new numbers overtook the old ones. A lower number received earlier is an older fragment of the same
 * stream, and the last one delivered again (NOW starts with the newest fragment) is a duplicate: both are dropped.
 * Fragments that keep coming at or before the last one are dropped as duplicates, and after
 * {@link STALLED_AFTER_FRAGMENTS} of them in a row the reader reports `STALLED` (then `CONNECTED` again with the next
 * fragment it delivers).
 */
export class MediaReader {
  private readonly stopper = new AbortController();
  private position: MediaStart;
  private last: string | null = null;
  /** Server timestamp of `last` (epoch ms), when it had one. */
  private lastServerTimestamp: number | null = null;
  private status: FeedStatus | undefined;
  private pendingGap: { reason: GapReason; afterFragmentNumber: string | null } | undefined;
  /** Fragments dropped in a row as not after `last` (see {@link STALLED_AFTER_FRAGMENTS}). */
  private droppedInRow = 0;
  private tagError: { id: number; code: string | null } | undefined;
  private running: Promise<void> | undefined;
  /** Fragments delivered by the current session; a session that delivered any resets the backoff. */
  private sessionDelivered = 0;
  /** The next call must resolve credentials and endpoint afresh (K11); cleared once a call got through. */
  private refreshNext = false;
  private readonly handlers: MediaReaderHandlers;

  constructor(
    private readonly open: MediaOpener,
    readonly stream: string,
    start: MediaStart,
    private readonly limits: StreamLimits,
    handlers: MediaReaderHandlers,
    private readonly options: MediaReaderOptions,
  ) {
    this.position = start;
    // Every way of stopping for good goes through onFatal, so ENDED is reported there and nowhere else (see
    // MediaReaderHandlers.onStatus).
    this.handlers = {
      ...handlers,
      onFatal: (error) => {
        this.setStatus('ENDED', error.code);
        handlers.onFatal(error);
      },
    };
  }

  /** Last fragment number delivered, or null. */
  get lastFragmentNumber(): string | null {
    return this.last;
  }

  /**
   * Starts the loop (idempotent); resolves when the reader has stopped. The loop runs outside the request that
   * started it: the reader serves every subscriber of the stream and outlives that request.
   */
  start(): Promise<void> {
    this.running ??= runOutsideRequestScope(() => this.run());
    return this.running;
  }

  /** Stops the loop and aborts the open session; resolves when it has stopped. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      let release: (() => void) | undefined;
      let wait = 0;
      try {
        // Connection first, then the call token: a token taken before a long wait for a connection would be
        // spent long before the call, and several readers released together would then call in a burst
        // above the service's 5/s (K4, K5).
        release = await this.limits.connections.acquire(signal);
        const settle = await this.limits.calls.take(signal);
        const session = new AbortController();
        const onStop = (): void => session.abort();
        signal.addEventListener('abort', onStop, { once: true });
        this.sessionDelivered = 0;
        try {
          let payload: Readable;
          try {
            payload = await this.open(this.stream, this.position, AbortSignal.any([signal, session.signal]), { refresh: this.refreshNext });
            this.refreshNext = false;
          } finally {
            // The call has reached the service by now: its token comes back a window after this (see TokenBucket).
            settle();
          }
          this.setStatus('CONNECTED', null);
          const delivered = await this.consume(payload, session);
          const tagError = this.tagError;
          this.tagError = undefined;
          if (tagError !== undefined) {
            wait = this.onTagError(tagError, attempt);
            attempt += 1;
          } else {
            if (delivered > 0) attempt = 0;
            // A payload that ends normally means the producer has been idle for the service's idle timeout
            // (~3 s), whether or not this session delivered something first; reconnecting at once would only
            // open another idle session. Come back slowly (K3: <= 1 call/s on average).
            wait = this.options.idleReconnectMs;
          }
        } finally {
          signal.removeEventListener('abort', onStop);
        }
      } catch (error) {
        if (signal.aborted) break;
        if (this.sessionDelivered > 0) attempt = 0;
        wait = this.onError(error, attempt);
        attempt += 1;
      } finally {
        release?.();
      }
      if (wait > 0 && !signal.aborted) {
        try {
          await (this.options.sleep?.(wait, signal) ?? delay(wait, undefined, { signal }));
        } catch {
          // Aborted while backing off: the loop condition ends the reader.
        }
      }
    }
    // No ENDED here: stopping for good already reported it (see the constructor), and a reader its owner stopped
    // has nothing to tell; its owner may already serve the next subscribers from a new reader.
  }

  /** Feeds one payload through the fragment reader; resolves with the number of fragments delivered. */
  private async consume(payload: Readable, session: AbortController): Promise<number> {
    let delivered = 0;
    let idle = false;
    let truncated = false;
    // Only this session's error tags count: a session that failed after reading some must not leave them for
    // the next one to act on.
    this.tagError = undefined;
    const reader = new FragmentReader((fragment) => {
      if (!fragment.complete) truncated = true;
      // Error tags end the session, whether they came as an error document or, in live mode, as the
      // re-emission of a fragment already delivered whose document carried them after its continuation token
      // (then the fragment stays delivered and the retry resumes after it).
      if (fragment.errorId !== null) {
        this.tagError = { id: fragment.errorId, code: fragment.errorCode };
        reader.stop();
        return;
      }
      if (this.accept(fragment)) {
        delivered += 1;
        this.sessionDelivered += 1;
      }
    }, { emitOnTrailingTags: true });
    const watchdog = setTimeout(() => {
      idle = true;
      session.abort();
      payload.destroy();
    }, this.options.idleTimeoutMs);
    watchdog.unref();
    // Stopping the reader (or the watchdog) ends the payload at once, here, rather than whenever the SDK's abort
    // reaches the response stream: the connection permit is then released before the service sees the close.
    const onAbort = (): void => {
      payload.destroy();
    };
    session.signal.addEventListener('abort', onAbort, { once: true });
    if (session.signal.aborted) payload.destroy();
    try {
      for await (const chunk of payload as AsyncIterable<Buffer>) {
        watchdog.refresh();
        if (!reader.push(chunk)) break;
      }
      reader.end();
    } catch (error) {
      if (idle) throw new DomainError('UPSTREAM_TIMEOUT', 'GetMedia stalled.', { cause: error });
      throw error;
    } finally {
      clearTimeout(watchdog);
      session.signal.removeEventListener('abort', onAbort);
      payload.destroy();
    }
    if (idle) throw new DomainError('UPSTREAM_TIMEOUT', 'GetMedia stalled.');
    // A payload that ended cleanly in the middle of a fragment was cut, not idle: resume (with backoff) from the
    // last fragment delivered instead of pausing as for an idle producer (K12).
    if (truncated) throw new MalformedMediaError('the payload ended in the middle of a fragment', reader.offset, []);
    return delivered;
  }

  /** Applies ordering, dedupe and resume bookkeeping to one parsed fragment; true when it was delivered. */
  private accept(fragment: Fragment): boolean {
    // An incomplete fragment was cut off mid-way; it will be read again after resuming from the last token.
    if (!fragment.complete || fragment.fragmentNumber === null || !isFragmentNumber(fragment.fragmentNumber)) return false;
    if (this.last !== null && compareFragmentNumbers(fragment.fragmentNumber, this.last) <= 0) {
      if (!this.startedOver(fragment)) {
        this.droppedInRow += 1;
        if (this.droppedInRow >= STALLED_AFTER_FRAGMENTS && this.status === 'CONNECTED') this.setStatus('STALLED', 'fragment numbers not advancing');
        return false;
      }
      this.pendingGap = { reason: 'UPSTREAM_RESET', afterFragmentNumber: this.last };
      this.last = null;
    }
    this.droppedInRow = 0;
    if (this.status === 'STALLED') this.setStatus('CONNECTED', null);
    // Resume by the continuation token only when it looks like one: with live emission a fragment is delivered
    // when its trailing tags close, before the bytes after it could reveal corruption inside those tags.
    this.position =
      fragment.continuationToken !== null && CONTINUATION_TOKEN_PATTERN.test(fragment.continuationToken)
        ? { type: 'CONTINUATION_TOKEN', token: fragment.continuationToken }
        : { type: 'FRAGMENT_NUMBER', fragmentNumber: fragment.fragmentNumber };
    if (this.pendingGap !== undefined) {
      this.handlers.onGap({ ...this.pendingGap, beforeFragmentNumber: fragment.fragmentNumber });
      this.pendingGap = undefined;
    }
    this.last = fragment.fragmentNumber;
    this.lastServerTimestamp = fragment.serverTimestamp;
    this.handlers.onFragment(fragment);
    return true;
  }

  /**
   * Whether `fragment`, numbered at or before the last one delivered, is the first of a numbering that started over
   * (see the class comment): only in a fallback session, numbered strictly lower, and received strictly later.
   */
  private startedOver(fragment: Fragment): boolean {
    return (
      this.pendingGap !== undefined &&
      this.last !== null &&
      fragment.fragmentNumber !== null &&
      compareFragmentNumbers(fragment.fragmentNumber, this.last) < 0 &&
      fragment.serverTimestamp !== null &&
      this.lastServerTimestamp !== null &&
      fragment.serverTimestamp > this.lastServerTimestamp
    );
  }

  /** Decides what an error document in the stream means; returns the delay before the next call. */
  private onTagError(error: { id: number; code: string | null }, attempt: number): number {
    if (KMS_ERROR_IDS.has(error.id)) {
      this.handlers.onFatal(
        new DomainError('UPSTREAM_UNAVAILABLE', 'The stream cannot be decrypted with its KMS key.', {
          retryable: false,
          details: { upstreamErrorId: error.id },
        }),
      );
      this.stopper.abort();
      return 0;
    }
    if (error.id === RETENTION_ERROR_ID) {
      this.pendingGap = { reason: 'RETENTION', afterFragmentNumber: this.last ?? positionFragment(this.position) };
      this.position = { type: this.options.retentionFallback };
      return 0;
    }
    this.setStatus('RECONNECTING', `upstream error ${error.id}`);
    return backoffDelay({ initialDelayMs: this.options.backoffBaseMs, maxDelayMs: this.options.backoffCapMs }, attempt);
  }

  /** Classifies a thrown error; returns the delay before the next call. */
  private onError(error: unknown, attempt: number): number {
    const backoff = backoffDelay({ initialDelayMs: this.options.backoffBaseMs, maxDelayMs: this.options.backoffCapMs }, attempt);
    if (error instanceof MediaCallError) {
      switch (error.providerErrorName) {
        case 'ClientLimitExceededException':
          this.setStatus('THROTTLED', 'call rate limit');
          return backoff;
        case 'ConnectionLimitExceededException':
          // Other readers hold the stream's connections; never retry faster than once a second (K6).
          this.setStatus('THROTTLED', 'connection limit');
          return Math.max(1000, backoff);
        case 'InvalidEndpointException':
          this.setStatus('RECONNECTING', 'endpoint changed');
          return Math.min(backoff, 250);
        case 'NotAuthorizedException':
        case 'ExpiredTokenException':
          // The session's credentials expired under a long-lived reader (K11). Retrying with the cached ones
          // would be refused again: the next call resolves credentials and endpoint afresh, then resumes from
          // the last token. At once the first time; credentials that stay refused back off like any error.
          this.refreshNext = true;
          this.setStatus('RECONNECTING', 'credentials expired');
          return attempt === 0 ? 0 : backoff;
        case 'ResourceNotFoundException':
          this.handlers.onFatal(new DomainError('NOT_FOUND', 'The video stream does not exist.', { cause: error }));
          this.stopper.abort();
          return 0;
        case 'InvalidArgumentException':
          return this.onRefusedPosition(error, backoff);
        default: {
          // An open circuit breaker says when it lets a probe through: waiting less would only meet it again.
          const cause: unknown = error.cause;
          const retryAfterMs = cause instanceof DomainError ? cause.details['retryAfterMs'] : undefined;
          this.setStatus('RECONNECTING', error.code);
          return typeof retryAfterMs === 'number' ? Math.max(backoff, retryAfterMs) : backoff;
        }
      }
    }
    if (error instanceof MalformedMediaError) {
      this.setStatus('RECONNECTING', 'malformed media');
      return backoff;
    }
    this.setStatus('RECONNECTING', error instanceof DomainError ? error.code : 'connection lost');
    // A stall or a dropped connection: resume at once for the first retry (K1: resume < 1 s), then back off.
    return attempt === 0 ? 0 : backoff;
  }

  /**
   * The service refused the start position (`InvalidArgumentException`). Sending it again would be refused again,
   * so retrying unchanged is a loop. Before any delivery a position other than NOW/EARLIEST is the subscriber's
   * requested start (e.g. a token the service does not know): that subscription fails with BAD_USER_INPUT. After
   * a delivery the position is ours: resume after the last fragment number, and if even that is refused, from
   * the fallback with a gap (nothing is skipped silently).
   */
  private onRefusedPosition(error: MediaCallError, backoff: number): number {
    if (this.last === null && this.position.type !== 'NOW' && this.position.type !== 'EARLIEST') {
      this.handlers.onFatal(new DomainError('BAD_USER_INPUT', 'Kinesis Video refused the start position.', { cause: error, retryable: false }));
      this.stopper.abort();
      return 0;
    }
    if (this.last !== null && this.position.type !== 'FRAGMENT_NUMBER') {
      this.position = { type: 'FRAGMENT_NUMBER', fragmentNumber: this.last };
    } else if (this.last !== null) {
      this.pendingGap = { reason: 'UPSTREAM_ERROR', afterFragmentNumber: this.last };
      this.position = { type: this.options.retentionFallback };
    }
    this.setStatus('RECONNECTING', error.code);
    return backoff;
  }

  private setStatus(status: FeedStatus, detail: string | null): void {
    if (this.status === status) return;
    this.status = status;
    this.handlers.onStatus(status, detail);
  }
}

function positionFragment(position: MediaStart): string | null {
  if (position.type === 'FRAGMENT_NUMBER') return position.fragmentNumber;
  if (position.type === 'CONTINUATION_TOKEN') return position.token;
  return null;
}
