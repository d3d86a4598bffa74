import { createReadStream } from 'node:fs';
import type { CliIo } from './cli-io.js';
import { fragmentToJson } from '../mkv/fragment-json.mapper.js';
import { readFragments } from '../mkv/fragment-reader.js';
import { MalformedMediaError } from '../mkv/malformed-media.error.js';

const USAGE = `Usage: media-graph mkv inspect FILE

Prints one JSON line per fragment (EBML document) of FILE, a Kinesis GetMedia capture or a Matroska
file; FILE '-' reads stdin. The input is streamed, never loaded whole.

Exit status: 0 read to the end (a cut-off input prints its last fragment with "complete": false),
1 the input could not be read, 2 malformed input (the error and its byte offset go to stderr, after
the fragments read before it) or bad usage.
`;

// 64 KiB reads: large enough that per-chunk overhead vanishes, small enough to stay cache-resident.
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Runs `media-graph mkv <args>`; resolves with the exit code: 0 ok, 1
 * unreadable input, 2 malformed input or bad usage. Writes fragments to
 * `io.stdout` with backpressure, diagnostics to `io.stderr`.
 * @throws only for unexpected failures (a bug or a broken stdout); input problems are exit codes.
 */
export async function runMkvCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'help' || subcommand === '--help' || subcommand === '-h') {
    io.stdout.write(USAGE);
    return 0;
  }
  const file = rest[0];
  if (subcommand !== 'inspect' || file === undefined || rest.length !== 1) {
    io.stderr.write(
      subcommand === undefined || subcommand === 'inspect'
        ? USAGE
        : `media-graph mkv: unknown subcommand '${subcommand}'\n\n${USAGE}`,
    );
    return 2;
  }
  return inspect(file, io);
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
    for await (const fragment of readFragments(binaryChunks(source))) {
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
