import type { MkvFrame, MkvTagInput, MkvTrack } from '../../mkv/index.js';
import { makeSyntheticFrames, MIN_SYNTHETIC_FRAME_BYTES, syntheticH264Track } from '../../mkv/index.js';
import type { CaptureFragment } from './kinesis.capture.js';
import type { FragmentContent, KinesisStreamStore, StoredFragment, StreamState } from './kinesis.store.js';

/**
 * Synthetic producers: deterministic one-off fragments for tests, a timer-driven live producer, and a feed
 * that replays a parsed capture.
 *
 * Synthetic media is H.264-shaped (a real AVC decoder configuration, structurally valid access units that do
 * not decode to pictures), one keyframe at the start of each fragment. Frame payloads are cached per
 * (frame count, frame size, frame duration) and shared by every fragment using them, so a stream holding
 * thousands of fragments costs one set of frames. Timestamps: the server timestamp is the emulator clock at
 * append time; the producer timestamp continues the stream's producer timeline (the end of its previous
 * fragment) but never lags behind the server time, so it never goes backwards.
 */

/** Options of `addFragment`. Everything is optional; the default is 2 s of 30 fps synthetic video. */
export interface AddFragmentOptions {
  /** Frames of the fragment (data referenced, not copied); default: synthetic frames from `fps`/`frameBytes`/`durationMs`. */
  readonly frames?: readonly MkvFrame[];
  /** Track declarations; default one synthetic H.264 track, 1280x720, track number 1. */
  readonly tracks?: readonly MkvTrack[];
  /** Extra (non-Kinesis) tags written before the Kinesis tags. */
  readonly tags?: readonly MkvTagInput[];
  /** Nanoseconds per timecode tick; default 1 000 000 (frame timecodes in ms). */
  readonly timecodeScale?: number;
  /** AWS_KINESISVIDEO_PRODUCER_TIMESTAMP (epoch ms); default: the stream's producer timeline (see module doc). */
  readonly producerTimestamp?: number;
  /** AWS_KINESISVIDEO_SERVER_TIMESTAMP (epoch ms); default: the emulator clock. */
  readonly serverTimestamp?: number;
  /** FragmentLengthInMilliseconds; default 2000 for synthetic frames, else derived from the frames' timecodes. */
  readonly durationMs?: number;
  /** Synthetic frames per second; default 30. */
  readonly fps?: number;
  /** Synthetic frame size in bytes; default 2048. */
  readonly frameBytes?: number;
}

/** Options of `startProducer`. */
export interface ProducerOptions {
  /** Real milliseconds between fragments (2000 for a realistic stream, 20-100 for accelerated tests). */
  readonly fragmentIntervalMs: number;
  /** Frames per second of the synthetic video; default 30. */
  readonly fps?: number;
  /** Bytes per synthetic frame; default 2048. */
  readonly frameBytes?: number;
}

/** Options of `feedCapture`. */
export interface CaptureFeedOptions {
  /** Start over at the first fragment after the last one; otherwise the feed stops by itself. */
  readonly loop: boolean;
  /** Real milliseconds between replayed fragments. */
  readonly fragmentIntervalMs: number;
}

/** Default synthetic video: 30 fps, 2 KiB frames, 2 s fragments. */
export const SYNTHETIC_DEFAULTS = { fps: 30, frameBytes: 2048, durationMs: 2000 } as const;

const DEFAULT_TRACKS: readonly MkvTrack[] = [syntheticH264Track(1280, 720)];
const FRAME_CACHE_LIMIT = 64;
const frameCache = new Map<string, readonly MkvFrame[]>();

/** Shared synthetic frames for `durationMs` of video at `fps` (at least one frame). */
function syntheticFrames(durationMs: number, fps: number, frameBytes: number): readonly MkvFrame[] {
  const count = Math.max(1, Math.round((durationMs * fps) / 1000));
  const frameDuration = Math.max(1, Math.floor(durationMs / count));
  const key = `${count}/${frameBytes}/${frameDuration}`;
  const cached = frameCache.get(key);
  if (cached !== undefined) return cached;
  const frames = makeSyntheticFrames({ count, frameBytes, frameDuration });
  if (frameCache.size >= FRAME_CACHE_LIMIT) {
    const oldest = frameCache.keys().next();
    if (oldest.done !== true) frameCache.delete(oldest.value);
  }
  frameCache.set(key, frames);
  return frames;
}

function checkPositive(name: string, value: number | undefined, integer: boolean): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
}

/** Length of explicit frames in ms: timecode span plus one average gap (33 ms for a single frame). */
function framesDurationMs(frames: readonly MkvFrame[], timecodeScale: number): number {
  if (frames.length === 0) return 1;
  let min = Infinity;
  let max = -Infinity;
  for (const frame of frames) {
    min = Math.min(min, frame.timecode);
    max = Math.max(max, frame.timecode);
  }
  const gap = frames.length > 1 ? (max - min) / (frames.length - 1) : 33_000_000 / timecodeScale;
  return Math.max(1, Math.round(((max - min + gap) * timecodeScale) / 1_000_000));
}

/** The producer timestamp of the next fragment: the stream's timeline, never behind the server time. */
function nextProducerTimestamp(stream: StreamState, serverTimestamp: number): number {
  return Math.max(stream.producerClock ?? serverTimestamp, serverTimestamp);
}

/**
 * Builds and appends one fragment to `stream` (synchronously: it is retained, listed and streamed to tailing
 * GetMedia sessions before this returns).
 *
 * @throws RangeError for invalid sizes, rates, timestamps or frames the writer refuses.
 */
export function appendFragment(store: KinesisStreamStore, stream: StreamState, now: number, options: AddFragmentOptions = {}): StoredFragment {
  checkPositive('fps', options.fps, false);
  checkPositive('durationMs', options.durationMs, true);
  checkPositive('timecodeScale', options.timecodeScale, true);
  if (options.frameBytes !== undefined && (!Number.isSafeInteger(options.frameBytes) || options.frameBytes < MIN_SYNTHETIC_FRAME_BYTES)) {
    throw new RangeError(`frameBytes must be an integer >= ${MIN_SYNTHETIC_FRAME_BYTES}, got ${String(options.frameBytes)}`);
  }
  const timecodeScale = options.timecodeScale ?? 1_000_000;
  const serverTimestamp = options.serverTimestamp ?? now;
  let frames: readonly MkvFrame[];
  let durationMs: number;
  if (options.frames === undefined) {
    durationMs = options.durationMs ?? SYNTHETIC_DEFAULTS.durationMs;
    frames = syntheticFrames(durationMs, options.fps ?? SYNTHETIC_DEFAULTS.fps, options.frameBytes ?? SYNTHETIC_DEFAULTS.frameBytes);
  } else {
    frames = options.frames;
    durationMs = options.durationMs ?? framesDurationMs(frames, timecodeScale);
  }
  const content: FragmentContent = { tracks: options.tracks ?? DEFAULT_TRACKS, frames, tags: options.tags ?? [], timecodeScale };
  return store.append(stream, {
    content,
    serverTimestamp,
    producerTimestamp: options.producerTimestamp ?? nextProducerTimestamp(stream, serverTimestamp),
    durationMs,
  });
}

/** Appends the next fragment of a capture feed with fresh numbers and timestamps. */
export function appendCaptureFragment(store: KinesisStreamStore, stream: StreamState, now: number, fragment: CaptureFragment): StoredFragment {
  return store.append(stream, {
    content: fragment.content,
    serverTimestamp: now,
    producerTimestamp: nextProducerTimestamp(stream, now),
    durationMs: fragment.durationMs,
  });
}

/**
 * Runs `tick` every `intervalMs` real milliseconds until the returned stop function is called (idempotent).
 * A tick that throws stops the timer and reports the error through `onError` (nothing is swallowed).
 */
export function repeatEvery(intervalMs: number, tick: () => boolean, onError: (error: unknown) => void): () => void {
  checkPositive('fragmentIntervalMs', intervalMs, false);
  const timer = setInterval(() => {
    let keepGoing: boolean;
    try {
      keepGoing = tick();
    } catch (error: unknown) {
      clearInterval(timer);
      onError(error);
      return;
    }
    if (!keepGoing) clearInterval(timer);
  }, intervalMs);
  // A producer alone must not keep the process alive; the HTTP server does while the emulator runs.
  timer.unref();
  return () => clearInterval(timer);
}
