import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { masterElement, stringElement, unknownSizeHeader } from '../../src/mkv/ebml-encoding.js';
import { EbmlId } from '../../src/mkv/ebml-ids.js';
import { EbmlParser, type EbmlVisitor } from '../../src/mkv/ebml-parser.js';
import type { Fragment } from '../../src/mkv/fragment.type.js';
import { FragmentReader } from '../../src/mkv/fragment-reader.js';
import { MalformedMediaError } from '../../src/mkv/malformed-media.error.js';
import { MATROSKA_SCHEMA } from '../../src/mkv/matroska-schema.js';
import { writeSimpleBlock } from '../../src/mkv/mkv-writer.js';
import { kvsFixtures } from '../helpers/fixtures.js';

const fixtures = kvsFixtures();
const E = EbmlId;
// RELIABILITY.md K12: RSS per stream < 64 MB.
const MEMORY_BUDGET = 64 * 1024 * 1024;
// A single parse of these inputs takes milliseconds; a run this slow means a (near) hang.
const RUN_TIME_LIMIT_MS = 1000;

/** Everything observable about one parse: the fragments, and the error if it failed. */
interface Outcome {
  readonly fragments: readonly Fragment[];
  readonly error: { readonly offset: number; readonly reason: string; readonly path: readonly string[] } | null;
}

function parseOutcome(data: Uint8Array, chunkSize: number): Outcome {
  const fragments: Fragment[] = [];
  const reader = new FragmentReader((fragment) => fragments.push(fragment));
  try {
    for (let i = 0; i < data.length; i += chunkSize) reader.push(data.subarray(i, i + chunkSize));
    reader.end();
    return { fragments, error: null };
  } catch (error) {
    // The property under test: bad input only ever produces MalformedMediaError. Anything else fails.
    if (!(error instanceof MalformedMediaError)) throw error;
    return { fragments, error: { offset: error.offset, reason: error.reason, path: error.path } };
  }
}

/** Offsets of every element header in a well-formed input, to aim mutations at structure. */
function headerOffsets(data: Uint8Array): number[] {
  const offsets: number[] = [];
  const leafIds = new Set([...MATROSKA_SCHEMA.values()].filter((spec) => spec.type !== 'master').map((spec) => spec.id));
  const visitor: EbmlVisitor = {
    leafIds,
    wantBlocks: true,
    onMasterStart: (_id, offset) => offsets.push(offset),
    onMasterEnd: () => undefined,
    onLeaf: (_id, _bytes, _start, _end, offset) => offsets.push(offset),
    onBlock: (_id, _track, _timecode, _flags, _bytes, offset) => offsets.push(offset),
    onEnd: () => undefined,
  };
  const parser = new EbmlParser(visitor, { limits: { maxLeafSize: 16 * 1024 * 1024 } });
  parser.push(data);
  parser.end();
  return offsets;
}

// Positions are drawn as (aimAtHeader, index): an index into the header offsets, or anywhere.
const position = fc.record({ header: fc.boolean(), index: fc.nat(), delta: fc.integer({ min: 0, max: 12 }) });
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('overwrite' as const), pos: position, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('hugeSize' as const), pos: position, skip: fc.integer({ min: 1, max: 4 }), width: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), pos: position, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 24 }) }),
  fc.record({ kind: fc.constant('delete' as const), pos: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('repeat' as const), pos: position, length: fc.integer({ min: 1, max: 4096 }) }),
  fc.record({ kind: fc.constant('bogusDigit' as const), pos: position }),
  fc.record({ kind: fc.constant('truncate' as const), pos: position }),
);

interface RawPosition {
  readonly header: boolean;
  readonly index: number;
  readonly delta: number;
}

/** A drawn mutation before its position is resolved against the input. */
type RawMutation = (typeof mutationArb extends fc.Arbitrary<infer T> ? T : never) & { readonly pos: RawPosition };

function resolve(raw: RawPosition, length: number, headers: readonly number[]): number {
  const base = raw.header && headers.length > 0 ? (headers[raw.index % headers.length] ?? 0) + raw.delta : raw.index;
  return base % Math.max(1, length);
}

function applyMutations(original: Buffer, raws: readonly RawMutation[], headers: readonly number[]): Buffer {
  let data = Buffer.from(original);
  for (const raw of raws) {
    const at = resolve(raw.pos, data.length, headers);
    const mutation = raw;
    switch (mutation.kind) {
      case 'overwrite':
        mutation.bytes.forEach((byte, i) => {
          if (at + i < data.length) data[at + i] = byte;
        });
        break;
      case 'hugeSize': {
        // A size vint claiming an enormous (or unknown) payload right after an id.
        const p = at + mutation.skip;
        const bytes = [0x80 >> (mutation.width - 1), ...Array<number>(mutation.width - 1).fill(0xff)];
        bytes.forEach((byte, i) => {
          if (p + i < data.length) data[p + i] = byte;
        });
        break;
      }
      case 'insert':
        data = Buffer.concat([data.subarray(0, at), Buffer.from(mutation.bytes), data.subarray(at)]);
        break;
      case 'delete':
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + mutation.length)]);
        break;
      case 'repeat':
        data = Buffer.concat([data.subarray(0, at + mutation.length), data.subarray(at, at + mutation.length), data.subarray(at + mutation.length)]);
        break;
      case 'bogusDigit': {
        // Corrupt the first ASCII digit at or after `at` (timestamps, fragment numbers, lag).
        const digit = data.findIndex((byte, i) => i >= at && byte >= 0x30 && byte <= 0x39);
        if (digit >= 0) data[digit] = 0x78;
        break;
      }
      case 'truncate':
        data = data.subarray(0, at);
        break;
    }
  }
  return data;
}

function checkInvariants(outcome: Outcome, inputLength: number): void {
  const { fragments } = outcome;
  fragments.forEach((fragment, i) => {
    expect(fragment.sequence).toBe(i);
    expect(fragment.byteLength).toBeGreaterThanOrEqual(0);
    expect(fragment.byteOffset + fragment.byteLength).toBeLessThanOrEqual(inputLength);
    if (i > 0) expect(fragment.byteOffset).toBeGreaterThanOrEqual((fragments[i - 1]?.byteOffset ?? 0) + (fragments[i - 1]?.byteLength ?? 0));
    if (i < fragments.length - 1) expect(fragment.complete).toBe(true);
    expect(fragment.frameCount).toBe(fragment.trackStats.reduce((sum, s) => sum + s.frameCount, 0));
    expect(fragment.keyframeCount).toBeLessThanOrEqual(fragment.frameCount);
  });
}

function fuzzCapture(data: Buffer, numRuns: number, seed: number, chunkSizes: fc.Arbitrary<number>): void {
  const headers = headerOffsets(data);
  const seen = { malformed: 0, cutOff: 0, clean: 0 };
  fc.assert(
    fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), chunkSizes, (raws, chunkSize) => {
      const mutated = applyMutations(data, raws, headers);
      const started = performance.now();
      const whole = parseOutcome(mutated, Math.max(1, mutated.length));
      const chunked = parseOutcome(mutated, chunkSize);
      expect(performance.now() - started).toBeLessThan(RUN_TIME_LIMIT_MS);
      // Chunk boundaries never change the result, errors included.
      expect(chunked).toEqual(whole);
      checkInvariants(whole, mutated.length);
      if (whole.error !== null) seen.malformed++;
      else if (whole.fragments.at(-1)?.complete === false) seen.cutOff++;
      else seen.clean++;
    }),
    { seed, numRuns },
  );
  // Guard against mutations that silently do nothing: every kind of outcome must occur.
  expect(seen.malformed).toBeGreaterThan(numRuns / 10);
  expect(seen.cutOff).toBeGreaterThan(0);
  expect(seen.clean).toBeGreaterThan(0);
}

function memoryInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe.skipIf(fixtures.skip)('FragmentReader under mutated captures (RELIABILITY K12)', () => {
  const load = (name: string): Buffer => readFileSync(fixtures.file(name));

  it('throws only MalformedMediaError, in bounded time and independently of chunking, when test_mixed_tags.mkv is mutated', () => {
    fuzzCapture(load('test_mixed_tags.mkv'), 1500, 0x4b3132, fc.integer({ min: 1, max: 3000 }));
  });

  it('throws only MalformedMediaError when empty-mkv-with-tags.mkv is mutated', () => {
    fuzzCapture(load('empty-mkv-with-tags.mkv'), 1000, 0x4b3133, fc.integer({ min: 1, max: 1000 }));
  });

  it('throws only MalformedMediaError when the first fragments of output_get_media.mkv are mutated', () => {
    fuzzCapture(load('output_get_media.mkv').subarray(0, 1_100_000), 300, 0x4b3134, fc.constantFrom(511, 4096, 65_536));
  });

  it('throws only MalformedMediaError when vogels_330.mkv is mutated', () => {
    fuzzCapture(load('vogels_330.mkv'), 150, 0x4b3135, fc.constantFrom(997, 65_536));
  });

  it('keeps memory under the per-stream budget when reading 512 MB of concatenated captures', () => {
    const captures = ['output_get_media.mkv', 'test_mixed_tags.mkv', 'vogels_330.mkv'].map(load);
    const chunks = captures.flatMap((data) => Array.from({ length: Math.ceil(data.length / 65_536) }, (_, i) => data.subarray(i * 65_536, (i + 1) * 65_536)));
    const perRound = captures.reduce((sum, data) => sum + data.length, 0);
    let fragments = 0;
    const reader = new FragmentReader(() => fragments++);
    const baseline = memoryInUse();
    let peak = 0;
    for (let sent = 0; sent < 512 * 1024 * 1024; sent += perRound) {
      for (const chunk of chunks) reader.push(chunk);
      peak = Math.max(peak, memoryInUse() - baseline);
    }
    reader.end();
    expect(fragments).toBeGreaterThan(1000);
    expect(peak).toBeLessThan(MEMORY_BUDGET);
  });
});

describe('FragmentReader under adversarial streams (RELIABILITY K12)', () => {
  it('fails at the tag cap with bounded memory when one fragment sends tags forever', () => {
    const tag = Buffer.concat(masterElement(E.Tags, masterElement(E.Tag, masterElement(E.SimpleTag, [stringElement(E.TagName, 'N'.repeat(100)), stringElement(E.TagString, 'V'.repeat(900))]))));
    const reader = new FragmentReader(() => undefined);
    reader.push(unknownSizeHeader(E.Segment));
    const baseline = memoryInUse();
    let error: unknown = null;
    try {
      for (let i = 0; i < 1_000_000; i++) reader.push(tag);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(MalformedMediaError);
    expect((error as MalformedMediaError).reason).toMatch(/tags exceed/);
    expect(memoryInUse() - baseline).toBeLessThan(MEMORY_BUDGET);
  });

  it('keeps fragment state constant when one unknown-size Cluster sends a million blocks', () => {
    const blocks = Buffer.concat(
      Array.from({ length: 1000 }, (_, i) => writeSimpleBlock({ trackNumber: 1 + (i % 2), timecode: i, keyframe: i % 100 === 0, data: Buffer.alloc(16) })).flat(),
    );
    let fragment: Fragment | null = null;
    const reader = new FragmentReader((f) => {
      fragment = f;
    });
    reader.push(Buffer.concat([unknownSizeHeader(E.Segment), unknownSizeHeader(E.Cluster)]));
    const baseline = memoryInUse();
    for (let i = 0; i < 1000; i++) reader.push(blocks);
    expect(memoryInUse() - baseline).toBeLessThan(MEMORY_BUDGET);
    reader.end();
    expect(fragment).toMatchObject({ frameCount: 1_000_000, keyframeCount: 10_000, complete: true });
  });

  it('throws at once instead of waiting or buffering when a declared size exceeds the caps', () => {
    const hugeTag = Buffer.concat([
      unknownSizeHeader(E.Segment),
      ...masterElement(E.Tags, []),
      Buffer.from([0x12, 0x54, 0xc3, 0x67, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00]), // Tags of 2^44 bytes
    ]);
    const reader = new FragmentReader(() => undefined);
    expect(() => reader.push(hugeTag)).toThrow(MalformedMediaError);
  });
});
