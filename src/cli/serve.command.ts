import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { TenantConfigError } from '../auth/tenants.js';
import { ConfigError, configWarnings, loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { parseCommandLine, usageFailure, UsageError } from './cli-args.js';
import type { CliIo } from './cli-io.js';
import { routeConsoleToLog } from './console-to-log.js';
import { listenForStop } from './stop-signals.js';

const USAGE = `Usage: media-graph serve

Starts the GraphQL gateway on HOST:PORT (default 127.0.0.1:4000): GraphQL over HTTP and graphql-ws at
/graphql, Server-Sent Events at /graphql/stream, the IDE at /graphiql, /healthz and /readyz. Every provider
without cloud settings runs on an embedded emulator seeded with demo data. Runs until SIGTERM or SIGINT,
then shuts down gracefully (a second signal exits at once).

Options:
  -h, --help   print this help

Configuration comes only from environment variables (docs/configuration.md), e.g. PORT, HOST,
PUBLIC_BASE_URL, LOG_LEVEL, EMULATORS. Logs are JSON lines on stdout, with one plain line
(media-graph: GraphQL at ...) once it listens.

Exit status: 0 after a signal and a graceful shutdown, 1 when HOST:PORT cannot be bound (in use, not
allowed, or not an address of this machine), 2 bad usage or configuration.
`;

/** A failure to bind a listening address: the errno code Node reported (`EADDRINUSE`, `EACCES`, ...). */
interface BindFailure {
  readonly code: string;
  /** The address and port that failed when not `HOST:PORT` (the gateway also binds e.g. `METRICS_PORT`). */
  readonly address?: string;
  readonly port?: number;
}

/**
 * `media-graph serve`: starts the gateway (embedded, demo-seeded emulators for unconfigured providers) and
 * resolves with the exit code after SIGTERM/SIGINT triggered a graceful shutdown. A second signal forces exit.
 * A port that cannot be bound is found before anything starts; one lost to a race while starting is reported the
 * same way after the gateway has closed what it started.
 * @returns 0 after a graceful shutdown, 1 when HOST:PORT cannot be bound, 2 for bad usage or configuration, each
 * failure with one line on stderr.
 * @throws only for unexpected failures while starting (the caller prints them).
 */
export async function runServe(args: readonly string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseCommandLine(() =>
      parseArgs({ args: [...args], options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }),
    );
    if (values.help === true) {
      io.stdout.write(USAGE);
      return 0;
    }
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, 'serve', error.message, USAGE);
    throw error;
  }

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`media-graph: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  // Binding and releasing the port first makes a taken port a one-line failure before any emulator starts and
  // before the gateway's modules load, which takes seconds on a busy machine.
  const taken = await probeBind(config.host, config.port);
  if (taken !== undefined) {
    io.stderr.write(`media-graph: ${bindMessage(taken, config)}\n`);
    return 1;
  }

  const logger = createLogger(config.logLevel);
  // From here on, what a dependency prints is a log line too (docs/operations.md, "Logs").
  const restoreConsole = routeConsoleToLog(logger);
  try {
    return await serveWith(config, logger, io);
  } finally {
    restoreConsole();
  }
}

/** Starts the gateway with `logger` and serves until a stop signal; the part of {@link runServe} after the checks. */
async function serveWith(config: Config, logger: Logger, io: CliIo): Promise<number> {
  for (const warning of configWarnings(config)) logger.warn({ host: config.host, port: config.port }, warning);
  const { startGateway } = await import('../server/gateway.js');
  let gateway;
  try {
    gateway = await startGateway(config, { seedDemo: true, logger });
  } catch (error) {
    // Security settings are read at startup: a missing auth setup or a bad tenants/keys file is a usage error.
    if (error instanceof ConfigError || error instanceof TenantConfigError) {
      io.stderr.write(`media-graph: ${error.message}\n`);
      return 2;
    }
    // startGateway has already closed what it started (emulators included) before rethrowing.
    const failure = listenFailure(error);
    if (failure !== undefined) {
      io.stderr.write(`media-graph: ${bindMessage(failure, config)}\n`);
      return 1;
    }
    throw error;
  }
  const stop = listenForStop(io.stderr, 'media-graph: second signal, exiting now');
  io.stdout.write(`media-graph: GraphQL at ${gateway.url}/graphql, IDE at ${gateway.url}/graphiql\n`);
  const signal = await stop.first;
  gateway.services.logger.info({ signal }, 'shutting down');
  await gateway.close();
  stop.dispose();
  return 0;
}

/** Binds `host:port` and releases it; resolves with the failure, or undefined when the bind worked (or port is 0). */
function probeBind(host: string, port: number): Promise<BindFailure | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve({ code: error.code ?? 'EINVAL' }));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

/** The bind failure behind a startGateway rejection, when that is what it was. */
function listenFailure(error: unknown): BindFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, address, port } = error as NodeJS.ErrnoException & { address?: unknown; port?: unknown };
  if (code === undefined || (syscall !== 'listen' && syscall !== 'getaddrinfo')) return undefined;
  return { code, ...(typeof address === 'string' ? { address } : {}), ...(typeof port === 'number' ? { port } : {}) };
}

function bindMessage(failure: BindFailure, config: Config): string {
  const host = failure.address ?? config.host;
  const port = failure.port ?? config.port;
  const where = `cannot listen on ${host.includes(':') ? `[${host.replace(/^\[|\]$/g, '')}]` : host}:${String(port)}`;
  // A port other than PORT failed when the gateway bound one of its other listeners.
  const variable = port === config.port ? 'PORT' : 'the port setting';
  switch (failure.code) {
    case 'EADDRINUSE':
      return `${where}: the port is already in use (EADDRINUSE); stop what holds it or set ${variable} to a free port`;
    case 'EACCES':
      return `${where}: permission denied (EACCES); ports below 1024 need privileges, set ${variable} to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `${where}: HOST is not an address of this machine (EADDRNOTAVAIL); set HOST to one of its addresses`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: HOST does not resolve (${failure.code}); set HOST to an address or a resolvable name`;
    default:
      return `${where} (${failure.code})`;
  }
}
