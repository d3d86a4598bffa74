import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { runMkvCommand } from '../../../src/cli/mkv.command.js';
import { writeFragment, writeMergedFragments, type FragmentInput } from '../../../src/mkv/mkv-writer.js';
import { makeSyntheticFrames, syntheticH264Track } from '../../../src/mkv/synthetic-h264.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mkv-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fragment(n: number, extra: Partial<FragmentInput> = {}): Buffer {
  return Buffer.concat(
    writeFragment({
      tracks: [syntheticH264Track(640, 360)],
      frames: makeSyntheticFrames({ count: 5, frameBytes: 300, keyframeInterval: 5 }),
      clusterTimecode: n * 2000,
      fragmentNumber: `9134385233318143239268206260774392014615916939${n}`,
      serverTimestamp: 1_511_852_109_126 + n,
      producerTimestamp: 1_511_852_108_513 + n,
      millisBehindNow: 100 - n,
      continuationToken: `token-${n}`,
      ...extra,
    }),
  );
}

const THREE = Buffer.concat([fragment(1), fragment(2), fragment(3)]);
const files = {
  three: join(dir, 'three.mkv'),
  cut: join(dir, 'cut.mkv'),
  malformed: join(dir, 'malformed.mkv'),
};
writeFileSync(files.three, THREE);
writeFileSync(files.cut, THREE.subarray(0, THREE.length - 700));
const firstTwo = Buffer.concat([fragment(1), fragment(2)]);
writeFileSync(files.malformed, Buffer.concat([firstTwo, Buffer.from([0x00, 0x01, 0x02])]));

interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sink(into: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      into.push(chunk);
      callback();
    },
  });
}

async function run(args: readonly string[], stdin: Buffer = Buffer.alloc(0)): Promise<Captured> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: CliIo = { stdout: sink(out), stderr: sink(err), stdin: Readable.from([stdin]) };
  const code = await runMkvCommand(args, io);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

async function spawnCli(args: readonly string[], stdin?: Buffer): Promise<Captured> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: REPO_ROOT, stdio: 'pipe' });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  child.stdin.end(stdin ?? Buffer.alloc(0));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

function lines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('runMkvCommand', () => {
  it('prints one JSON line per fragment with ISO timestamps and null for absent values when given a file', async () => {
    const result = await run(['inspect', files.three]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const printed = lines(result.stdout);
    expect(printed).toHaveLength(3);
    expect(printed[0]).toMatchObject({
      sequence: 0,
      fragmentNumber: '91343852333181432392682062607743920146159169391',
      serverTimestamp: '2017-11-28T06:55:09.127Z',
      producerTimestamp: '2017-11-28T06:55:08.514Z',
      millisBehindNow: 99,
      continuationToken: 'token-1',
      errorCode: null,
      errorId: null,
      clusterTimecode: 2000,
      frameCount: 5,
      keyframeCount: 1,
      trackStats: [{ trackNumber: 1, frameCount: 5, keyframeCount: 1, payloadBytes: 1500 }],
      tracks: [{ trackNumber: 1, codecId: 'V_MPEG4/ISO/AVC', pixelWidth: 640, pixelHeight: 360 }],
      tags: [],
      complete: true,
    });
    expect(printed.map((line) => line.clusterTimecode)).toEqual([2000, 4000, 6000]);
  });

  it('prints one line per fragment number and exits 0 when the file was merged into one Segment (KVS OutputSegmentMerger)', async () => {
    const inputs = [1, 2, 3].map((n): FragmentInput => ({
      tracks: [syntheticH264Track(640, 360)],
      frames: makeSyntheticFrames({ count: 5, frameBytes: 300, keyframeInterval: 5 }),
      clusterTimecode: n * 2000,
      fragmentNumber: `9134385233318143239268206260774392014615916939${n}`,
      continuationToken: `token-${n}`,
    }));
    const result = await run(['inspect', '-'], Buffer.concat(writeMergedFragments(inputs)));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(lines(result.stdout).map((line) => [line.sequence, line.fragmentNumber, line.frameCount, line.continuationToken])).toEqual(
      inputs.map((input, index) => [index, input.fragmentNumber, 5, input.continuationToken]),
    );
  });

  it('reads stdin when the file is -', async () => {
    const result = await run(['inspect', '-'], THREE);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toHaveLength(3);
  });

  it('prints the partial last fragment with complete false and exits 0 when the input is cut off', async () => {
    const result = await run(['inspect', files.cut]);
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((line) => line.complete)).toEqual([true, true, false]);
  });

  it('prints what was read, then the error with its byte offset on stderr, and exits 2 when the input is malformed', async () => {
    const result = await run(['inspect', files.malformed]);
    expect(result.code).toBe(2);
    expect(lines(result.stdout).map((line) => [line.sequence, line.complete])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(result.stderr).toBe(`media-graph mkv inspect: malformed media: invalid element id byte 0x0 at byte ${firstTwo.length} (Segment)\n`);
  });

  it('prints usage on stderr and exits 2 when the subcommand is unknown or the file is missing', async () => {
    const unknown = await run(['frobnicate', 'x.mkv']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown subcommand 'frobnicate'[\s\S]*Usage: media-graph mkv inspect FILE/);
    expect((await run([])).code).toBe(2);
    expect((await run(['inspect'])).code).toBe(2);
    expect((await run(['inspect', 'a', 'b'])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage/);
  });

  it.each([
    ['empty', Buffer.alloc(0), 0],
    ['a text file', Buffer.from('hello world\nthis is not Matroska\n'), 33],
    ['only a Void element', Buffer.from([0xec, 0x82, 0x00, 0x00]), 4],
  ])('exits 2 with a message naming the missing EBML document when the input is %s', async (_label, input, end) => {
    const file = join(dir, `no-document-${String(end)}.bin`);
    writeFileSync(file, input);
    for (const result of [await run(['inspect', file]), await run(['inspect', '-'], input)]) {
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `media-graph mkv inspect: malformed media: no EBML document: the input ended without an EBML header or Segment at byte ${String(end)}\n`,
      });
    }
  });

  it('prints usage on stderr and exits 2 when an option is unknown', async () => {
    const result = await run(['inspect', '--frobnicate', files.three]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^media-graph mkv: unknown option '--frobnicate'.*\n\nUsage: media-graph mkv inspect FILE/);
    const help = await run(['inspect', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: media-graph mkv inspect FILE/);
  });

  it('exits 1 with the reason on stderr when the file cannot be read', async () => {
    const result = await run(['inspect', join(dir, 'absent.mkv')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot read .*absent\.mkv: ENOENT/);
  });
});

describe('media-graph mkv inspect (process)', () => {
  it('prints fragments and exits 0 when run as a process on a file', async () => {
    const result = await spawnCli(['mkv', 'inspect', files.three]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((line) => line.fragmentNumber)).toEqual([
      '91343852333181432392682062607743920146159169391',
      '91343852333181432392682062607743920146159169392',
      '91343852333181432392682062607743920146159169393',
    ]);
  });

  it('stops quietly with exit 0 when its output pipe is closed early', async () => {
    const manyFile = join(dir, 'many.mkv');
    writeFileSync(manyFile, Buffer.concat(Array.from({ length: 1000 }, () => THREE)));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'mkv', 'inspect', manyFile], { cwd: REPO_ROOT, stdio: 'pipe' });
    const err: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code] = (await once(child, 'close')) as [number | null];
    expect(Buffer.concat(err).toString('utf8')).toBe('');
    expect(code).toBe(0);
  });

  it('exits 2 with a message when run as a process on empty stdin', async () => {
    const result = await spawnCli(['mkv', 'inspect', '-'], Buffer.alloc(0));
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'media-graph mkv inspect: malformed media: no EBML document: the input ended without an EBML header or Segment at byte 0\n',
    });
  });

  it('exits 2 with the byte offset on stderr when run as a process on malformed stdin', async () => {
    const result = await spawnCli(['mkv', 'inspect', '-'], Buffer.concat([firstTwo, Buffer.from([0x00])]));
    expect(result.code).toBe(2);
    expect(lines(result.stdout)).toHaveLength(2);
    expect(result.stderr).toContain(`at byte ${firstTwo.length}`);
  });
});
