import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { ConfigError, loadConfig, parseEndpointPorts } from '../config.js';
import { parseCommandLine, usageFailure, UsageError } from './cli-args.js';
import type { CliIo } from './cli-io.js';
import { startEmbeddedEmulators } from '../server/providers/registry.js';
import { createLogger } from '../core/logger.js';
import { listenForStop } from './stop-signals.js';

const USAGE = `Usage: media-graph emulate [--port NAME=PORT]...

Starts only the embedded emulators, seeded with demo data (the live Kinesis stream is demo-stream), prints
their endpoints as one JSON object on stdout, e.g.
  {"s3":"http://127.0.0.1:4567","kinesis":"http://127.0.0.1:4566","livestreamGrpc":"127.0.0.1:…",…}
and runs until SIGTERM or SIGINT. Log lines go to stderr, so stdout can be piped to jq.

Options:
  -p, --port NAME=PORT   bind that endpoint to a fixed loopback port (repeatable; 0 = a free port).
                         NAME is a key of the printed JSON: kinesis, s3 (mediastore with
                         OBJECT_STORE=mediastore), livestreamGrpc, livestreamRest, oci. Without it every
                         endpoint gets a free port.
  -h, --help             print this help

Environment:
  EMULATOR_PORTS             the same as --port, comma-separated (kinesis=4566,s3=4567);
                             --port wins for the names it gives
  EMULATOR_DEMO_FRAGMENT_MS  milliseconds between demo-stream fragments (default 2000; 100 = 10/s)
  LOG_LEVEL                  log threshold (default info)

Exit status: 0 after a signal, 1 when a port cannot be bound (already in use, or not allowed),
2 bad usage or configuration.
`;

/** Cloud settings that would otherwise turn an emulator off: `emulate` always starts every emulator. */
const CLOUD_SETTINGS = ['S3_ENDPOINT', 'S3_BUCKET', 'MEDIASTORE_ENDPOINT', 'KINESIS_ENDPOINT', 'OCI_ENDPOINT', 'OCI_TENANCY_ID', 'LIVESTREAM_PROJECT'] as const;

/** A listen failure of a fixed port: its errno code and port, when `error` is one. */
function bindFailure(error: unknown): { readonly code: string; readonly port: number } | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, port } = error as NodeJS.ErrnoException & { port?: unknown };
  if ((code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') && typeof port === 'number') return { code, port };
  // gRPC servers wrap the listen error in a message of their own: "... errors: [listen EADDRINUSE: ... 127.0.0.1:4568]".
  const wrapped = /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL)\b[^\]]*:(\d+)\]?/.exec(error.message);
  return wrapped?.[1] === undefined ? undefined : { code: wrapped[1], port: Number(wrapped[2]) };
}

/**
 * Binds and releases each fixed port on the loopback interface before any emulator starts, so a taken port is
 * reported before anything else has started or logged. (A port taken in between is still caught at start.)
 */
async function firstUnbindablePort(ports: Readonly<Record<string, number>>): Promise<{ readonly code: string; readonly port: number } | undefined> {
  for (const port of new Set(Object.values(ports).filter((value) => value > 0))) {
    const failure = await new Promise<{ code: string; port: number } | undefined>((resolve) => {
      const probe = createServer();
      probe.once('error', (error: NodeJS.ErrnoException) => resolve({ code: error.code ?? 'EINVAL', port }));
      probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(undefined)));
    });
    if (failure !== undefined) return failure;
  }
  return undefined;
}

function bindMessage(failure: { readonly code: string; readonly port: number }, ports: Readonly<Record<string, number>>): string {
  const names = Object.keys(ports).filter((name) => ports[name] === failure.port);
  const what = `port ${failure.port}${names.length > 0 ? ` (${names.join(', ')})` : ''}`;
  switch (failure.code) {
    case 'EADDRINUSE':
      return `${what} is already in use; stop what holds it or choose another with --port`;
    case 'EACCES':
      return `${what} may not be bound by this user; choose a port above 1023 with --port`;
    default:
      return `${what} cannot be bound on 127.0.0.1 (${failure.code})`;
  }
}

/**
 * `media-graph emulate`: starts only the embedded emulators (seeded with demo data) on the ports asked for,
 * prints their endpoints as one JSON line on stdout (logs go to stderr), and stops them on SIGTERM/SIGINT.
 * Resolves with the exit code: 0 after a signal, 1 when a fixed port cannot be bound (nothing is left running),
 * 2 for bad usage or configuration.
 * @throws only for unexpected failures of an emulator.
 */
export async function runEmulate(args: readonly string[], io: CliIo): Promise<number> {
  let portEntries: readonly string[];
  try {
    const { values } = parseCommandLine(() =>
      parseArgs({
        args: [...args],
        options: { port: { type: 'string', short: 'p', multiple: true }, help: { type: 'boolean', short: 'h' } },
        allowPositionals: false,
        strict: true,
      }),
    );
    if (values.help === true) {
      io.stdout.write(USAGE);
      return 0;
    }
    portEntries = values.port ?? [];
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, 'emulate', error.message, USAGE);
    throw error;
  }
  let config: Config;
  let ports: Readonly<Record<string, number>>;
  try {
    const env: Record<string, string | undefined> = { ...process.env, EMULATORS: 'auto' };
    for (const name of CLOUD_SETTINGS) env[name] = undefined;
    config = loadConfig(env);
    ports = { ...config.emulator.ports, ...parseEndpointPorts(portEntries, '--port') };
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`media-graph emulate: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const taken = await firstUnbindablePort(ports);
  if (taken !== undefined) {
    io.stderr.write(`media-graph emulate: ${bindMessage(taken, ports)}\n`);
    return 1;
  }
  const logger = createLogger(config.logLevel, io.stderr);
  let emulators;
  try {
    emulators = await startEmbeddedEmulators({ config, logger }, { seedDemo: true, ports });
  } catch (error) {
    // The registry has already closed the emulators that did start.
    const failure = bindFailure(error);
    if (failure === undefined) throw error;
    io.stderr.write(`media-graph emulate: ${bindMessage(failure, ports)}\n`);
    return 1;
  }
  // Endpoint names come from the wiring modules, so a misspelt name can only be told once they have started.
  const unknown = Object.keys(ports).filter((name) => !(name in emulators.endpoints));
  if (unknown.length > 0) {
    await emulators.close();
    io.stderr.write(`media-graph emulate: unknown endpoint ${unknown.map((name) => `'${name}'`).join(', ')} in --port or EMULATOR_PORTS; known: ${Object.keys(emulators.endpoints).join(', ')}\n`);
    return 2;
  }
  const stop = listenForStop(io.stderr, 'media-graph emulate: second signal, exiting now');
  io.stdout.write(`${JSON.stringify(emulators.endpoints)}\n`);
  const signal = await stop.first;
  logger.info({ signal }, 'stopping the emulators');
  await emulators.close();
  stop.dispose();
  return 0;
}
