import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/emulators/kinesis/kinesis.capture.js';
import { EbmlId } from '../../src/mkv/ebml-ids.js';
import { EbmlParser } from '../../src/mkv/ebml-parser.js';
import type { Fragment } from '../../src/mkv/fragment.type.js';
import { FragmentReader } from '../../src/mkv/fragment-reader.js';
import { writeMergedFragments, type FragmentInput } from '../../src/mkv/mkv-writer.js';
import { kvsFixtures } from '../helpers/fixtures.js';

/*
 * The real captures as the AWS KVS parser library's tools would hand them on: merged by OutputSegmentMerger (every
 * fragment's Tags and Cluster in one Segment, rewritten here with our writer from the capture's own frames, tracks
 * and tags) and cut off in the middle of a block.
 */

const fixtures = kvsFixtures();
const MERGEABLE = ['output_get_media', 'test_mixed_tags'] as const;
const CAPTURES = ['output_get_media', 'test_mixed_tags', 'empty-mkv-with-tags', 'vogels_330'] as const;

/** One line of a `*.expected.ndjson` file (see the fixtures README). */
interface ExpectedLine {
  readonly fragmentNumber: string | null;
  readonly serverTimestampMs: number | null;
  readonly producerTimestampMs: number | null;
  readonly millisBehindNow: number | null;
  readonly continuationToken: string | null;
  readonly errorCode: string | null;
  readonly frames: number;
  readonly complete: boolean;
}

function capture(name: string): Buffer {
  return readFileSync(fixtures.file(`${name}.mkv`));
}

function expectedLines(name: string): ExpectedLine[] {
  return readFileSync(fixtures.file(`${name}.expected.ndjson`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ExpectedLine);
}

function read(data: Uint8Array, chunkSize: number): Fragment[] {
  const fragments: Fragment[] = [];
  const reader = new FragmentReader((fragment) => fragments.push(fragment));
  for (let i = 0; i < data.length; i += chunkSize) reader.push(data.subarray(i, i + chunkSize));
  reader.end();
  return fragments;
}

function asExpected(fragment: Fragment): ExpectedLine {
  return {
    fragmentNumber: fragment.fragmentNumber,
    serverTimestampMs: fragment.serverTimestamp,
    producerTimestampMs: fragment.producerTimestamp,
    millisBehindNow: fragment.millisBehindNow,
    continuationToken: fragment.continuationToken,
    errorCode: fragment.errorCode,
    frames: fragment.frameCount,
    complete: fragment.complete,
  };
}

/** Offset and end offset of every SimpleBlock and Block of `data`, read from their element headers. */
function blockSpans(data: Buffer): { readonly start: number; readonly end: number }[] {
  const spans: { start: number; end: number }[] = [];
  const parser = new EbmlParser({
    leafIds: new Set(),
    wantBlocks: true,
    masterIds: new Set(),
    onMasterStart: () => undefined,
    onMasterEnd: () => undefined,
    onLeaf: () => undefined,
    onBlock: (id, _track, _timecode, _flags, _frameBytes, offset) => {
      // SimpleBlock (0xA3) and Block (0xA1) have one-byte ids; the size vint follows.
      const first = data[offset + 1] ?? 0;
      const sizeLength = Math.clz32(first) - 23;
      let size = first & (0xff >> sizeLength);
      for (let i = 1; i < sizeLength; i++) size = size * 256 + (data[offset + 1 + i] ?? 0);
      expect([EbmlId.SimpleBlock, EbmlId.Block]).toContain(id);
      spans.push({ start: offset, end: offset + 1 + sizeLength + size });
    },
    onEnd: () => undefined,
  });
  parser.push(data);
  parser.end();
  return spans;
}

describe.skipIf(fixtures.skip)('Kinesis captures as the KVS parser library writes them', () => {
  describe.each(MERGEABLE)('%s merged into one Segment', (name) => {
    it.each([
      ['whole', Number.POSITIVE_INFINITY],
      ['4 KiB chunks', 4096],
    ])('gives exactly the expected values, one record per fragment number, when fed %s', (_label, chunkSize) => {
      const expected = expectedLines(name);
      const { fragments } = parseCapture(capture(name));
      expect(fragments).toHaveLength(expected.length);
      const inputs: FragmentInput[] = fragments.map(({ content }, index) => {
        const line = expected[index];
        if (line === undefined || line.fragmentNumber === null) throw new Error('capture without fragment numbers');
        return {
          tracks: content.tracks,
          timecodeScale: content.timecodeScale,
          tags: content.tags,
          frames: content.frames,
          fragmentNumber: line.fragmentNumber,
          ...(line.serverTimestampMs === null ? {} : { serverTimestamp: line.serverTimestampMs }),
          ...(line.producerTimestampMs === null ? {} : { producerTimestamp: line.producerTimestampMs }),
          ...(line.millisBehindNow === null ? {} : { millisBehindNow: line.millisBehindNow }),
          ...(line.continuationToken === null ? {} : { continuationToken: line.continuationToken }),
        };
      });
      const merged = Buffer.concat(writeMergedFragments(inputs));
      const step = Number.isFinite(chunkSize) ? chunkSize : merged.length;
      const records = read(merged, step);
      expect(records.map(asExpected)).toEqual(expected);
      // Each fragment keeps its own other tags (test_mixed_tags: 10 in the first, 5 in each later one).
      expect(records.map((record) => record.tags.length)).toEqual(inputs.map((input) => input.tags?.length ?? 0));
    });
  });

  describe.each(CAPTURES)('%s cut inside a block', (name) => {
    it('counts in the cut-off fragment only the blocks that end before the cut', () => {
      const data = capture(name);
      const spans = blockSpans(data);
      const whole = read(data, data.length);
      // Cut in the middle of the frame data of blocks spread over the capture (a capture without blocks has nothing to cut).
      for (const span of [0.2, 0.5, 0.9].map((fraction) => spans[Math.floor(spans.length * fraction)]).filter((value) => value !== undefined)) {
        const cut = Math.floor((span.start + span.end) / 2) + 1;
        const fragments = read(data.subarray(0, cut), 4096);
        const last = fragments.at(-1);
        if (last === undefined) throw new Error('nothing read');
        expect(last.complete).toBe(false);
        const wholeBlocks = spans.filter((candidate) => candidate.start >= last.byteOffset && candidate.end <= cut).length;
        expect(last.frameCount).toBe(wholeBlocks);
        expect(last.frameCount).toBeLessThan(whole[fragments.length - 1]?.frameCount ?? 0);
      }
    });
  });
});
