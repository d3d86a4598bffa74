import type { KinesisVideoEmulator } from './kinesis.emulator.js';

/**
 * Demo content for `npm start`: one live stream and a handful of idle ones, so the gateway has something to
 * list (ListStreams pages through them with a small MaxResults), describe, and subscribe to.
 */

/** Name of the stream with a live producer. */
export const DEMO_LIVE_STREAM = 'demo-stream';

/** Idle demo streams: no producer; each holds a few fragments so ListFragments has history to show. */
export const DEMO_IDLE_STREAMS: readonly string[] = [
  'demo-archive-lobby',
  'demo-archive-parking',
  'demo-archive-warehouse',
  'demo-camera-entrance',
  'demo-camera-loading-dock',
];

/** Milliseconds between two fragments of {@link DEMO_LIVE_STREAM} unless told otherwise: a realistic 2-second cadence. */
export const DEMO_FRAGMENT_INTERVAL_MS = 2_000;

/** Options of {@link seedKinesisDemo}. */
export interface KinesisDemoOptions {
  /**
   * Real milliseconds between two live fragments, which are also each fragment's length (default
   * {@link DEMO_FRAGMENT_INTERVAL_MS}); 100 makes a 10-fragments-per-second stream for fleet tests and benchmarks.
   */
  readonly fragmentIntervalMs?: number;
}

/** What {@link seedKinesisDemo} started. */
export interface KinesisDemo {
  /** Stops the live producer (the emulator's `close()` stops it too). */
  readonly stopProducer: () => void;
}

/**
 * Creates the demo streams in `emulator` (without HTTP): {@link DEMO_LIVE_STREAM} with a live producer making a
 * fragment of 30 fps synthetic H.264 every `fragmentIntervalMs` (default 2 s), and the {@link DEMO_IDLE_STREAMS}
 * with three past fragments each. All streams keep 24 hours of data.
 *
 * @throws KinesisWireError `ResourceInUseException` when a demo stream already exists in `emulator`; RangeError
 *   for a non-positive interval.
 */
export function seedKinesisDemo(emulator: KinesisVideoEmulator, options: KinesisDemoOptions = {}): KinesisDemo {
  emulator.createStream(DEMO_LIVE_STREAM, { retentionHours: 24, mediaType: 'video/h264', deviceName: 'demo-camera' });
  for (const name of DEMO_IDLE_STREAMS) {
    emulator.createStream(name, { retentionHours: 24, mediaType: 'video/h264' });
    for (let index = 0; index < 3; index += 1) emulator.addFragment(name, { durationMs: 2000, fps: 30, frameBytes: 1024 });
  }
  const fragmentIntervalMs = options.fragmentIntervalMs ?? DEMO_FRAGMENT_INTERVAL_MS;
  const stopProducer = emulator.startProducer(DEMO_LIVE_STREAM, { fragmentIntervalMs, fps: 30, frameBytes: 2048 });
  return { stopProducer };
}
