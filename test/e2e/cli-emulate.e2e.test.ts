import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorStats, FragmentListing } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { DEMO_LIVE_STREAM } from '../../src/emulators/kinesis/kinesis.seed.js';
import type { Fragment } from '../../src/mkv/index.js';
import { readFragments } from '../../src/mkv/index.js';
import { within } from '../helpers/within.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
/** A cold `tsx` start of every emulator takes a few seconds on a busy two-core machine. */
const START_TIMEOUT_MS = 45_000;

/** One `media-graph emulate` process and everything it wrote so far. */
interface EmulateProcess {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** The signal that ended the process, once it has exited by one. */
  signal: NodeJS.Signals | null;
}

const running: ChildProcess[] = [];
const held: Server[] = [];

/** The environment `emulate` gets: the caller's, minus anything that changes what it starts. */
function emulateEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['NODE_ENV', 'EMULATOR_PORTS', 'EMULATOR_DEMO_FRAGMENT_MS', 'LOG_LEVEL']) delete env[name];
  return { ...env, ...extra };
}

function runEmulate(args: readonly string[], extra: Readonly<Record<string, string>> = {}): EmulateProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'emulate', ...args], { cwd: ROOT, env: emulateEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  const run: EmulateProcess = {
    child,
    output,
    signal: null,
    exited: (once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>).then(([code, signal]) => {
      run.signal = signal;
      return code;
    }),
  };
  return run;
}

/** Resolves with the endpoints once the process has printed its first stdout line; rejects if it exits first. */
function endpointsOf(emulate: EmulateProcess): Promise<Record<string, string>> {
  const printed = new Promise<Record<string, string>>((resolve, reject) => {
    const check = (): void => {
      const newline = emulate.output.stdout.indexOf('\n');
      if (newline === -1) return;
      emulate.child.stdout?.off('data', check);
      try {
        resolve(JSON.parse(emulate.output.stdout.slice(0, newline)) as Record<string, string>);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    emulate.child.stdout?.on('data', check);
    void emulate.exited.then((code) => reject(new Error(`emulate exited with ${String(code)} before printing endpoints:\n${emulate.output.stderr}`)));
  });
  return within(printed, START_TIMEOUT_MS, 'the endpoints JSON');
}

/** Sends SIGTERM and resolves with the exit code; a death by signal fails here, naming the signal and stderr. */
async function stop(emulate: EmulateProcess): Promise<number | null> {
  emulate.child.kill('SIGTERM');
  const code = await within(emulate.exited, 10_000, 'emulate to exit after SIGTERM');
  expect(emulate.signal, `emulate died by a signal; its stderr:\n${emulate.output.stderr}`).toBeNull();
  return code;
}

/** A port that was free a moment ago (the kernel hands out ephemeral ports round-robin, so it stays free). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

afterEach(async () => {
  // Only what a failed assertion left behind.
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(held.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

describe('media-graph emulate', () => {
  it('prints only the endpoints JSON on stdout when it logs, so stdout pipes into jq', async () => {
    const emulate = runEmulate([], { LOG_LEVEL: 'info' });
    const endpoints = await endpointsOf(emulate);
    // One endpoint per emulator; the object store's is named after the store in use (s3 or mediastore).
    expect(Object.keys(endpoints)).toEqual(expect.arrayContaining(['kinesis', 'livestreamGrpc', 'livestreamRest', 'oci']));
    expect(Object.keys(endpoints)).toHaveLength(5);
    expect(endpoints['kinesis']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await stop(emulate)).toBe(0);
    // stdout: exactly the one JSON line; every log line (emulators started, stopping) went to stderr.
    expect(emulate.output.stdout.split('\n')).toEqual([JSON.stringify(endpoints), '']);
    const logLines = emulate.output.stderr.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    expect(logLines.filter((line) => line.msg === 'embedded emulator started')).toHaveLength(4);
    expect(logLines.at(-1)?.msg).toBe('stopping the emulators');
  }, 60_000);

  it('restarts in place on the same fixed port when stopped and started again', async () => {
    const port = await freePort();
    const first = runEmulate(['--port', `kinesis=${port}`]);
    expect((await endpointsOf(first))['kinesis']).toBe(`http://127.0.0.1:${port}`);
    const stats = (await (await fetch(`http://127.0.0.1:${port}/_emulator/stats`)).json()) as EmulatorStats;
    expect(stats.streams[DEMO_LIVE_STREAM]).toEqual({ openGetMedia: 0, maxOpenGetMedia: 0, getMediaCalls: 0 });
    expect(await stop(first)).toBe(0);

    // The second start names the port through the environment instead of the flag.
    const second = runEmulate([], { EMULATOR_PORTS: `kinesis=${port}` });
    expect((await endpointsOf(second))['kinesis']).toBe(`http://127.0.0.1:${port}`);
    const again = await fetch(`http://127.0.0.1:${port}/_emulator/fragments?stream=${DEMO_LIVE_STREAM}`);
    expect(again.status).toBe(200);
    expect(((await again.json()) as FragmentListing).fragments.length).toBeGreaterThan(0);
    expect(await stop(second)).toBe(0);
  }, 90_000);

  it('exits 1 with one clear line and starts nothing when a fixed port is already in use', async () => {
    const holder = createServer();
    held.push(holder);
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const address = holder.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const emulate = runEmulate(['--port', `oci=${address.port}`]);
    expect(await within(emulate.exited, START_TIMEOUT_MS, 'emulate to exit')).toBe(1);
    expect(emulate.output.stdout).toBe('');
    expect(emulate.output.stderr).toBe(`media-graph emulate: port ${address.port} (oci) is already in use; stop what holds it or choose another with --port\n`);
  }, 60_000);

  it('produces a demo-stream fragment every EMULATOR_DEMO_FRAGMENT_MS when it is set', async () => {
    const emulate = runEmulate([], { EMULATOR_DEMO_FRAGMENT_MS: '100' });
    const endpoint = (await endpointsOf(emulate))['kinesis'] ?? '';
    const media = new KinesisVideoMediaClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    try {
      const output = await media.send(new GetMediaCommand({ StreamName: DEMO_LIVE_STREAM, StartSelector: { StartSelectorType: 'NOW' } }));
      if (!(output.Payload instanceof Readable)) throw new Error('GetMedia Payload is not a Node Readable');
      // Counted as they arrive: 21 fragments span 2 s at 100 ms, and would span 40 s at the default 2000 ms.
      const fragments: Fragment[] = [];
      const reading = (async () => {
        for await (const fragment of readFragments(output.Payload as Readable)) {
          fragments.push(fragment);
          if (fragments.length === 21) return;
        }
      })();
      await within(reading, 15_000, '21 demo fragments');
      const stamps = fragments.map((fragment) => fragment.serverTimestamp ?? Number.NaN);
      const spanMs = (stamps.at(-1) ?? 0) - (stamps[0] ?? 0);
      expect(spanMs).toBeGreaterThanOrEqual(1_900);
      expect(spanMs).toBeLessThan(4_000);
      const listing = (await (await fetch(`${endpoint}/_emulator/fragments?stream=${DEMO_LIVE_STREAM}`)).json()) as FragmentListing;
      expect(new Set(listing.fragments.map((fragment) => fragment.durationMs))).toEqual(new Set([100]));
    } finally {
      media.destroy();
      await stop(emulate);
    }
  }, 60_000);

  it('prints its usage with --help and exits 2 with the usage when given an unknown option or endpoint', async () => {
    // Four independent runs at once: each spends most of its time starting tsx.
    const help = runEmulate(['--help']);
    const bad = runEmulate(['--bogus']);
    const malformed = runEmulate(['--port', 'kinesis']);
    const unknown = runEmulate(['--port', 'nosuch=0']);
    const codes = await within(Promise.all([help.exited, bad.exited, malformed.exited, unknown.exited]), 2 * START_TIMEOUT_MS, 'the four emulate runs');
    expect(codes).toEqual([0, 2, 2, 2]);
    expect(help.output.stdout).toMatch(/^Usage: media-graph emulate \[--port NAME=PORT\]/);
    expect(help.output.stdout).toContain('EMULATOR_DEMO_FRAGMENT_MS');
    expect(bad.output.stderr).toMatch(/^media-graph emulate: unknown option '--bogus'\n\nUsage: media-graph emulate/);
    expect(malformed.output.stderr).toMatch(/--port: 'kinesis' must be name=port/);
    expect(unknown.output.stdout).toBe('');
    expect(unknown.output.stderr).toMatch(/^media-graph emulate: unknown endpoint 'nosuch' in --port or EMULATOR_PORTS; known: .*kinesis/m);
  }, 120_000);
});
