import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  binaryElement,
  intElement,
  masterElement,
  stringElement,
  uintElement,
  unknownSizeHeader,
} from '../../../src/mkv/ebml-encoding.js';
import { EbmlId } from '../../../src/mkv/ebml-ids.js';
import type { Fragment } from '../../../src/mkv/fragment.type.js';
import { FragmentReader, parseFragments, readFragments } from '../../../src/mkv/fragment-reader.js';
import { MalformedMediaError } from '../../../src/mkv/malformed-media.error.js';
import {
  writeClusterStart,
  writeFragment,
  writeFragmentHead,
  writeFragmentTail,
  writeSimpleBlock,
  type FragmentInput,
} from '../../../src/mkv/mkv-writer.js';
import { makeSyntheticFrames, syntheticH264Track } from '../../../src/mkv/synthetic-h264.js';
import { chunksOf } from './recording-visitor.js';

const E = EbmlId;
const FRAGMENT_NUMBER = '91343852333181432392682062607743920146159169392';

const BASE: FragmentInput = {
  tracks: [syntheticH264Track(640, 360), { trackNumber: 2, trackType: 2, codecId: 'A_AAC', samplingFrequency: 48000, channels: 2 }],
  frames: [
    ...makeSyntheticFrames({ count: 6, frameBytes: 200, keyframeInterval: 3 }),
    { trackNumber: 2, timecode: 10, keyframe: true, data: Buffer.alloc(40, 1) },
  ],
  clusterTimecode: 90_000,
  fragmentNumber: FRAGMENT_NUMBER,
  serverTimestamp: 1_511_852_109_126,
  producerTimestamp: 1_511_852_108_513,
  millisBehindNow: 15_858,
  continuationToken: FRAGMENT_NUMBER,
  tags: [{ name: 'ENCODER', value: 'test' }],
};

function bytesOf(input: FragmentInput): Buffer {
  return Buffer.concat(writeFragment(input));
}

function tagBlock(...tags: readonly (readonly [string, string])[]): Buffer[] {
  return masterElement(
    E.Tags,
    masterElement(
      E.Tag,
      tags.flatMap(([name, value]) => masterElement(E.SimpleTag, [stringElement(E.TagName, name), stringElement(E.TagString, value)])),
    ),
  );
}

function malformedOf(run: () => unknown): MalformedMediaError {
  try {
    run();
  } catch (error) {
    if (error instanceof MalformedMediaError) return error;
    throw error;
  }
  throw new Error('expected a MalformedMediaError');
}

describe('FragmentReader', () => {
  it('extracts the Kinesis fields, tracks, per-track stats and other tags when given a GetMedia fragment', () => {
    const [fragment] = parseFragments(bytesOf(BASE));
    expect(fragment).toMatchObject({
      sequence: 0,
      byteOffset: 0,
      fragmentNumber: FRAGMENT_NUMBER,
      serverTimestamp: 1_511_852_109_126,
      producerTimestamp: 1_511_852_108_513,
      millisBehindNow: 15_858,
      continuationToken: FRAGMENT_NUMBER,
      errorCode: null,
      errorId: null,
      timecodeScale: 1_000_000,
      clusterTimecode: 90_000,
      clusterCount: 1,
      frameCount: 7,
      keyframeCount: 3,
      payloadBytes: 6 * 200 + 40,
      trackStats: [
        { trackNumber: 1, frameCount: 6, keyframeCount: 2, payloadBytes: 1200 },
        { trackNumber: 2, frameCount: 1, keyframeCount: 1, payloadBytes: 40 },
      ],
      tracks: [
        { trackNumber: 1, trackType: 1, codecId: 'V_MPEG4/ISO/AVC', pixelWidth: 640, pixelHeight: 360, samplingFrequency: null, channels: null },
        { trackNumber: 2, trackType: 2, codecId: 'A_AAC', pixelWidth: null, pixelHeight: null, samplingFrequency: 48000, channels: 2 },
      ],
      tags: [{ name: 'ENCODER', value: 'test', binary: null }],
      complete: true,
    });
  });

  it('attributes tags after an unknown-size Cluster to the same fragment when fragments are streamed', () => {
    const frames = makeSyntheticFrames({ count: 3, frameBytes: 50 });
    const streamed = (n: number): Buffer[] => [
      ...writeFragmentHead({ tracks: BASE.tracks, fragmentNumber: String(n) }),
      ...writeClusterStart(n * 1000),
      ...frames.flatMap((frame) => writeSimpleBlock(frame)),
      ...writeFragmentTail({ millisBehindNow: n, continuationToken: `token-${n}` }),
    ];
    const fragments = parseFragments(Buffer.concat([...streamed(1), ...streamed(2)]));
    expect(fragments.map((f) => [f.fragmentNumber, f.clusterTimecode, f.frameCount, f.millisBehindNow, f.continuationToken, f.complete])).toEqual([
      ['1', 1000, 3, 1, 'token-1', true],
      ['2', 2000, 3, 2, 'token-2', true],
    ]);
  });

  it('reports the GetMedia error tags when a fragment carries them', () => {
    const [fragment] = parseFragments(bytesOf({ tracks: [], frames: [], errorCode: 'Requested fragment is not found', errorId: 4000 }));
    expect(fragment).toMatchObject({ errorCode: 'Requested fragment is not found', errorId: 4000, clusterTimecode: null, frameCount: 0, tracks: [] });
  });

  it('emits the cut-off last fragment with complete false when the input ends inside it', () => {
    const one = bytesOf(BASE);
    const fragments = parseFragments(Buffer.concat([one, one.subarray(0, one.length - 100)]));
    expect(fragments.map((f) => f.complete)).toEqual([true, false]);
    expect(fragments[1]).toMatchObject({ sequence: 1, byteOffset: one.length, byteLength: one.length - 100, fragmentNumber: FRAGMENT_NUMBER });
  });

  it('reports the previous fragment complete when the input stops right after the next EBML header id', () => {
    const one = bytesOf(BASE);
    const fragments = parseFragments(Buffer.concat([one, one.subarray(0, 4)]));
    expect(fragments.map((f) => [f.sequence, f.complete, f.byteLength])).toEqual([[0, true, one.length]]);
  });

  it('emits a fragment when an EBML header has no Segment or a Segment has no EBML header', () => {
    const header = Buffer.concat(masterElement(E.EBML, [stringElement(E.DocType, 'matroska')]));
    const segmentOnly = Buffer.concat(masterElement(E.Segment, tagBlock(['AWS_KINESISVIDEO_FRAGMENT_NUMBER', '7'])));
    const fragments = parseFragments(Buffer.concat([header, segmentOnly, header]));
    expect(fragments.map((f) => [f.byteOffset, f.fragmentNumber, f.complete])).toEqual([
      [0, '7', true],
      [header.length + segmentOnly.length, null, true],
    ]);
  });

  it('counts a BlockGroup as a keyframe only when it has no ReferenceBlock', () => {
    const group = (reference: boolean): Buffer[] =>
      masterElement(E.BlockGroup, [
        binaryElement(E.Block, Buffer.from([0x81, 0x00, 0x00, 0x00, 1, 2, 3])),
        ...(reference ? [intElement(E.ReferenceBlock, -33)] : []),
      ]);
    const input = Buffer.concat([
      unknownSizeHeader(E.Segment),
      ...masterElement(E.Cluster, [uintElement(E.Timestamp, 0), ...group(false), ...group(true), ...group(false)]),
    ]);
    const [fragment] = parseFragments(input);
    expect(fragment?.trackStats).toEqual([{ trackNumber: 1, frameCount: 3, keyframeCount: 2, payloadBytes: 9 }]);
  });

  it('uses the first Cluster timecode and counts every Cluster when a fragment has several', () => {
    const cluster = (timecode: number): Buffer[] => masterElement(E.Cluster, [uintElement(E.Timestamp, timecode), ...writeSimpleBlock({ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(3) })]);
    const [fragment] = parseFragments(Buffer.concat([unknownSizeHeader(E.Segment), ...cluster(500), ...cluster(900)]));
    expect(fragment).toMatchObject({ clusterTimecode: 500, clusterCount: 2, frameCount: 2 });
  });

  it.each([
    ['AWS_KINESISVIDEO_FRAGMENT_NUMBER', '12a'],
    ['AWS_KINESISVIDEO_SERVER_TIMESTAMP', 'yesterday'],
    ['AWS_KINESISVIDEO_PRODUCER_TIMESTAMP', '99999999999999.000'],
    ['AWS_KINESISVIDEO_MILLIS_BEHIND_NOW', '-5'],
    ['AWS_KINESISVIDEO_ERROR_ID', '4.5'],
  ])('throws MalformedMediaError when %s has the bogus value %s', (name, value) => {
    const input = Buffer.concat([unknownSizeHeader(E.Segment), ...tagBlock([name, value])]);
    const error = malformedOf(() => parseFragments(input));
    expect(error.reason).toContain(name);
    expect(error.path).toEqual(['Segment', 'Tags', 'Tag', 'SimpleTag', 'TagString']);
  });

  it('throws when a Kinesis tag repeats with a different value and accepts an identical repeat', () => {
    const tag = (value: string): Buffer[] => tagBlock(['AWS_KINESISVIDEO_FRAGMENT_NUMBER', value]);
    expect(parseFragments(Buffer.concat([unknownSizeHeader(E.Segment), ...tag('5'), ...tag('5')]))[0]?.fragmentNumber).toBe('5');
    // In one Tags element a second number is corruption; in a later one it starts the next fragment (merged files).
    expect(malformedOf(() => parseFragments(Buffer.concat([unknownSizeHeader(E.Segment), ...tagBlock(['AWS_KINESISVIDEO_FRAGMENT_NUMBER', '5'], ['AWS_KINESISVIDEO_FRAGMENT_NUMBER', '6'])]))).reason).toMatch(/twice/);
    expect(parseFragments(Buffer.concat([unknownSizeHeader(E.Segment), ...tag('5'), ...tag('6')])).map((fragment) => fragment.fragmentNumber)).toEqual(['5', '6']);
    const timestamp = (value: string): Buffer[] => tagBlock(['AWS_KINESISVIDEO_SERVER_TIMESTAMP', value]);
    expect(malformedOf(() => parseFragments(Buffer.concat([unknownSizeHeader(E.Segment), ...tag('5'), ...timestamp('1.000'), ...timestamp('2.000')]))).reason).toMatch(/twice/);
  });

  it('throws when tags exceed maxTagBytes or tracks exceed maxTracks in one fragment', () => {
    const tags = Buffer.concat([unknownSizeHeader(E.Segment), ...tagBlock(...Array.from({ length: 50 }, (_, i) => [`T${i}`, 'v'.repeat(100)] as const))]);
    expect(malformedOf(() => parseFragments(tags, { maxTagBytes: 1000 })).reason).toMatch(/tags exceed 1000 bytes/);
    expect(parseFragments(tags)[0]?.tags).toHaveLength(50);
    const blocks = Buffer.concat([
      unknownSizeHeader(E.Segment),
      unknownSizeHeader(E.Cluster),
      ...[1, 2, 3].flatMap((track) => writeSimpleBlock({ trackNumber: track, timecode: 0, keyframe: true, data: Buffer.alloc(1) })),
    ]);
    expect(malformedOf(() => parseFragments(blocks, { maxTracks: 2 })).reason).toMatch(/more than 2 tracks/);
    expect(malformedOf(() => parseFragments(bytesOf(BASE), { maxTracks: 1 })).reason).toMatch(/more than 1 tracks/);
  });

  it('reads a SimpleTag when its TagString comes before its TagName', () => {
    const reversed = (name: string, value: string): Buffer[] =>
      masterElement(E.SimpleTag, [stringElement(E.TagString, value), stringElement(E.TagName, name)]);
    const input = Buffer.concat([
      unknownSizeHeader(E.Segment),
      ...masterElement(E.Tags, masterElement(E.Tag, [...reversed('AWS_KINESISVIDEO_MILLIS_BEHIND_NOW', '42'), ...reversed('ENCODER', 'x')])),
    ]);
    const [fragment] = parseFragments(input);
    expect(fragment).toMatchObject({ millisBehindNow: 42, tags: [{ name: 'ENCODER', value: 'x', binary: null }] });
  });

  it('throws when a SimpleTag has no TagName or a TrackEntry no TrackNumber', () => {
    const noName = Buffer.concat([unknownSizeHeader(E.Segment), ...masterElement(E.Tags, masterElement(E.Tag, masterElement(E.SimpleTag, [stringElement(E.TagString, 'x')])))]);
    expect(malformedOf(() => parseFragments(noName)).reason).toBe('SimpleTag without TagName');
    const noNumber = Buffer.concat([unknownSizeHeader(E.Segment), ...masterElement(E.Tracks, masterElement(E.TrackEntry, [stringElement(E.CodecID, 'A_AAC')]))]);
    expect(malformedOf(() => parseFragments(noNumber)).reason).toBe('TrackEntry without TrackNumber');
  });

  it('stops emitting when onFragment calls stop()', () => {
    const seen: Fragment[] = [];
    const reader: FragmentReader = new FragmentReader((fragment) => {
      seen.push(fragment);
      reader.stop();
    });
    const one = bytesOf(BASE);
    expect(reader.push(Buffer.concat([one, one, one]))).toBe(false);
    reader.end();
    expect(seen).toHaveLength(1);
    expect(reader.fragmentCount).toBe(1);
  });

  it('ends quietly when the input holds no EBML document and requireDocument is off', () => {
    // A GetMedia payload that ends before its first fragment (an idle producer) is not malformed for the live reader.
    expect(parseFragments(new Uint8Array(0))).toEqual([]);
    expect(parseFragments(Buffer.from([0xec, 0x82, 0x00, 0x00]))).toEqual([]);
  });

  it('throws at the end offset when the input holds no EBML document and requireDocument is on', () => {
    for (const input of [Buffer.alloc(0), Buffer.from('plain text, not Matroska\n'), Buffer.from([0xec, 0x82, 0x00, 0x00])]) {
      const reader = new FragmentReader(() => undefined, { requireDocument: true });
      reader.push(input);
      const error = (() => {
        try {
          reader.end();
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(MalformedMediaError);
      expect(error).toMatchObject({ offset: input.length, reason: 'no EBML document: the input ended without an EBML header or Segment' });
      // Like every other failure, a later end() rethrows the same error.
      expect(() => reader.end()).toThrow(error as Error);
    }
  });

  it('accepts any document, a bare EBML header or Segment or a cut-off one, when requireDocument is on', () => {
    const one = bytesOf(BASE);
    const header = Buffer.concat(masterElement(E.EBML, [stringElement(E.DocType, 'matroska')]));
    for (const input of [one, header, one.subarray(0, one.length - 10)]) {
      const fragments: Fragment[] = [];
      const reader = new FragmentReader((fragment) => fragments.push(fragment), { requireDocument: true });
      reader.push(input);
      reader.end();
      expect(fragments).toHaveLength(1);
    }
  });

  it('yields fragments from an async source in order when read with readFragments', async () => {
    const one = bytesOf(BASE);
    const source = Readable.from(chunksOf(Buffer.concat([one, one, one]), { chunkSize: 4096 }));
    const sequences: number[] = [];
    for await (const fragment of readFragments(source)) sequences.push(fragment.sequence);
    expect(sequences).toEqual([0, 1, 2]);
  });

  it('stops reading the source when the consumer breaks out of readFragments', async () => {
    const one = bytesOf(BASE);
    const source = Readable.from(chunksOf(Buffer.concat([one, one, one]), { chunkSize: 256 }));
    for await (const fragment of readFragments(source)) {
      expect(fragment.sequence).toBe(0);
      break;
    }
    expect(source.destroyed).toBe(true);
  });

  it('yields what was read, the broken fragment incomplete, then throws when a byte is malformed', async () => {
    const one = bytesOf(BASE);
    const bad = Buffer.concat([one, one, Buffer.from([0x00, 0x00])]);
    const seen: [number, boolean, number][] = [];
    const run = async (): Promise<void> => {
      for await (const fragment of readFragments(chunksOf(bad, { chunkSize: 1000 }))) {
        seen.push([fragment.sequence, fragment.complete, fragment.byteLength]);
      }
    };
    await expect(run()).rejects.toBeInstanceOf(MalformedMediaError);
    // The second fragment's unknown-size Segment is still open when the bad byte arrives.
    expect(seen).toEqual([
      [0, true, one.length],
      [1, false, one.length],
    ]);
  });
});
