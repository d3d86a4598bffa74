import { describe, expect, it } from 'vitest';
import { binaryElement, encodeVint, masterElement, uintElement, unknownSizeHeader } from '../../../src/mkv/ebml-encoding.js';
import { EbmlId } from '../../../src/mkv/ebml-ids.js';
import type { Fragment } from '../../../src/mkv/fragment.type.js';
import { FragmentReader, parseFragments } from '../../../src/mkv/fragment-reader.js';
import { writeFragment, writeFragmentTail, writeMergedFragments, type FragmentInput } from '../../../src/mkv/mkv-writer.js';
import { makeSyntheticFrames, syntheticH264Track } from '../../../src/mkv/synthetic-h264.js';
import { chunksOf } from './recording-visitor.js';

/*
 * What the AWS KVS parser library writes: files from its OutputSegmentMerger (several fragments' Tags and Clusters
 * in one Segment) and fragments cut off in the middle of a block. Both made with our own writer.
 */

const E = EbmlId;
const AUDIO = { trackNumber: 2, trackType: 2, codecId: 'A_AAC', samplingFrequency: 48000, channels: 2 } as const;

function input(n: number, extra: Partial<FragmentInput> = {}): FragmentInput {
  return {
    tracks: [syntheticH264Track(640, 360), AUDIO],
    frames: [
      ...makeSyntheticFrames({ count: 4 + n, frameBytes: 100 + n, keyframeInterval: 3 }),
      { trackNumber: 2, timecode: 5, keyframe: true, data: Buffer.alloc(30 + n, n) },
    ],
    clusterTimecode: n * 2_000,
    fragmentNumber: `9134385233318143239268206260774392014615916939${n}`,
    serverTimestamp: 1_511_852_109_126 + n * 2_000,
    producerTimestamp: 1_511_852_108_513 + n * 2_000,
    millisBehindNow: 9_000 - n,
    continuationToken: `9134385233318143239268206260774392014615916939${n}`,
    tags: [{ name: 'ENCODER', value: `pass ${n}` }],
    ...extra,
  };
}

/** The values a fragment read back should carry for its writer input (the fields merging must keep apart). */
function expectedOf(written: FragmentInput): Partial<Fragment> {
  const frames = written.frames;
  return {
    fragmentNumber: written.fragmentNumber ?? null,
    serverTimestamp: written.serverTimestamp ?? null,
    producerTimestamp: written.producerTimestamp ?? null,
    millisBehindNow: written.millisBehindNow ?? null,
    continuationToken: written.continuationToken ?? null,
    clusterTimecode: written.clusterTimecode ?? null,
    clusterCount: 1,
    frameCount: frames.length,
    keyframeCount: frames.filter((frame) => frame.keyframe).length,
    payloadBytes: frames.reduce((sum, frame) => sum + frame.data.length, 0),
    tags: (written.tags ?? []).map((tag) => ({ name: tag.name, value: tag.value ?? null, binary: null })),
    complete: true,
  };
}

function read(data: Buffer, step: number, options: { emitOnTrailingTags?: boolean } = {}): Fragment[] {
  const fragments: Fragment[] = [];
  const reader = new FragmentReader((fragment) => fragments.push(fragment), options);
  for (const chunk of chunksOf(data, { chunkSize: step })) reader.push(chunk);
  reader.end();
  return fragments;
}

describe('FragmentReader on OutputSegmentMerger files', () => {
  const inputs = [input(1), input(2), input(3)];
  const merged = Buffer.concat(writeMergedFragments(inputs));

  it.each([
    ['whole', merged.length],
    ['7-byte chunks', 7],
    ['1-byte chunks', 1],
  ])('gives one record per fragment number, in order, with its own values when fed %s', (_label, step) => {
    const fragments = read(merged, step);
    expect(fragments).toHaveLength(3);
    fragments.forEach((fragment, index) => {
      const written = inputs[index];
      if (written === undefined) throw new Error('missing input');
      expect(fragment).toMatchObject({ sequence: index, ...expectedOf(written) });
      // The Segment's Info and Tracks are written once and apply to every fragment in it.
      expect(fragment.tracks.map((track) => [track.trackNumber, track.codecId])).toEqual([
        [1, 'V_MPEG4/ISO/AVC'],
        [2, 'A_AAC'],
      ]);
      expect(fragment.timecodeScale).toBe(1_000_000);
    });
    // The records tile the file: each ends where the next fragment's tags begin.
    expect(fragments[0]?.byteOffset).toBe(0);
    for (let index = 1; index < fragments.length; index += 1) {
      const previous = fragments[index - 1];
      expect(fragments[index]?.byteOffset).toBe((previous?.byteOffset ?? 0) + (previous?.byteLength ?? 0));
    }
    const last = fragments.at(-1);
    expect((last?.byteOffset ?? 0) + (last?.byteLength ?? 0)).toBe(merged.length);
  });

  it('emits each merged fragment once, in order, at its trailing tags in live mode', () => {
    const fragments = read(merged, 64, { emitOnTrailingTags: true });
    expect(fragments.map((fragment) => [fragment.sequence, fragment.fragmentNumber, fragment.frameCount])).toEqual(
      inputs.map((written, index) => [index, written.fragmentNumber, written.frames.length]),
    );
  });

  it('reads a merged Segment followed by a fragment of its own, as the merger writes when the tracks change', () => {
    const other = input(4, { tracks: [syntheticH264Track(1280, 720)], frames: makeSyntheticFrames({ count: 3, frameBytes: 80, keyframeInterval: 3 }) });
    const fragments = parseFragments(Buffer.concat([merged, ...writeFragment(other)]));
    expect(fragments.map((fragment) => fragment.fragmentNumber)).toEqual([...inputs, other].map((written) => written.fragmentNumber));
    expect(fragments[3]?.tracks.map((track) => track.pixelWidth)).toEqual([1280]);
  });

  it('keeps one record when a later Tags element repeats the same fragment number', () => {
    const single = input(1);
    const again = masterElement(E.Tags, masterElement(E.Tag, simpleTag('AWS_KINESISVIDEO_FRAGMENT_NUMBER', single.fragmentNumber ?? '')));
    const fragments = parseFragments(Buffer.concat([...writeFragment(single), ...again]));
    expect(fragments).toHaveLength(1);
    expect(fragments[0]).toMatchObject(expectedOf(single));
  });

  it('still refuses two different fragment numbers in one Tags element', () => {
    const both = masterElement(E.Tags, masterElement(E.Tag, [...simpleTag('AWS_KINESISVIDEO_FRAGMENT_NUMBER', '5'), ...simpleTag('AWS_KINESISVIDEO_FRAGMENT_NUMBER', '6')]));
    expect(() => parseFragments(Buffer.concat([unknownSizeHeader(E.Segment), ...both]))).toThrow(/appears twice with different values/);
  });

  it('ends the cut-off fragment of a merged file as incomplete, after the complete ones', () => {
    const cut = merged.subarray(0, merged.length - 40);
    const fragments = parseFragments(cut);
    expect(fragments.map((fragment) => [fragment.fragmentNumber, fragment.complete])).toEqual([
      [inputs[0]?.fragmentNumber, true],
      [inputs[1]?.fragmentNumber, true],
      [inputs[2]?.fragmentNumber, false],
    ]);
  });
});

describe('FragmentReader on truncated fragments', () => {
  const written = input(5);
  const whole = Buffer.concat(writeFragment(written));
  const tailBytes = Buffer.concat(writeFragmentTail(written)).length;
  // The Cluster ends right before the tail; its last block holds the audio frame (30 + 5 bytes of data).
  const clusterEnd = whole.length - tailBytes;
  const audioBytes = 35;

  it('does not count a block whose bytes end before its declared size', () => {
    for (const step of [whole.length, 16, 1]) {
      const [fragment] = read(whole.subarray(0, clusterEnd - 10), step);
      const video = written.frames.filter((frame) => frame.trackNumber === 1);
      expect(fragment).toMatchObject({
        complete: false,
        frameCount: video.length,
        keyframeCount: video.filter((frame) => frame.keyframe).length,
        payloadBytes: video.reduce((sum, frame) => sum + frame.data.length, 0),
      });
      // The audio track had only the cut block: it has no stats at all.
      expect(fragment?.trackStats.map((stats) => stats.trackNumber)).toEqual([1]);
    }
  });

  it('counts every whole block when the input stops after the Cluster or inside the tail', () => {
    // Right after the sized Cluster nothing is cut off (the Segment has an unknown size); inside the tail it is.
    for (const [cut, complete] of [
      [clusterEnd, true],
      [clusterEnd + 5, false],
    ] as const) {
      const [fragment] = parseFragments(whole.subarray(0, cut));
      expect(fragment).toMatchObject({ complete, frameCount: written.frames.length, payloadBytes: expectedOf(written).payloadBytes });
    }
    // Cut inside the audio block's header: it was never reported.
    const [header] = parseFragments(whole.subarray(0, clusterEnd - audioBytes - 2));
    expect(header?.frameCount).toBe(written.frames.length - 1);
  });

  it('does not count a cut-off Block of a BlockGroup either', () => {
    const data = Buffer.concat([
      unknownSizeHeader(E.Segment),
      ...masterElement(E.Cluster, [uintElement(E.Timestamp, 0), ...masterElement(E.BlockGroup, encodeBlock(20)), ...masterElement(E.BlockGroup, encodeBlock(50))]),
    ]);
    const [fragment] = parseFragments(data.subarray(0, data.length - 25));
    expect(fragment).toMatchObject({ complete: false, frameCount: 1, keyframeCount: 1, payloadBytes: 20 });
  });
});

function simpleTag(name: string, value: string): Buffer[] {
  return masterElement(E.SimpleTag, [binaryElement(E.TagName, Buffer.from(name)), binaryElement(E.TagString, Buffer.from(value))]);
}

/** A Block element of track 1 with `size` bytes of frame data. */
function encodeBlock(size: number): Buffer[] {
  const header = Buffer.concat([encodeVint(1), Buffer.from([0, 0, 0])]);
  return [binaryElement(E.Block, Buffer.concat([header, Buffer.alloc(size, 9)]))];
}
