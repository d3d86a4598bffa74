import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeId, encodeSize, intElement, uintElement } from '../../../src/mkv/ebml-encoding.js';
import { readInt, readUint } from '../../../src/mkv/ebml-values.js';
import type { Fragment } from '../../../src/mkv/fragment.type.js';
import { FragmentReader, parseFragments } from '../../../src/mkv/fragment-reader.js';
import {
  writeClusterStart,
  writeFragment,
  writeFragmentHead,
  writeFragmentTail,
  writeSimpleBlock,
  type FragmentInput,
  type MkvFrame,
  type MkvTrack,
} from '../../../src/mkv/mkv-writer.js';
import { chunksOf } from './recording-visitor.js';

const trackArb: fc.Arbitrary<MkvTrack> = fc.record(
  {
    trackNumber: fc.integer({ min: 1, max: 2 ** 20 }),
    trackType: fc.constantFrom(1, 2, 17),
    codecId: fc.stringMatching(/^[A-Z][A-Z0-9_/]{0,20}$/),
    pixelWidth: fc.integer({ min: 1, max: 8192 }),
    pixelHeight: fc.integer({ min: 1, max: 8192 }),
    samplingFrequency: fc.double({ min: 1, max: 192_000, noNaN: true }),
    channels: fc.integer({ min: 1, max: 8 }),
    codecPrivate: fc.uint8Array({ maxLength: 40 }),
  },
  { requiredKeys: ['trackNumber', 'trackType', 'codecId'] },
);

const tagArb = fc.record(
  {
    name: fc.string({ maxLength: 30 }).filter((name) => !name.startsWith('AWS_KINESISVIDEO_')),
    value: fc.option(fc.string({ maxLength: 60 }), { nil: null }),
    binary: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
  },
  { requiredKeys: ['name'] },
);

const inputArb: fc.Arbitrary<FragmentInput> = fc
  .uniqueArray(trackArb, { selector: (track) => track.trackNumber, maxLength: 3 })
  .chain((tracks) => {
    const frameArb: fc.Arbitrary<MkvFrame> =
      tracks.length === 0
        ? fc.constant({ trackNumber: 1, timecode: 0, keyframe: true, data: new Uint8Array(0) })
        : fc.record({
            trackNumber: fc.constantFrom(...tracks.map((t) => t.trackNumber)),
            timecode: fc.integer({ min: -32768, max: 32767 }),
            keyframe: fc.boolean(),
            data: fc.uint8Array({ maxLength: 300 }),
          });
    return fc.record(
      {
        tracks: fc.constant(tracks),
        frames: tracks.length === 0 ? fc.constant([]) : fc.array(frameArb, { maxLength: 12 }),
        clusterTimecode: fc.maxSafeNat(),
        timecodeScale: fc.integer({ min: 1, max: 10 ** 12 }),
        fragmentNumber: fc.stringMatching(/^\d{1,60}$/),
        serverTimestamp: fc.integer({ min: 0, max: 8.64e15 }),
        producerTimestamp: fc.integer({ min: 0, max: 8.64e15 }),
        millisBehindNow: fc.maxSafeNat(),
        continuationToken: fc.string({ maxLength: 60 }),
        errorCode: fc.string({ maxLength: 60 }),
        errorId: fc.integer(),
        tags: fc.array(tagArb, { maxLength: 5 }),
      },
      { requiredKeys: ['tracks', 'frames'] },
    );
  });

/** What reading `input` back must give, field by field. */
function expectedFragment(input: FragmentInput, byteLength: number): Omit<Fragment, 'trackStats'> & { trackStats: unknown } {
  const stats = new Map<number, { trackNumber: number; frameCount: number; keyframeCount: number; payloadBytes: number }>();
  for (const frame of input.frames) {
    const s = stats.get(frame.trackNumber) ?? { trackNumber: frame.trackNumber, frameCount: 0, keyframeCount: 0, payloadBytes: 0 };
    s.frameCount++;
    s.keyframeCount += frame.keyframe ? 1 : 0;
    s.payloadBytes += frame.data.length;
    stats.set(frame.trackNumber, s);
  }
  const hasCluster = input.frames.length > 0 || input.clusterTimecode !== undefined;
  return {
    sequence: 0,
    byteOffset: 0,
    byteLength,
    fragmentNumber: input.fragmentNumber ?? null,
    serverTimestamp: input.serverTimestamp ?? null,
    producerTimestamp: input.producerTimestamp ?? null,
    millisBehindNow: input.millisBehindNow ?? null,
    continuationToken: input.continuationToken ?? null,
    errorCode: input.errorCode ?? null,
    errorId: input.errorId ?? null,
    timecodeScale: input.timecodeScale ?? 1_000_000,
    clusterTimecode: hasCluster ? (input.clusterTimecode ?? 0) : null,
    clusterCount: hasCluster ? 1 : 0,
    frameCount: input.frames.length,
    keyframeCount: input.frames.filter((f) => f.keyframe).length,
    payloadBytes: input.frames.reduce((sum, f) => sum + f.data.length, 0),
    trackStats: [...stats.values()],
    tracks: input.tracks.map((t) => ({
      trackNumber: t.trackNumber,
      trackType: t.trackType,
      codecId: t.codecId,
      pixelWidth: t.pixelWidth ?? null,
      pixelHeight: t.pixelHeight ?? null,
      samplingFrequency: t.samplingFrequency ?? null,
      channels: t.channels ?? null,
    })),
    tags: (input.tags ?? []).map((t) => ({ name: t.name, value: t.value ?? null, binary: t.binary ?? null })),
    complete: true,
  };
}

/** Normalises binary tag values to plain byte arrays so Buffer and Uint8Array compare equal. */
function comparable(fragment: Fragment | undefined): unknown {
  if (fragment === undefined) return undefined;
  return { ...fragment, tags: fragment.tags.map((t) => ({ ...t, binary: t.binary === null ? null : [...t.binary] })) };
}

function readInChunks(data: Uint8Array, chunkSize: number): Fragment[] {
  const fragments: Fragment[] = [];
  const reader = new FragmentReader((fragment) => fragments.push(fragment));
  for (const chunk of chunksOf(data, { chunkSize })) reader.push(chunk);
  reader.end();
  return fragments;
}

describe('writeFragment', () => {
  it('reads back identically whatever the input and the chunking when written whole', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 1, max: 5000 }), (input, chunkSize) => {
        const bytes = Buffer.concat(writeFragment(input));
        const fragments = readInChunks(bytes, chunkSize);
        expect(fragments).toHaveLength(1);
        expect(comparable(fragments[0])).toEqual(comparable(expectedFragment(input, bytes.length) as Fragment));
      }),
      { seed: 0x6d6b76, numRuns: 300 },
    );
  });

  it('reads back identically when streamed as head, unknown-size cluster, blocks and tail', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const tracks = new Set(input.tracks.map((t) => t.trackNumber));
        const parts = [
          ...writeFragmentHead(input),
          ...writeClusterStart(input.clusterTimecode ?? 0),
          ...input.frames.flatMap((frame) => writeSimpleBlock(frame, tracks)),
          ...writeFragmentTail(input),
        ];
        const bytes = Buffer.concat(parts);
        const [fragment] = parseFragments(bytes);
        const expected = expectedFragment({ ...input, clusterTimecode: input.clusterTimecode ?? 0 }, bytes.length);
        expect(comparable(fragment)).toEqual(comparable(expected as Fragment));
      }),
      { seed: 0x6d6b77, numRuns: 200 },
    );
  });

  it('references frame data instead of copying it when writing blocks', () => {
    const data = Buffer.alloc(1000, 7);
    const parts = writeFragment({ tracks: [{ trackNumber: 1, trackType: 1, codecId: 'V_TEST' }], frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data }] });
    expect(parts.some((part) => part === data)).toBe(true);
    const view = new Uint8Array(data.buffer, data.byteOffset + 10, 20);
    const [, payload] = writeSimpleBlock({ trackNumber: 1, timecode: 0, keyframe: false, data: view });
    expect(payload?.buffer).toBe(data.buffer);
  });

  it('throws a RangeError when the input is invalid', () => {
    const track: MkvTrack = { trackNumber: 1, trackType: 1, codecId: 'V_TEST' };
    const frame: MkvFrame = { trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(1) };
    const cases: FragmentInput[] = [
      { tracks: [track], frames: [{ ...frame, timecode: 40_000 }] },
      { tracks: [track], frames: [{ ...frame, trackNumber: 2 }] },
      { tracks: [track, track], frames: [] },
      { tracks: [{ ...track, codecId: 'bad\0' }], frames: [] },
      { tracks: [], frames: [], fragmentNumber: '12x' },
      { tracks: [], frames: [], serverTimestamp: -1 },
      { tracks: [], frames: [], millisBehindNow: 1.5 },
      { tracks: [], frames: [], tags: [{ name: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER', value: '1' }] },
    ];
    for (const input of cases) expect(() => writeFragment(input), JSON.stringify(input)).toThrow(RangeError);
  });
});

describe('ebml-encoding', () => {
  it('encodes sizes in the fewest bytes and never as the reserved all-ones value when no length is forced', () => {
    expect([...encodeSize(0)]).toEqual([0x80]);
    expect([...encodeSize(126)]).toEqual([0xfe]);
    expect([...encodeSize(127)]).toEqual([0x40, 0x7f]);
    expect([...encodeSize(5, 8)]).toEqual([0x01, 0, 0, 0, 0, 0, 0, 5]);
    expect(() => encodeSize(2 ** 56 - 1)).toThrow(RangeError);
    expect(() => encodeSize(300, 1)).toThrow(RangeError);
  });

  it('throws when the length marker of an id disagrees with its byte length', () => {
    expect([...encodeId(0x1a45dfa3)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
    expect([...encodeId(0xa3)]).toEqual([0xa3]);
    expect(() => encodeId(0x7f)).toThrow(RangeError);
    expect(() => encodeId(0x0fffffff)).toThrow(RangeError);
  });

  it('reads back the same integers when encoded elements are decoded', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeInteger(), (unsigned, signed) => {
        expect(readUint(uintElement(0x81, unsigned).subarray(2))).toBe(unsigned);
        expect(readInt(intElement(0x81, signed).subarray(2))).toBe(signed);
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
