import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { masterElement, stringElement, unknownSizeHeader } from '../../src/mkv/ebml-encoding.js';
import { EbmlId } from '../../src/mkv/ebml-ids.js';
import type { Fragment } from '../../src/mkv/fragment.type.js';
import { FragmentReader } from '../../src/mkv/fragment-reader.js';
import { MalformedMediaError } from '../../src/mkv/malformed-media.error.js';
import { writeSimpleBlock } from '../../src/mkv/mkv-writer.js';
import { kvsFixtures, REPO_ROOT } from '../helpers/fixtures.js';
import { ARRAY_BUFFER_GROWTH_LIMIT, CHILD_FLAG, TOTAL_GROWTH_LIMIT, type FuzzJob, type FuzzProgress, type FuzzReport } from './kvs-fuzz.child.js';

const fixtures = kvsFixtures();
const E = EbmlId;
// RELIABILITY.md K12: RSS per stream < 64 MB.
const MEMORY_BUDGET = 64 * 1024 * 1024;
const CHILD = fileURLToPath(new URL('./kvs-fuzz.child.ts', import.meta.url));
// Parsing one mutated input twice takes milliseconds. A child silent this long after its last input is
// stuck in it: a hang, whatever the load on the machine.
const INPUT_TIME_LIMIT_MS = 10_000;
// Starting the child compiles the reader and loads fast-check first.
const STARTUP_TIME_LIMIT_MS = 30_000;
const FUZZ_TEST_TIMEOUT_MS = 240_000;

/**
 * Runs `job` in a child process (see kvs-fuzz.child.ts) and resolves with its report. The child's heap
 * has a 1 MiB semi-space, so garbage awaiting a scavenge stays small next to the memory bounds.
 * Rejects, after killing the child, when it reports no progress for `inputTimeLimitMs`: the
 * message names the input it was stuck in, which replays with the job's seed.
 */
function runInChild(job: FuzzJob, inputTimeLimitMs = INPUT_TIME_LIMIT_MS): Promise<FuzzReport & { readonly inputs: number }> {
  const child = fork(CHILD, [CHILD_FLAG], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx', '--max-semi-space-size=1'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  return new Promise<FuzzReport & { readonly inputs: number }>((resolve, reject) => {
    let last: FuzzProgress | null = null;
    let inputs = 0;
    let done = false;
    let watchdog: NodeJS.Timeout | undefined;
    const where = (): string => (last === null ? 'before its first input' : `in input #${last.index} (chunk size ${last.chunkSize}, mutations ${last.mutations})`);
    const finish = (outcome: Error | FuzzReport): void => {
      if (done) return;
      done = true;
      clearTimeout(watchdog);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (outcome instanceof Error) reject(outcome);
      else resolve({ ...outcome, inputs });
    };
    // (Re)starts the silence timer: each message from the child proves it left the previous input.
    const arm = (limit: number): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => finish(new Error(`the fuzz child made no progress for ${limit} ms ${where()}: the reader hangs`)), limit);
    };
    arm(STARTUP_TIME_LIMIT_MS);
    child.on('message', (message: FuzzProgress | FuzzReport) => {
      if (message.type !== 'input') {
        finish(message);
        return;
      }
      last = message;
      inputs++;
      arm(inputTimeLimitMs);
    });
    child.on('error', (error) => finish(error));
    child.on('exit', (code, signal) => finish(new Error(`the fuzz child exited (${signal ?? String(code)}) without a report ${where()}`)));
    child.send(job);
  });
}

function memoryInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * Fuzzes one capture in a child process and checks what the property alone cannot: that it ran every
 * input, and that the mutations did something (every kind of outcome occurs, errors often).
 */
async function fuzzCapture(name: string, job: Omit<Extract<FuzzJob, { kind: 'fuzz' }>, 'kind' | 'capture'>): Promise<void> {
  const report = await runInChild({ kind: 'fuzz', capture: fixtures.file(name), ...job });
  if (report.type === 'failed') expect.fail(`${name}: ${report.message}`);
  if (report.type !== 'done') expect.fail(`${name}: unexpected report ${report.type}`);
  expect(report.inputs).toBeGreaterThanOrEqual(job.numRuns);
  expect(report.seen.malformed).toBeGreaterThan(job.numRuns / 10);
  expect(report.seen.cutOff).toBeGreaterThan(0);
  expect(report.seen.clean).toBeGreaterThan(0);
  expect(report.peaks.arrayBuffers).toBeLessThanOrEqual(ARRAY_BUFFER_GROWTH_LIMIT);
  expect(report.peaks.total).toBeLessThanOrEqual(TOTAL_GROWTH_LIMIT);
}

async function measureInChild(bufferWholeFragments: boolean): Promise<Extract<FuzzReport, { type: 'measured' }>> {
  const report = await runInChild({
    kind: 'measure',
    capture: fixtures.file('output_get_media.mkv'),
    prefixBytes: 1_100_000,
    chunkSize: 4096,
    bufferWholeFragments,
  });
  if (report.type !== 'measured') expect.fail(`unexpected report ${JSON.stringify(report)}`);
  return report;
}

describe.skipIf(fixtures.skip)('FragmentReader under mutated captures (RELIABILITY K12)', () => {
  const load = (name: string): Buffer => readFileSync(fixtures.file(name));

  // Each property: only MalformedMediaError is thrown, chunking never changes the result (errors
  // included), the fragments are consistent, and memory grows by at most ARRAY_BUFFER_GROWTH_LIMIT of
  // Buffers and TOTAL_GROWTH_LIMIT in all during any one parse; a parse that never returns fails the test.
  it(
    'throws only MalformedMediaError, with bounded memory and without hanging, when test_mixed_tags.mkv is mutated',
    () => fuzzCapture('test_mixed_tags.mkv', { numRuns: 1500, seed: 0x4b3132, chunkSizes: { min: 1, max: 3000 } }),
    FUZZ_TEST_TIMEOUT_MS,
  );

  it(
    'throws only MalformedMediaError, with bounded memory and without hanging, when empty-mkv-with-tags.mkv is mutated',
    () => fuzzCapture('empty-mkv-with-tags.mkv', { numRuns: 1000, seed: 0x4b3133, chunkSizes: { min: 1, max: 1000 } }),
    FUZZ_TEST_TIMEOUT_MS,
  );

  it(
    'throws only MalformedMediaError, with bounded memory and without hanging, when the first fragments of output_get_media.mkv are mutated',
    () => fuzzCapture('output_get_media.mkv', { prefixBytes: 1_100_000, numRuns: 300, seed: 0x4b3134, chunkSizes: { among: [511, 4096, 65_536] } }),
    FUZZ_TEST_TIMEOUT_MS,
  );

  it(
    'throws only MalformedMediaError, with bounded memory and without hanging, when vogels_330.mkv is mutated',
    () => fuzzCapture('vogels_330.mkv', { numRuns: 150, seed: 0x4b3135, chunkSizes: { among: [997, 65_536] } }),
    FUZZ_TEST_TIMEOUT_MS,
  );

  it(
    'exceeds the Buffer memory bound of the property when a reader holds whole fragments (control)',
    async () => {
      // The same sampling as the property, on an unmutated capture whose fragments are ~500 KB: the reader
      // alone stays under the bound, and holding each fragment's chunks until it is emitted goes over it.
      const reader = await measureInChild(false);
      const buffering = await measureInChild(true);
      // Two whole fragments and the one the prefix cuts.
      expect(reader.fragments).toBe(3);
      expect(reader.peaks.arrayBuffers).toBeLessThanOrEqual(ARRAY_BUFFER_GROWTH_LIMIT);
      expect(buffering.peaks.arrayBuffers).toBeGreaterThan(ARRAY_BUFFER_GROWTH_LIMIT);
    },
    FUZZ_TEST_TIMEOUT_MS,
  );

  it(
    'fails naming the input instead of stalling when the parse in the child never returns (control)',
    async () => {
      // The child reports input #0 and then spins without returning to its event loop: only the watchdog
      // can end this, and its message says where.
      await expect(runInChild({ kind: 'stall' }, 1000)).rejects.toThrow(/no progress for 1000 ms in input #0 .*: the reader hangs/);
    },
    FUZZ_TEST_TIMEOUT_MS,
  );

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
