import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CliIo } from './cli-io.js';
import { parseCommandLine, usageFailure, UsageError } from './cli-args.js';
import { fragmentToJson } from '../mkv/fragment-json.mapper.js';
import { readFragments } from '../mkv/fragment-reader.js';
import { MalformedMediaError } from '../mkv/malformed-media.error.js';

const USAGE = `Usage: media-graph mkv inspect FILE

Prints one JSON line per fragment (EBML document) of FILE, a Kinesis GetMedia capture or a Matroska
file; FILE '-' reads stdin (a file named '-' is './-'). The input is streamed, never loaded whole.

Options:
  -h, --help   print this help

Exit status: 0 read to the end (a cut-off input prints its last fragment with "complete": false),
1 the input could not be read, 2 malformed input (the error and its byte offset go to stderr, after
the fragments read before it; an input without any EBML document, such as an empty or a text file,
is malformed) or bad usage.
`;

// 64 KiB reads: large enough that per-chunk overhead vanishes, small enough to stay cache-resident.
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Runs `media-graph mkv <args>`; resolves with the exit code: 0 ok, 1
 * unreadable input, 2 malformed input (including input with no EBML document at all) or bad usage.
 * Writes fragments to `io.stdout` with backpressure, diagnostics to `io.stderr`.
 * @throws only for unexpected failures (a bug or a broken stdout); input problems are exit codes.
 */
export async function runMkvCommand(args: readonly string[], io: CliIo): Promise<number> {
  let file: string;
  try {
    const { values, positionals } = parseCommandLine(() =>
      parseArgs({ args: [...args], options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }),
    );
    if (values.help === true) {
      io.stdout.write(USAGE);
      return 0;
    }
    file = inspectTarget(positionals);
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, 'mkv', error.message, USAGE);
    throw error;
  }
  return inspect(file, io);
}

/** The FILE of `inspect FILE`. @throws UsageError for any other command line. */
function inspectTarget(positionals: readonly string[]): string {
  const [subcommand, file, ...extra] = positionals;
  if (subcommand === undefined) throw new UsageError('missing subcommand (inspect)');
  if (subcommand !== 'inspect') throw new UsageError(`unknown subcommand '${subcommand}'`);
  if (file === undefined) throw new UsageError('missing FILE (a path, or - for stdin)');
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0] ?? ''}': inspect reads one FILE`);
  return file;
}

async function inspect(file: string, io: CliIo): Promise<number> {
  const fileStream = file === '-' ? null : createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  const source = fileStream ?? io.stdin;
  // A write error (the reader of our output went away: `| head`) must not be taken for a read error.
  let outputError: NodeJS.ErrnoException | null = null;
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    outputError = error;
  };
  io.stdout.on('error', onOutputError);
  try {
    // Without an EBML document the input is not Matroska at all (an empty or a text file): malformed, not "no fragments".
    for await (const fragment of readFragments(binaryChunks(source), { requireDocument: true })) {
      if (!io.stdout.write(`${JSON.stringify(fragmentToJson(fragment))}\n`)) await writable(io.stdout);
      // Leaving the loop returns the generator, which destroys the source: no more reading.
      if (outputError !== null) break;
    }
  } catch (error) {
    if (error instanceof MalformedMediaError) {
      io.stderr.write(`media-graph mkv inspect: malformed media: ${error.message}\n`);
      return 2;
    }
    if (isSystemError(error)) {
      io.stderr.write(`media-graph mkv inspect: cannot read ${file === '-' ? 'stdin' : file}: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    io.stdout.off('error', onOutputError);
    fileStream?.destroy();
  }
  return outputResult(outputError, io);
}

// A closed pipe is a normal way for a consumer to say "enough" (exit 0); any other write error is a failure.
function outputResult(error: NodeJS.ErrnoException | null, io: CliIo): number {
  if (error === null || error.code === 'EPIPE') return 0;
  io.stderr.write(`media-graph mkv inspect: cannot write output: ${error.message}\n`);
  return 1;
}

// Resolves once `stream` can take more data, or has failed or closed (the caller checks which).
function writable(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}

async function* binaryChunks(stream: NodeJS.ReadableStream): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError('mkv inspect needs a binary stream (an encoding was set on the input)');
    }
    yield chunk;
  }
}

function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
