/**
 * MKV reader throughput (`npm run bench:mkv`).
 *
 * Feeds the same in-memory input, at least 200 MiB of concatenated real Kinesis GetMedia captures cut
 * into 64 KiB chunks, to our FragmentReader (all fragment metadata and per-track frame counts), to
 * the npm `ebml-stream` decoder and to the npm `ebml` decoder, all of it to each, in this one process.
 * The stream decoders are written to as any producer should, waiting for 'drain' whenever `write()`
 * returns false. Every contender's fragment and frame counts must match the reader's in every run.
 * Reports the median MB/s of 5 timed runs each (after warm-up runs), the reader's cost per fragment,
 * prints a table, records it in bench/RESULTS.md, and exits 1 when a target is missed: reader >= 10x
 * ebml-stream and >= 500x ebml.
 */
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { EbmlParser, type EbmlVisitor } from '../src/mkv/ebml-parser.js';
import { FragmentReader } from '../src/mkv/fragment-reader.js';
import { describeMachine, formatMachine } from './support/machine.js';
import { writeResultsSection } from './support/results-file.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'kvs');
const RESULTS_FILE = resolve(REPO_ROOT, 'bench', 'RESULTS.md');
const SECTION_HEADING = '## MKV reader (npm run bench:mkv)';
const CAPTURES = ['output_get_media.mkv', 'test_mixed_tags.mkv', 'empty-mkv-with-tags.mkv'];
const MIN_INPUT_BYTES = 200 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const RUNS = 5;
const WARM_UP_MS = 3000;
const TARGET_VS_EBML_STREAM = 10;
const TARGET_VS_EBML = 500;

const require = createRequire(import.meta.url);
// Neither package is imported statically: `ebml` ships no types, so both are typed here by the
// little of their Transform-stream API the benchmark uses.
const { EbmlStreamDecoder } = require('ebml-stream') as { EbmlStreamDecoder: new () => Transform };
const { Decoder: EbmlDecoder } = require('ebml') as { Decoder: new () => Transform };
const ebmlStreamVersion = (require('ebml-stream/package.json') as { version: string }).version;
const ebmlVersion = (require('ebml/package.json') as { version: string }).version;

interface Run {
  /** Wall-clock time of the run: what MB/s is computed from. */
  readonly seconds: number;
  /** Process CPU time (user + system, all threads) during the run. */
  readonly cpuSeconds: number;
  /** Times a stream decoder's `write()` returned false and the harness waited for 'drain'. */
  readonly drainWaits: number;
  readonly fragments: number;
  readonly frames: number;
}

interface Row {
  readonly name: string;
  readonly inputBytes: number;
  readonly runs: readonly Run[];
}

interface Clock {
  readonly wall: bigint;
  readonly cpu: NodeJS.CpuUsage;
}

function startClock(): Clock {
  return { wall: process.hrtime.bigint(), cpu: process.cpuUsage() };
}

function elapsed(clock: Clock): { seconds: number; cpuSeconds: number } {
  const seconds = Number(process.hrtime.bigint() - clock.wall) / 1e9;
  const cpu = process.cpuUsage(clock.cpu);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function chunksOf(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += CHUNK_BYTES) chunks.push(data.subarray(i, i + CHUNK_BYTES));
  return chunks;
}

function runReader(chunks: readonly Buffer[]): Run {
  let fragments = 0;
  let frames = 0;
  const clock = startClock();
  const reader = new FragmentReader((fragment) => {
    fragments++;
    frames += fragment.frameCount;
  });
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return { ...elapsed(clock), fragments, frames, drainWaits: 0 };
}

// The parser alone with a visitor that reads nothing: the cost of walking element headers.
function runHeaderScan(chunks: readonly Buffer[]): Run {
  let segments = 0;
  let frames = 0;
  const visitor: EbmlVisitor = {
    leafIds: new Set(),
    wantBlocks: true,
    onMasterStart: (id) => {
      if (id === 0x18538067) segments++;
    },
    onMasterEnd: () => undefined,
    onLeaf: () => undefined,
    onBlock: () => {
      frames++;
    },
    onEnd: () => undefined,
  };
  const clock = startClock();
  const parser = new EbmlParser(visitor);
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { ...elapsed(clock), fragments: segments, frames, drainWaits: 0 };
}

// Reference point: copying every byte once.
function runMemcpy(chunks: readonly Buffer[]): Run {
  const target = Buffer.allocUnsafe(CHUNK_BYTES);
  const clock = startClock();
  for (const chunk of chunks) chunk.copy(target, 0);
  return { ...elapsed(clock), fragments: 0, frames: 0, drainWaits: 0 };
}

// A stream decoder consumed in flowing mode, written to the way a well-behaved producer (or `pipe`)
// writes: when `write()` returns false, wait for 'drain' before the next chunk. Ignoring that lets a
// decoder that defers work queue any number of chunks, which is not how it is fed in use; a decoder
// whose `write()` returns true pays nothing for it. The waits are counted and reported.
async function runDecoder(chunks: readonly Buffer[], decoder: Transform, classify: (item: unknown) => 'segment' | 'frame' | null): Promise<Run> {
  let fragments = 0;
  let frames = 0;
  let drainWaits = 0;
  const clock = startClock();
  const ended = once(decoder, 'end');
  // Awaited below; until then a decoder error must not surface as an unhandled rejection.
  ended.catch(() => undefined);
  decoder.on('data', (item: unknown) => {
    const kind = classify(item);
    if (kind === 'segment') fragments++;
    else if (kind === 'frame') frames++;
  });
  for (const chunk of chunks) {
    if (!decoder.write(chunk)) {
      drainWaits++;
      await once(decoder, 'drain');
    }
  }
  decoder.end();
  await ended;
  return { ...elapsed(clock), fragments, frames, drainWaits };
}

// ebml-stream emits tag objects: { id, position } with position 0 = start, 1 = content, 2 = end.
function classifyEbmlStream(item: unknown): 'segment' | 'frame' | null {
  const tag = item as { id?: number; position?: number };
  if (tag.id === 0xa3 || tag.id === 0xa1) return 'frame';
  if (tag.id === 0x18538067 && tag.position === 0) return 'segment';
  return null;
}

// ebml emits [kind, { name }] pairs with kind 'start' | 'tag' | 'end'.
function classifyEbml(item: unknown): 'segment' | 'frame' | null {
  const [kind, tag] = item as [string, { name?: string }];
  if (tag.name === 'SimpleBlock' || tag.name === 'Block') return 'frame';
  if (tag.name === 'Segment' && kind === 'start') return 'segment';
  return null;
}

interface Contender {
  readonly name: string;
  readonly inputBytes: number;
  readonly run: () => Run | Promise<Run>;
}

// Each decoder in turn: warm-up runs until it has had WARM_UP_MS of them (at least one), so the JIT
// has optimised its hot paths, then RUNS timed runs. Decoders are measured one after the other, not
// round-robin: a slow decoder leaves hundreds of MB of garbage whose major GC would land inside the
// next decoder's run, and the reader's runs are 20-1000x shorter, so they would absorb it unfairly.
// No GC is forced between runs either: a forced full GC discards optimised code.
async function measureAll(contenders: readonly Contender[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const contender of contenders) {
    const started = performance.now();
    do {
      await contender.run();
    } while (performance.now() - started < WARM_UP_MS);
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await contender.run());
    rows.push({ name: contender.name, inputBytes: contender.inputBytes, runs });
  }
  return rows;
}

function mbPerSecond(bytes: number, run: Run): number {
  return bytes / 1e6 / run.seconds;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function medianRate(row: Row): number {
  return median(row.runs.map((run) => mbPerSecond(row.inputBytes, run)));
}

// MB decoded per second of process CPU time: the rate without the time the process was not running.
function medianCpuRate(row: Row): number {
  return median(row.runs.map((run) => row.inputBytes / 1e6 / run.cpuSeconds));
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

async function main(): Promise<number> {
  if (!CAPTURES.every((name) => existsSync(resolve(FIXTURES, name)))) {
    process.stderr.write(`bench:mkv: the Kinesis captures are missing from ${FIXTURES}\n`);
    return 2;
  }
  // The date and machine of this run, taken when it starts.
  const runDate = new Date().toISOString().slice(0, 10);
  const machine = describeMachine();
  const unit = Buffer.concat(CAPTURES.map((name) => readFileSync(resolve(FIXTURES, name))));
  const copies = Math.ceil(MIN_INPUT_BYTES / unit.length);
  const input = Buffer.concat(Array.from({ length: copies }, () => unit));
  const chunks = chunksOf(input);
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
  process.stdout.write(`input: ${copies} x (${CAPTURES.join(' + ')}) = ${mb(input.length)} in ${chunks.length} chunks of 64 KiB\n`);

  const [reader, scan, ebmlStream, ebml, memcpy] = await measureAll([
    { name: 'media-graph FragmentReader (all fragment metadata + per-track frame counts)', inputBytes: input.length, run: () => runReader(chunks) },
    { name: 'media-graph EbmlParser, header-only scan (no-op visitor)', inputBytes: input.length, run: () => runHeaderScan(chunks) },
    {
      name: `ebml-stream ${ebmlStreamVersion} EbmlStreamDecoder`,
      inputBytes: input.length,
      run: () => runDecoder(chunks, new EbmlStreamDecoder(), classifyEbmlStream),
    },
    { name: `ebml ${ebmlVersion} Decoder`, inputBytes: input.length, run: () => runDecoder(chunks, new EbmlDecoder(), classifyEbml) },
    { name: 'reference: Buffer#copy of every chunk (memcpy)', inputBytes: input.length, run: () => runMemcpy(chunks) },
  ]);
  if (reader === undefined || scan === undefined || ebmlStream === undefined || ebml === undefined || memcpy === undefined) {
    throw new Error('bench:mkv: missing measurements');
  }
  const loadAtEnd = loadavg()[0] ?? 0;

  // Sanity: every run of every decoder must have seen the same fragments and frames as the reader's
  // first run, or the rates compare different work.
  const expected = reader.runs[0];
  if (expected === undefined || expected.fragments === 0 || expected.frames === 0) throw new Error('bench:mkv: the reader found nothing');
  for (const row of [reader, scan, ebmlStream, ebml]) {
    for (const run of row.runs) {
      if (run.frames !== expected.frames || run.fragments !== expected.fragments) {
        process.stderr.write(
          `bench:mkv: ${row.name} saw ${run.fragments} fragments and ${run.frames} frames, the reader ${expected.fragments} and ${expected.frames}\n`,
        );
        return 1;
      }
    }
  }

  const readerRate = medianRate(reader);
  const vsEbmlStream = readerRate / medianRate(ebmlStream);
  const vsEbml = readerRate / medianRate(ebml);
  const fragmentsPerRun = expected.fragments;
  const medianSeconds = median(reader.runs.map((run) => run.seconds));
  const microsPerFragment = (medianSeconds * 1e6) / fragmentsPerRun;

  const rows = [reader, scan, ebmlStream, ebml, memcpy];
  const table = [
    '| decoder | input | MB/s (median of 5) | runs (MB/s) | reader speed-up |',
    '|---|---|---:|---|---:|',
    ...rows.map((row) => {
      const ratio = row === ebmlStream ? `${vsEbmlStream.toFixed(1)}x (target >= ${TARGET_VS_EBML_STREAM}x)` : row === ebml ? `${format(vsEbml)}x (target >= ${TARGET_VS_EBML}x)` : '';
      return `| ${row.name} | ${mb(row.inputBytes)} | ${format(medianRate(row))} | ${row.runs.map((run) => format(mbPerSecond(row.inputBytes, run))).join(', ')} | ${ratio} |`;
    }),
  ].join('\n');
  const metVsEbmlStream = vsEbmlStream >= TARGET_VS_EBML_STREAM;
  const metVsEbml = vsEbml >= TARGET_VS_EBML;
  const met = metVsEbmlStream && metVsEbml;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT MET');
  // The same comparison by CPU time, so that time a decoder spent not running (waiting for a core on a
  // shared machine, or for a timer) is visible next to the wall-clock figures the targets are judged on.
  const readerCpuRate = medianCpuRate(reader);
  const cpuLine = (row: Row): string => {
    const medianWall = median(row.runs.map((run) => run.seconds));
    const medianCpu = median(row.runs.map((run) => run.cpuSeconds));
    const waits = median(row.runs.map((run) => run.drainWaits));
    return `${row.name}: ${medianCpu.toFixed(2)} s CPU in ${medianWall.toFixed(2)} s wall-clock per run (medians), ${format(medianCpuRate(row))} MB per CPU-second, reader ${format(readerCpuRate / medianCpuRate(row))}x by CPU time; waited for 'drain' ${waits} times per run`;
  };
  const summary = [
    `Reader cost per fragment: ${microsPerFragment.toFixed(1)} µs (${fragmentsPerRun} fragments and ${expected.frames} frames per run; median run ${(medianSeconds * 1000).toFixed(1)} ms).`,
    `Targets (judged on the wall-clock MB/s above): ${met ? 'met' : 'NOT MET'}. Reader vs ebml-stream ${vsEbmlStream.toFixed(1)}x (target >= ${TARGET_VS_EBML_STREAM}x): ${verdict(metVsEbmlStream)}; reader vs ebml ${format(vsEbml)}x (target >= ${TARGET_VS_EBML}x): ${verdict(metVsEbml)}.`,
  ].join('\n');
  const cpuNote = [
    `CPU time (process user + system, all threads; the reader: ${format(readerCpuRate)} MB per CPU-second):`,
    `- ${cpuLine(ebmlStream)}.`,
    `- ${cpuLine(ebml)}.`,
  ].join('\n');

  const section = [
    SECTION_HEADING,
    '',
    `- Date: ${runDate}`,
    `- Machine: ${formatMachine(machine)}`,
    '- Command: `npm run bench:mkv` (`node --import tsx bench/mkv.bench.ts`)',
    `- Input: ${copies} concatenated copies of ${CAPTURES.join(' + ')} (real GetMedia captures from ../shared/fixtures/kvs), ${mb(input.length)} (MB = 10^6 bytes), fed from memory in 64 KiB chunks; every decoder sees all of it, as the same chunks, in the same process; decoders are measured one after the other (reader first), each warmed up for ${WARM_UP_MS / 1000} s (at least one run), then 5 timed runs; no GC is forced between runs. Every run of every decoder found the reader's ${fragmentsPerRun} fragments (Segments) and ${expected.frames} frames (SimpleBlock + Block).`,
    '- The two npm decoders are Transform streams read in flowing mode (a `data` listener); each chunk is written with `write()`, waiting for `drain` whenever it returns false (backpressure honoured, as `pipe` does), then `end()`; a run lasts until `end` is emitted.',
    `- 1-minute load average ${machine.loadAverage.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at the end.`,
    '',
    table,
    '',
    summary,
    '',
    cpuNote,
    '',
  ].join('\n');

  process.stdout.write(`\n${table}\n\n${summary}\n\n${cpuNote}\n`);
  // Only this benchmark's section of bench/RESULTS.md is replaced; the others are kept byte for byte.
  writeResultsSection(RESULTS_FILE, SECTION_HEADING, section);
  return met ? 0 : 1;
}

process.exitCode = await main();
