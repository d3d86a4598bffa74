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

/** What {@link seedKinesisDemo} started. */
export interface KinesisDemo {
  /** Stops the live producer (the emulator's `close()` stops it too). */
  readonly stopProducer: () => void;
}

/**
 * Creates the demo streams in `emulator` (without HTTP): {@link DEMO_LIVE_STREAM} with a live producer making a
 * 2-second fragment of 30 fps synthetic H.264 every 2 seconds, and the {@link DEMO_IDLE_STREAMS} with three
 * past fragments each. All streams keep 24 hours of data.
 *
 * @throws KinesisWireError `ResourceInUseException` when a demo stream already exists in `emulator`.
 */
export function seedKinesisDemo(emulator: KinesisVideoEmulator): KinesisDemo {
  emulator.createStream(DEMO_LIVE_STREAM, { retentionHours: 24, mediaType: 'video/h264', deviceName: 'demo-camera' });
  for (const name of DEMO_IDLE_STREAMS) {
    emulator.createStream(name, { retentionHours: 24, mediaType: 'video/h264' });
    for (let index = 0; index < 3; index += 1) emulator.addFragment(name, { durationMs: 2000, fps: 30, frameBytes: 1024 });
  }
  const stopProducer = emulator.startProducer(DEMO_LIVE_STREAM, { fragmentIntervalMs: 2000, fps: 30, frameBytes: 2048 });
  return { stopProducer };
}
