/**
 * The fuzz property of RELIABILITY.md row K12, run in a child process by `kvs-fuzz.test.ts`.
 *
 * Why a child process: a parser that loops forever inside `push()` never returns to the event loop, so
 * nothing in the process running it (not a timer, not the test runner's timeout) can stop it. The
 * parent kills this process when it stops reporting progress, and the hang becomes a test failure
 * naming the input. A process of its own also gives the memory samples below no other tenant.
 *
 * Protocol (IPC, JSON): the parent sends one {@link FuzzJob}; this process answers with a
 * {@link FuzzProgress} before every input it parses, then one {@link FuzzReport}, and exits.
 */
import { deepStrictEqual, ok } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import fc from 'fast-check';
import { EbmlParser, type EbmlVisitor } from '../../src/mkv/ebml-parser.js';
import type { Fragment } from '../../src/mkv/fragment.type.js';
import { FragmentReader, type FragmentReaderOptions } from '../../src/mkv/fragment-reader.js';
import { MalformedMediaError } from '../../src/mkv/malformed-media.error.js';
import { MATROSKA_SCHEMA } from '../../src/mkv/matroska-schema.js';

/**
 * Caps the fuzzed reader runs with. Tighter than the defaults (64 KiB leaves, 1 MiB of tags) so that
 * what the reader may legitimately hold at once (one split leaf, one fragment's tag values) is far
 * below one fragment of output_get_media.mkv (~500 KB) or vogels_330.mkv (1.6 MB); the captures'
 * own leaves and tags are a few hundred bytes, so the caps change nothing for them.
 */
export const FUZZ_READER_OPTIONS = {
  limits: { maxLeafSize: 16 * 1024 },
  maxTagBytes: 16 * 1024,
} as const satisfies FragmentReaderOptions;

/**
 * Most that `arrayBuffers` (Buffer and ArrayBuffer memory) may rise above its value at the start of
 * one parse, at any sample during it. The reader's own allowance under {@link FUZZ_READER_OPTIONS} is
 * one split leaf plus binary tag values, 32 KiB (it measures about 1 KB), so this is 8x that, and
 * still half of one output_get_media.mkv fragment: a reader that copied a whole fragment's bytes
 * before parsing them, as stream parsers that concatenate chunks do, exceeds it (the `measure` job
 * with `bufferWholeFragments` demonstrates that: about 1.1 MB).
 */
export const ARRAY_BUFFER_GROWTH_LIMIT = 256 * 1024;

/**
 * Most that `heapUsed + arrayBuffers` may rise above its value at the start of one parse. `heapUsed`
 * counts garbage until the next scavenge, as much as the young generation holds; this process runs
 * with a 1 MiB semi-space (see `kvs-fuzz.test.ts`), which keeps that to a few MB whatever the
 * allocation pattern, and the reader measures under 1 MB. The limit is 8x that and an eighth of
 * RELIABILITY K12's 64 MB per stream: it catches a reader whose heap follows its input (keeping what
 * it read in any form larger than the bytes), while holding one fragment's bytes in Buffers, which
 * stays under it, is caught by {@link ARRAY_BUFFER_GROWTH_LIMIT}.
 */
export const TOTAL_GROWTH_LIMIT = 8 * 1024 * 1024;

// Memory is sampled at every emitted fragment (where a buffering reader peaks) and at least every
// this many pushed bytes: process.memoryUsage() costs microseconds, so not at every 1-byte push.
const SAMPLE_EVERY_BYTES = 16 * 1024;

/** Which chunk sizes the fuzzer draws: a range, or a set of sizes. */
export type ChunkSizes = { readonly min: number; readonly max: number } | { readonly among: readonly number[] };

/** What the parent asks for. */
export type FuzzJob =
  | {
      /** Mutate and truncate the capture `numRuns` times (fast-check, `seed`) and check the K12 property. */
      readonly kind: 'fuzz';
      readonly capture: string;
      /** Fuzz only this many leading bytes of the capture (whole fragments and a cut one). */
      readonly prefixBytes?: number;
      readonly numRuns: number;
      readonly seed: number;
      readonly chunkSizes: ChunkSizes;
    }
  | {
      /**
       * Parse the unmutated capture once, as the property does, and report the memory peaks; with
       * `bufferWholeFragments` the harness also keeps a copy of every chunk until the fragment it belongs
       * to is emitted, which is what a reader that buffers whole fragments holds.
       */
      readonly kind: 'measure';
      readonly capture: string;
      readonly prefixBytes?: number;
      readonly chunkSize: number;
      readonly bufferWholeFragments: boolean;
    }
  | {
      /**
       * Reports one input, then never returns to the event loop, as a parser stuck in `push()` would:
       * lets the parent's test show that its watchdog turns a hang into a failure.
       */
      readonly kind: 'stall';
    };

/** Sent before each parse of a mutated input: enough to replay it. */
export interface FuzzProgress {
  readonly type: 'input';
  readonly index: number;
  readonly chunkSize: number;
  readonly mutations: string;
}

/** Highest growth seen over all parses, in bytes. */
export interface MemoryPeaks {
  readonly arrayBuffers: number;
  readonly total: number;
}

/** The child's answer. */
export type FuzzReport =
  | {
      readonly type: 'done';
      readonly runs: number;
      /** How the mutated inputs ended: a typed error, a cut-off last fragment, or clean. */
      readonly seen: { readonly malformed: number; readonly cutOff: number; readonly clean: number };
      readonly peaks: MemoryPeaks;
    }
  | { readonly type: 'measured'; readonly fragments: number; readonly peaks: MemoryPeaks }
  | { readonly type: 'failed'; readonly message: string };

/** Everything observable about one parse: the fragments, and the error if it failed. */
interface Outcome {
  readonly fragments: readonly Fragment[];
  readonly error: { readonly offset: number; readonly reason: string; readonly path: readonly string[] } | null;
}

/** Peaks of memory growth during one parse, relative to just before the reader was built. */
class MemoryWatch {
  private readonly baseArrayBuffers: number;
  private readonly baseTotal: number;
  arrayBuffers = 0;
  total = 0;

  constructor() {
    const usage = process.memoryUsage();
    this.baseArrayBuffers = usage.arrayBuffers;
    this.baseTotal = usage.heapUsed + usage.arrayBuffers;
  }

  sample(): void {
    const usage = process.memoryUsage();
    this.arrayBuffers = Math.max(this.arrayBuffers, usage.arrayBuffers - this.baseArrayBuffers);
    this.total = Math.max(this.total, usage.heapUsed + usage.arrayBuffers - this.baseTotal);
  }
}

function parseOutcome(data: Uint8Array, chunkSize: number, watch: MemoryWatch, bufferWholeFragments = false): Outcome {
  const fragments: Fragment[] = [];
  // Only for `measure` jobs: copies of the chunks of the fragment being read, as a buffering reader holds.
  let held: Buffer[] = [];
  const reader = new FragmentReader((fragment) => {
    fragments.push(fragment);
    watch.sample();
    held = [];
  }, FUZZ_READER_OPTIONS);
  let unsampled = 0;
  try {
    for (let i = 0; i < data.length; i += chunkSize) {
      const chunk = data.subarray(i, i + chunkSize);
      if (bufferWholeFragments) held.push(Buffer.from(chunk));
      reader.push(chunk);
      unsampled += chunk.length;
      if (unsampled >= SAMPLE_EVERY_BYTES) {
        watch.sample();
        unsampled = 0;
      }
    }
    reader.end();
    watch.sample();
    return { fragments, error: null };
  } catch (error) {
    watch.sample();
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

function resolvePosition(raw: RawPosition, length: number, headers: readonly number[]): number {
  const base = raw.header && headers.length > 0 ? (headers[raw.index % headers.length] ?? 0) + raw.delta : raw.index;
  return base % Math.max(1, length);
}

function applyMutations(original: Buffer, raws: readonly RawMutation[], headers: readonly number[]): Buffer {
  let data = Buffer.from(original);
  for (const mutation of raws) {
    const at = resolvePosition(mutation.pos, data.length, headers);
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
    const previous = fragments[i - 1];
    deepStrictEqual(fragment.sequence, i, 'fragments are numbered in order');
    ok(fragment.byteLength >= 0, 'byteLength >= 0');
    ok(fragment.byteOffset + fragment.byteLength <= inputLength, 'a fragment lies inside the input');
    if (previous !== undefined) ok(fragment.byteOffset >= previous.byteOffset + previous.byteLength, 'fragments do not overlap');
    if (i < fragments.length - 1) ok(fragment.complete, 'only the last fragment can be incomplete');
    deepStrictEqual(fragment.frameCount, fragment.trackStats.reduce((sum, s) => sum + s.frameCount, 0), 'frameCount is the sum over tracks');
    ok(fragment.keyframeCount <= fragment.frameCount, 'keyframes are frames');
  });
}

function checkMemory(watch: MemoryWatch): void {
  ok(
    watch.arrayBuffers <= ARRAY_BUFFER_GROWTH_LIMIT,
    `arrayBuffers rose ${watch.arrayBuffers} bytes during one parse (limit ${ARRAY_BUFFER_GROWTH_LIMIT}): the reader copies input it should skip`,
  );
  ok(watch.total <= TOTAL_GROWTH_LIMIT, `heapUsed + arrayBuffers rose ${watch.total} bytes during one parse (limit ${TOTAL_GROWTH_LIMIT})`);
}

function chunkSizeArb(sizes: ChunkSizes): fc.Arbitrary<number> {
  return 'among' in sizes ? fc.constantFrom(...sizes.among) : fc.integer({ min: sizes.min, max: sizes.max });
}

function load(capture: string, prefixBytes: number | undefined): Buffer {
  const data = readFileSync(capture);
  return prefixBytes === undefined ? data : data.subarray(0, prefixBytes);
}

async function fuzz(job: Extract<FuzzJob, { kind: 'fuzz' }>, send: (message: FuzzProgress) => void): Promise<FuzzReport> {
  const data = load(job.capture, job.prefixBytes);
  const headers = headerOffsets(data);
  const seen = { malformed: 0, cutOff: 0, clean: 0 };
  const peaks = { arrayBuffers: 0, total: 0 };
  let index = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), chunkSizeArb(job.chunkSizes), async (raws, chunkSize) => {
      send({ type: 'input', index: index++, chunkSize, mutations: JSON.stringify(raws) });
      // IPC writes that do not fit the pipe at once are flushed by the event loop: without this turn, a
      // busy parent could see no progress from a healthy child and take it for a hang.
      await yieldToEventLoop();
      const mutated = applyMutations(data, raws, headers);
      const wholeWatch = new MemoryWatch();
      const whole = parseOutcome(mutated, Math.max(1, mutated.length), wholeWatch);
      const chunkedWatch = new MemoryWatch();
      const chunked = parseOutcome(mutated, chunkSize, chunkedWatch);
      // Chunk boundaries never change the result, errors included.
      deepStrictEqual(chunked, whole);
      checkInvariants(whole, mutated.length);
      for (const watch of [wholeWatch, chunkedWatch]) {
        checkMemory(watch);
        peaks.arrayBuffers = Math.max(peaks.arrayBuffers, watch.arrayBuffers);
        peaks.total = Math.max(peaks.total, watch.total);
      }
      if (whole.error !== null) seen.malformed++;
      else if (whole.fragments.at(-1)?.complete === false) seen.cutOff++;
      else seen.clean++;
    }),
    { seed: job.seed, numRuns: job.numRuns },
  );
  return { type: 'done', runs: job.numRuns, seen, peaks };
}

function measure(job: Extract<FuzzJob, { kind: 'measure' }>): FuzzReport {
  const data = load(job.capture, job.prefixBytes);
  const watch = new MemoryWatch();
  const outcome = parseOutcome(data, job.chunkSize, watch, job.bufferWholeFragments);
  if (outcome.error !== null) throw new Error(`the unmutated capture failed to parse: ${outcome.error.reason}`);
  return { type: 'measured', fragments: outcome.fragments.length, peaks: { arrayBuffers: watch.arrayBuffers, total: watch.total } };
}

async function stall(send: (message: FuzzProgress) => void): Promise<never> {
  send({ type: 'input', index: 0, chunkSize: 1, mutations: '[]' });
  await yieldToEventLoop();
  let _spins = 0;
  for (;;) _spins++;
}

async function run(job: FuzzJob, send: (message: FuzzProgress) => void): Promise<FuzzReport> {
  try {
    switch (job.kind) {
      case 'fuzz':
        return await fuzz(job, send);
      case 'measure':
        return measure(job);
      case 'stall':
        return await stall(send);
    }
  } catch (error) {
    return { type: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

/** The argument the parent passes so that this module acts as the child; imported, it only exports. */
export const CHILD_FLAG = '--kvs-fuzz-child';

const channel = process.send?.bind(process);
if (channel !== undefined && process.argv.includes(CHILD_FLAG)) {
  process.once('message', (job: FuzzJob) => {
    void run(job, (progress) => channel(progress)).then((report) => channel(report, undefined, {}, () => process.disconnect()));
  });
}
