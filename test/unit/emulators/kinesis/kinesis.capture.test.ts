import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../../../src/emulators/kinesis/kinesis.capture.js';
import { makeSyntheticFrames, syntheticH264Track, writeFragment } from '../../../../src/mkv/index.js';
import { kvsFixtures } from '../../../helpers/fixtures.js';

const track = syntheticH264Track(320, 240);

function capture(): Buffer {
  const frames = makeSyntheticFrames({ count: 4, frameBytes: 40, keyframeInterval: 2, frameDuration: 50 });
  return Buffer.concat([
    ...writeFragment({ tracks: [track], frames, tags: [{ name: 'ENCODER', value: 'x' }], fragmentNumber: '1', serverTimestamp: 5_000 }),
    ...writeFragment({ tracks: [track], frames: frames.slice(0, 2), fragmentNumber: '2', millisBehindNow: 3, continuationToken: '2' }),
  ]);
}

describe('parseCapture', () => {
  it('turns every cluster into a fragment with its tracks, non-Kinesis tags and frame bytes', () => {
    const { fragments, skippedLacedBlocks } = parseCapture(capture());
    expect(skippedLacedBlocks).toBe(0);
    expect(fragments).toHaveLength(2);
    const [first, second] = fragments;
    expect(first?.content.tracks[0]).toMatchObject({ trackNumber: 1, codecId: 'V_MPEG4/ISO/AVC', pixelWidth: 320, pixelHeight: 240 });
    expect(Buffer.from(first?.content.tracks[0]?.codecPrivate ?? []).equals(Buffer.from(track.codecPrivate ?? [1]))).toBe(true);
    expect(first?.content.tags).toEqual([{ name: 'ENCODER', value: 'x' }]);
    expect(second?.content.tags).toEqual([]);
    expect(first?.content.frames.map((frame) => [frame.timecode, frame.keyframe])).toEqual([
      [0, true],
      [50, false],
      [100, true],
      [150, false],
    ]);
    const expected = makeSyntheticFrames({ count: 4, frameBytes: 40, keyframeInterval: 2, frameDuration: 50 });
    first?.content.frames.forEach((frame, index) => expect(Buffer.from(frame.data).equals(Buffer.from(expected[index]?.data ?? []))).toBe(true));
    expect(first?.durationMs).toBe(200);
    expect(second?.durationMs).toBe(100);
  });

  it('skips laced blocks and counts them', () => {
    const bytes = capture();
    // The first SimpleBlock of the first cluster: id 0xA3, a 1-byte size, track 0x81, 2 timecode bytes, flags.
    const cluster = bytes.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]));
    const block = bytes.indexOf(0xa3, cluster);
    bytes[block + 5] = (bytes[block + 5] ?? 0) | 0x02;
    const { fragments, skippedLacedBlocks } = parseCapture(bytes);
    expect(skippedLacedBlocks).toBe(1);
    expect(fragments[0]?.content.frames).toHaveLength(3);
  });

  it('throws when the capture holds no frames', () => {
    expect(() => parseCapture(Buffer.concat(writeFragment({ tracks: [track], frames: [], fragmentNumber: '1' })))).toThrow(/no cluster/);
  });
});

const fixtures = kvsFixtures();

describe.skipIf(fixtures.skip)('parseCapture on real captures', () => {
  it('reads the 5 fragments of 60 frames of output_get_media.mkv', () => {
    const { fragments } = parseCapture(readFileSync(fixtures.file('output_get_media.mkv')));
    expect(fragments.map((fragment) => fragment.content.frames.length)).toEqual([60, 60, 60, 60, 60]);
    expect(fragments[0]?.content.tags.map((tag) => tag.name)).toContain('HANDLER_NAME');
    expect(fragments[0]?.durationMs).toBeGreaterThan(1_500);
  });

  it('reads every cluster of a plain Matroska file', () => {
    const { fragments } = parseCapture(readFileSync(fixtures.file('vogels_330.mkv')));
    expect(fragments.reduce((total, fragment) => total + fragment.content.frames.length, 0)).toBeGreaterThan(0);
  });
});
