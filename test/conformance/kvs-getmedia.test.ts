import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Fragment } from '../../src/mkv/fragment.type.js';
import { FragmentReader } from '../../src/mkv/fragment-reader.js';
import { compareFragmentNumbers } from '../../src/mkv/kinesis-tags.js';
import { kvsFixtures, REPO_ROOT } from '../helpers/fixtures.js';

const fixtures = kvsFixtures();
const CAPTURES = ['output_get_media', 'test_mixed_tags', 'empty-mkv-with-tags', 'vogels_330'] as const;
const CHUNKINGS = [
  ['whole', Number.POSITIVE_INFINITY],
  ['4 KiB chunks', 4096],
  ['1-byte chunks', 1],
] as const;

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

function readCapture(data: Buffer, chunkSize: number): Fragment[] {
  const fragments: Fragment[] = [];
  const reader = new FragmentReader((fragment) => fragments.push(fragment));
  const step = Number.isFinite(chunkSize) ? chunkSize : data.length;
  for (let i = 0; i < data.length; i += step) reader.push(data.subarray(i, i + step));
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

describe.skipIf(fixtures.skip)('Kinesis GetMedia captures', () => {
  describe.each(CAPTURES)('%s', (name) => {
    it.each(CHUNKINGS)('gives exactly the expected values when fed %s', (_label, chunkSize) => {
      expect(readCapture(capture(name), chunkSize).map(asExpected)).toEqual(expectedLines(name));
    });

    it('gives the complete fragments plus an incomplete last one when the capture is cut off', () => {
      const data = capture(name);
      const expected = expectedLines(name);
      const whole = readCapture(data, Number.POSITIVE_INFINITY);
      for (const fraction of [0.13, 0.5, 0.77, 0.999]) {
        const cut = Math.floor(data.length * fraction);
        const fragments = readCapture(data.subarray(0, cut), 4096);
        const last = fragments.at(-1);
        expect(last?.complete).toBe(false);
        expect(fragments.slice(0, -1).map(asExpected)).toEqual(expected.slice(0, fragments.length - 1));
        expect(last?.byteOffset).toBe(whole[fragments.length - 1]?.byteOffset);
      }
    });
  });

  // The facts from the fixtures README, under every chunking the issue names: whole, 4 KiB and 1 byte.
  it.each(CHUNKINGS)('reads the published facts when given output_get_media.mkv fed %s', (_label, chunkSize) => {
    const fragments = readCapture(capture('output_get_media'), chunkSize);
    expect(fragments).toHaveLength(5);
    for (const fragment of fragments) {
      expect(fragment.tracks[0]).toMatchObject({ trackNumber: 1, codecId: 'V_MPEG4/ISO/AVC', pixelWidth: 640, pixelHeight: 360 });
      expect(fragment.tags.map((tag) => [tag.name, tag.value])).toEqual([
        ['COMPATIBLE_BRANDS', 'isomavc1mp42'],
        ['MAJOR_BRAND', 'M4V '],
        ['MINOR_VERSION', '1'],
        ['ENCODER', 'Lavf57.71.100'],
        ['HANDLER_NAME', 'ETI ISO Video Media Handler'],
        ['ENCODER', 'Elemental H.264'],
        ['DURATION', '00:00:10.000000000\0\0'],
      ]);
    }
    const numbers = fragments.map((fragment) => fragment.fragmentNumber ?? '');
    for (let i = 1; i < numbers.length; i++) expect(compareFragmentNumbers(numbers[i - 1] ?? '', numbers[i] ?? '')).toBeLessThan(0);
  });

  it.each(CHUNKINGS)('reads the published facts when given test_mixed_tags.mkv fed %s', (_label, chunkSize) => {
    const fragments = readCapture(capture('test_mixed_tags'), chunkSize);
    expect(fragments).toHaveLength(10);
    const fiveTags = [0, 1, 2, 3, 4].map((n) => ({ name: `testTag_${n}`, value: `testTag_${n}_Value`, binary: null }));
    expect(fragments[0]?.tags).toEqual([...fiveTags, ...fiveTags]);
    for (const fragment of fragments.slice(1)) expect(fragment.tags).toEqual(fiveTags);
  });

  it.each(CHUNKINGS)('reads the published facts when given empty-mkv-with-tags.mkv fed %s', (_label, chunkSize) => {
    const fragments = readCapture(capture('empty-mkv-with-tags'), chunkSize);
    expect(fragments).toHaveLength(1);
    expect(fragments[0]).toMatchObject({
      fragmentNumber: '91343852338378294813695855977007281634605393997',
      frameCount: 0,
      clusterCount: 0,
      clusterTimecode: null,
      complete: true,
    });
  });

  it.each(CHUNKINGS)('reads a plain Matroska file without Kinesis fields when given vogels_330.mkv fed %s', (_label, chunkSize) => {
    const [fragment, ...rest] = readCapture(capture('vogels_330'), chunkSize);
    expect(rest).toEqual([]);
    expect(fragment).toMatchObject({ fragmentNumber: null, frameCount: 2334, clusterCount: 9, complete: true });
    expect(fragment?.tracks.map((track) => [track.codecId, track.samplingFrequency, track.channels])).toEqual([
      ['V_MPEG4/ISO/AVC', null, null],
      ['A_AAC', 48000, 2],
    ]);
  });

  it('prints the expected values when `mkv inspect` runs as a process on a capture', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'mkv', 'inspect', fixtures.file('test_mixed_tags.mkv')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code).toBe(0);
    const printed = Buffer.concat(out)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    expect(
      printed.map((line) => ({
        fragmentNumber: line.fragmentNumber,
        serverTimestamp: line.serverTimestamp,
        producerTimestamp: line.producerTimestamp,
        millisBehindNow: line.millisBehindNow,
        continuationToken: line.continuationToken,
        errorCode: line.errorCode,
        frameCount: line.frameCount,
        complete: line.complete,
      })),
    ).toEqual(
      expectedLines('test_mixed_tags').map((line) => ({
        fragmentNumber: line.fragmentNumber,
        serverTimestamp: isoOrNull(line.serverTimestampMs),
        producerTimestamp: isoOrNull(line.producerTimestampMs),
        millisBehindNow: line.millisBehindNow,
        continuationToken: line.continuationToken,
        errorCode: line.errorCode,
        frameCount: line.frames,
        complete: line.complete,
      })),
    );
  });
});
