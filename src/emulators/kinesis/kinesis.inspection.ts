import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenGetMediaSession } from './kinesis.get-media.js';
import { KVS_FRAGMENT_NUMBER_PATTERN } from './kinesis.limits.js';
import type { KinesisStreamStore } from './kinesis.store.js';
import type { GetMediaStreamStats, StreamLimits } from './kinesis.stream-limits.js';

/**
 * The emulator's own read-only HTTP endpoints, under `/_emulator/`, for processes that cannot call the emulator's
 * methods (a gateway fleet, a benchmark, a fault test driving `media-graph emulate`). The real service has no such
 * path, so no SDK call can reach them by accident. They need no `Authorization`, are not recorded in the request
 * log, count against no limit and are never subject to injected faults: observing the emulator must not change
 * what it does.
 */

/** Path prefix of the inspection endpoints. */
export const INSPECTION_PREFIX = '/_emulator/';

/** What the inspection endpoints read. */
export interface InspectionContext {
  readonly store: KinesisStreamStore;
  readonly limits: StreamLimits;
  readonly openSessions: ReadonlyMap<number, OpenGetMediaSession>;
}

/** Body of `GET /_emulator/stats`. */
export interface EmulatorStats {
  /** Every stream the emulator has, by name, with its lifetime GetMedia counters. */
  readonly streams: Readonly<Record<string, GetMediaStreamStats>>;
}

/** One fragment in `GET /_emulator/fragments`. */
export interface ListedFragment {
  /** Decimal fragment number (beyond 2^53: compare as BigInt or by length then text). */
  readonly fragmentNumber: string;
  /** Epoch milliseconds. */
  readonly serverTimestamp: number;
  readonly producerTimestamp: number;
  readonly durationMs: number;
}

/** Body of `GET /_emulator/fragments?stream=NAME`. */
export interface FragmentListing {
  readonly stream: string;
  /**
   * Number of the newest fragment dropped by retention or the per-stream bound, or null when none was: the list
   * is complete since the stream was created only when this is null.
   */
  readonly evictedThrough: string | null;
  /** Retained fragments in production order (ascending fragment number), after `after` when given. */
  readonly fragments: readonly ListedFragment[];
}

/** Body of `GET /_emulator/sessions`. */
export interface OpenSessionListing {
  /** GetMedia sessions whose response is open now, oldest first. */
  readonly sessions: readonly OpenGetMediaSession[];
}

/** The lifetime GetMedia counters of every stream. */
export function emulatorStats(ctx: InspectionContext): EmulatorStats {
  const streams: Record<string, GetMediaStreamStats> = {};
  for (const stream of ctx.store.list()) streams[stream.info.name] = ctx.limits.stats(stream.info.name);
  return { streams };
}

/**
 * The retained fragments of `stream` in order, only those numbered above `after` when given.
 * @returns undefined when there is no such stream.
 */
export function fragmentListing(ctx: InspectionContext, stream: string, after?: bigint): FragmentListing | undefined {
  const state = ctx.store.get(stream);
  if (state === undefined) return undefined;
  ctx.store.evict(state);
  const fragments = state
    .retained()
    .filter((fragment) => after === undefined || fragment.number > after)
    .map((fragment) => ({
      fragmentNumber: fragment.fragmentNumber,
      serverTimestamp: fragment.serverTimestamp,
      producerTimestamp: fragment.producerTimestamp,
      durationMs: fragment.durationMs,
    }));
  return { stream, evictedThrough: state.evicted === undefined ? null : state.evicted.number.toString(), fragments };
}

/** The open GetMedia sessions, oldest first. */
export function openSessionListing(ctx: InspectionContext): OpenSessionListing {
  return { sessions: [...ctx.openSessions.values()].sort((a, b) => a.id - b.id) };
}

function answer(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * Answers one request whose path starts with {@link INSPECTION_PREFIX}: `GET /_emulator/stats`,
 * `GET /_emulator/fragments?stream=NAME[&after=FRAGMENT_NUMBER]`, `GET /_emulator/sessions`. Errors are JSON
 * `{"message": "..."}`: 400 for a missing or malformed parameter, 404 for an unknown stream or path, 405 for a
 * method other than GET or HEAD. Never throws.
 */
export function handleInspection(ctx: InspectionContext, req: IncomingMessage, res: ServerResponse): void {
  // Nothing is read from a body; draining it lets a keep-alive connection carry the next request.
  req.resume();
  const url = new URL(req.url ?? '/', 'http://emulator');
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    answer(res, 405, { message: `${method} is not supported here; use GET` }, { Allow: 'GET, HEAD' });
    return;
  }
  switch (url.pathname) {
    case `${INSPECTION_PREFIX}stats`:
      answer(res, 200, emulatorStats(ctx));
      return;
    case `${INSPECTION_PREFIX}sessions`:
      answer(res, 200, openSessionListing(ctx));
      return;
    case `${INSPECTION_PREFIX}fragments`: {
      const stream = url.searchParams.get('stream');
      if (stream === null || stream === '') {
        answer(res, 400, { message: 'the stream query parameter is required, e.g. /_emulator/fragments?stream=demo-stream' });
        return;
      }
      const afterText = url.searchParams.get('after');
      if (afterText !== null && !KVS_FRAGMENT_NUMBER_PATTERN.test(afterText)) {
        answer(res, 400, { message: 'after must be a fragment number (decimal digits)' });
        return;
      }
      const listing = fragmentListing(ctx, stream, afterText === null ? undefined : BigInt(afterText));
      if (listing === undefined) {
        answer(res, 404, { message: `no stream named ${JSON.stringify(stream)}` });
        return;
      }
      answer(res, 200, listing);
      return;
    }
    default:
      answer(res, 404, { message: `unknown emulator path ${url.pathname}; see /_emulator/stats, /_emulator/fragments, /_emulator/sessions` });
  }
}
