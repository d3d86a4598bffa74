import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { runCli } from '../../../src/main.js';

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

async function run(argv: readonly string[]): Promise<Captured> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: CliIo = { stdout: sink(out), stderr: sink(err), stdin: Readable.from([]) };
  const code = await runCli(argv, io);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Every command, with the words its usage line starts with. */
const COMMANDS: ReadonlyArray<readonly [readonly string[], string]> = [
  [['serve'], 'Usage: media-graph serve'],
  [['emulate'], 'Usage: media-graph emulate'],
  [['print-schema'], 'Usage: media-graph print-schema'],
  [['mkv', 'inspect'], 'Usage: media-graph mkv inspect FILE'],
  [['api-key', 'create'], 'Usage: media-graph api-key create'],
];

describe('runCli', () => {
  it.each([[['--help']], [['-h']], [['help']]])('prints the command list on stdout and exits 0 when given %j', async (argv) => {
    const result = await run(argv);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: media-graph <command>/);
    for (const [words] of COMMANDS) expect(result.stdout).toContain(`  ${words[0] ?? ''} `);
  });

  it.each([
    [[], 'media-graph: missing command'],
    [['frobnicate'], "media-graph: unknown command 'frobnicate'"],
    [['--frobnicate', 'serve'], "media-graph: unknown option '--frobnicate'"],
  ])('writes one line and the usage on stderr and exits 2 when given %j', async (argv, line) => {
    const result = await run(argv);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr.split('\n').slice(0, 3)).toEqual([line, '', 'Usage: media-graph <command> [options]']);
  });

  it.each(COMMANDS)('prints the usage of %j on stdout and exits 0 when given --help', async (words, usage) => {
    for (const help of ['--help', '-h']) {
      const result = await run([...words, help]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout.startsWith(usage)).toBe(true);
      expect(result.stdout).toMatch(/Exit status:/);
    }
  });

  it.each(COMMANDS)('writes one line naming the option, then the usage, on stderr and exits 2 when %j gets an unknown option', async (words, usage) => {
    const result = await run([...words, '--frobnicate']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    const [line, blank, ...rest] = result.stderr.split('\n');
    expect(line).toMatch(new RegExp(`^media-graph ${words[0] ?? ''}: unknown option '--frobnicate'`, 'i'));
    expect(blank).toBe('');
    expect(rest.join('\n').startsWith(usage)).toBe(true);
  });
});
