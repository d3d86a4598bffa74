/**
 * MKV reader throughput (`npm run bench:mkv`).
 *
 * Feeds the same in-memory input, at least 200 MiB of concatenated real Kinesis GetMedia captures cut
 * into 64 KiB chunks, to our FragmentReader (all fragment metadata and per-track frame counts), to
 * the npm `ebml-stream` decoder and, on a prefix because it is ~1000x slower, to the npm `ebml`
 * decoder, all in this one process. Reports the median MB/s of 5 timed runs each (after warm-up
 * runs), the reader's cost per fragment, prints a table, records it in bench/RESULTS.md, and exits 1
 * when a target is missed: reader >= 10x ebml-stream and >= 500x ebml.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { EbmlParser, type EbmlVisitor } from '../src/mkv/ebml-parser.js';
import { FragmentReader } from '../src/mkv/fragment-reader.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'kvs');
const RESULTS_FILE = resolve(REPO_ROOT, 'bench', 'RESULTS.md');
const SECTION_HEADING = '## MKV reader (npm run bench:mkv)';
const CAPTURES = ['output_get_media.mkv', 'test_mixed_tags.mkv', 'empty-mkv-with-tags.mkv'];
const MIN_INPUT_BYTES = 200 * 1024 * 1024;
const EBML_PREFIX_BYTES = 32 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const RUNS = 5;
const WARM_UP_MS = 3000;
const TARGET_VS_EBML_STREAM = 10;
const TARGET_VS_EBML = 500;
const RUN_DATE = '2026-11-21';

const require = createRequire(import.meta.url);
// Neither package is imported statically: `ebml` ships no types, so both are typed here by the
// little of their Transform-stream API the benchmark uses.
const { EbmlStreamDecoder } = require('ebml-stream') as { EbmlStreamDecoder: new () => Transform };
const { Decoder: EbmlDecoder } = require('ebml') as { Decoder: new () => Transform };
const ebmlStreamVersion = (require('ebml-stream/package.json') as { version: string }).version;
const ebmlVersion = (require('ebml/package.json') as { version: string }).version;

interface Run {
  readonly seconds: number;
  readonly fragments: number;
  readonly frames: number;
}

interface Row {
  readonly name: string;
  readonly inputBytes: number;
  readonly runs: readonly Run[];
}

function now(): bigint {
  return process.hrtime.bigint();
}

function secondsSince(start: bigint): number {
  return Number(now() - start) / 1e9;
}

function chunksOf(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += CHUNK_BYTES) chunks.push(data.subarray(i, i + CHUNK_BYTES));
  return chunks;
}

function runReader(chunks: readonly Buffer[]): Run {
  let fragments = 0;
  let frames = 0;
  const start = now();
  const reader = new FragmentReader((fragment) => {
    fragments++;
    frames += fragment.frameCount;
  });
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return { seconds: secondsSince(start), fragments, frames };
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
  const start = now();
  const parser = new EbmlParser(visitor);
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { seconds: secondsSince(start), fragments: segments, frames };
}

// Reference point: copying every byte once.
function runMemcpy(chunks: readonly Buffer[]): Run {
  const target = Buffer.allocUnsafe(CHUNK_BYTES);
  const start = now();
  for (const chunk of chunks) chunk.copy(target, 0);
  return { seconds: secondsSince(start), fragments: 0, frames: 0 };
}

async function runDecoder(chunks: readonly Buffer[], decoder: Transform, classify: (item: unknown) => 'segment' | 'frame' | null): Promise<Run> {
  let fragments = 0;
  let frames = 0;
  const start = now();
  const finished = new Promise<void>((resolveEnd, reject) => {
    decoder.on('end', resolveEnd);
    decoder.on('error', reject);
  });
  decoder.on('data', (item: unknown) => {
    const kind = classify(item);
    if (kind === 'segment') fragments++;
    else if (kind === 'frame') frames++;
  });
  for (const chunk of chunks) decoder.write(chunk);
  decoder.end();
  await finished;
  return { seconds: secondsSince(start), fragments, frames };
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

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

async function main(): Promise<number> {
  if (!CAPTURES.every((name) => existsSync(resolve(FIXTURES, name)))) {
    process.stderr.write(`bench:mkv: the Kinesis captures are missing from ${FIXTURES}\n`);
    return 2;
  }
  const loadAtStart = loadavg()[0] ?? 0;
  const unit = Buffer.concat(CAPTURES.map((name) => readFileSync(resolve(FIXTURES, name))));
  const copies = Math.ceil(MIN_INPUT_BYTES / unit.length);
  const input = Buffer.concat(Array.from({ length: copies }, () => unit));
  const chunks = chunksOf(input);
  const prefixChunks = chunksOf(input.subarray(0, EBML_PREFIX_BYTES));
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
    {
      name: `ebml ${ebmlVersion} Decoder (on a ${mb(EBML_PREFIX_BYTES)} prefix)`,
      inputBytes: EBML_PREFIX_BYTES,
      run: () => runDecoder(prefixChunks, new EbmlDecoder(), classifyEbml),
    },
    { name: 'reference: Buffer#copy of every chunk (memcpy)', inputBytes: input.length, run: () => runMemcpy(chunks) },
  ]);
  if (reader === undefined || scan === undefined || ebmlStream === undefined || ebml === undefined || memcpy === undefined) {
    throw new Error('bench:mkv: missing measurements');
  }

  // Sanity: both full-input decoders must have seen the same fragments and frames as the reader.
  const expected = reader.runs[0];
  for (const row of [scan, ebmlStream]) {
    const run = row.runs[0];
    if (expected === undefined || run === undefined || run.frames !== expected.frames || run.fragments !== expected.fragments) {
      process.stderr.write(`bench:mkv: ${row.name} disagrees with the reader on fragment/frame counts\n`);
      return 1;
    }
  }

  const readerRate = medianRate(reader);
  const vsEbmlStream = readerRate / medianRate(ebmlStream);
  const vsEbml = readerRate / medianRate(ebml);
  const fragmentsPerRun = expected?.fragments ?? 0;
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
  const met = vsEbmlStream >= TARGET_VS_EBML_STREAM && vsEbml >= TARGET_VS_EBML;
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const summary = [
    `Reader cost per fragment: ${microsPerFragment.toFixed(1)} µs (${fragmentsPerRun} fragments and ${expected?.frames ?? 0} frames per run; median run ${(medianSeconds * 1000).toFixed(1)} ms).`,
    `Targets: ${met ? 'met' : 'MISSED'} (reader ${vsEbmlStream.toFixed(1)}x ebml-stream, ${format(vsEbml)}x ebml).`,
  ].join('\n');

  const section = [
    SECTION_HEADING,
    '',
    `- Date: ${RUN_DATE}`,
    `- Machine: ${cpu}, ${cpus().length} cores, Node ${process.version}`,
    '- Command: `npm run bench:mkv` (`node --import tsx bench/mkv.bench.ts`)',
    `- Input: ${copies} concatenated copies of ${CAPTURES.join(' + ')} (real GetMedia captures from ../shared/fixtures/kvs), ${mb(input.length)} (MB = 10^6 bytes), fed from memory in 64 KiB chunks; every decoder sees the same chunks in the same process; decoders are measured one after the other (reader first), each warmed up for ${WARM_UP_MS / 1000} s, then 5 timed runs; no GC is forced between runs.`,
    `- The \`ebml\` decoder runs on the first ${mb(EBML_PREFIX_BYTES)} of that input only (at its speed the full input would take about ${Math.round(input.length / 1e6 / medianRate(ebml))} s per run); its MB/s is over that prefix.`,
    `- The machine is shared (1-minute load average ${loadAtStart.toFixed(2)} at start), so absolute MB/s move by tens of percent between runs; compare rows of one run. The reader and the scan are bound by memory latency: they read only element headers, and each block header is a cache and TLB miss about 9 KB after the previous one, while memcpy streams sequentially.`,
    '',
    table,
    '',
    summary,
    '',
  ].join('\n');

  process.stdout.write(`\n${table}\n\n${summary}\n`);
  writeResults(section);
  return met ? 0 : 1;
}

// Adds or replaces only this benchmark's section of bench/RESULTS.md.
function writeResults(section: string): void {
  const current = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '# Benchmark results\n';
  const start = current.indexOf(SECTION_HEADING);
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const after = current.indexOf('\n## ', start + SECTION_HEADING.length);
    next = `${current.slice(0, start)}${section}${after < 0 ? '' : `\n${current.slice(after + 1)}`}`;
  }
  writeFileSync(RESULTS_FILE, next.endsWith('\n') ? next : `${next}\n`);
}

process.exitCode = await main();
