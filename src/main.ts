import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseCommandLine, usageFailure, UsageError } from './cli/cli-args.js';
import type { CliIo } from './cli/cli-io.js';

export type { CliIo } from './cli/cli-io.js';

const USAGE = `Usage: media-graph <command> [options]

Commands:
  serve               start the GraphQL gateway (embedded emulators unless cloud endpoints are configured)
  emulate             start only the embedded emulators and print their endpoints
  print-schema        print the federated SDL (what schema/schema.graphql must equal)
  mkv inspect FILE    print one JSON line per Kinesis fragment in FILE ('-' reads stdin)
  api-key create      make a partner API key: prints the key once and the entry for AUTH_API_KEYS_FILE

Options:
  -h, --help          print this help; 'media-graph <command> --help' prints a command's own

Configuration comes from environment variables (docs/configuration.md).
Exit status: 0 ok, 1 failure (unreadable input, a port that cannot be bound), 2 bad usage, configuration or input.
`;

type Command = (args: readonly string[], io: CliIo) => Promise<number>;

// Each command is loaded only when run: `serve` pulls in the whole server, which `mkv inspect` has no use for.
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => (await import('./cli/serve.command.js')).runServe,
  emulate: async () => (await import('./cli/emulate.command.js')).runEmulate,
  'print-schema': async () => (await import('./cli/print-schema.command.js')).runPrintSchema,
  mkv: async () => (await import('./cli/mkv.command.js')).runMkvCommand,
  'api-key': async () => (await import('./cli/api-key.command.js')).runApiKey,
};

/**
 * Runs one CLI command and resolves with the process exit code (0 ok, 1 failure, 2 bad usage, configuration or
 * input). A usage error writes one line and the usage to stderr. Long-running commands (`serve`, `emulate`)
 * resolve only after a graceful shutdown.
 * @throws only for unexpected failures inside a command (the entry point prints them and exits 1).
 */
export async function runCli(argv: readonly string[], io: CliIo = process): Promise<number> {
  // Options before the command are ours; everything from the command on belongs to the command's own parser.
  const commandAt = argv.findIndex((arg) => !arg.startsWith('-'));
  const leading = commandAt === -1 ? argv : argv.slice(0, commandAt);
  let help: boolean;
  try {
    const { values } = parseCommandLine(() =>
      parseArgs({ args: [...leading], options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }),
    );
    help = values.help === true;
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, '', error.message, USAGE);
    throw error;
  }
  const command = commandAt === -1 ? undefined : argv[commandAt];
  if (help || command === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (command === undefined) return usageFailure(io, '', 'missing command', USAGE);
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (load === undefined) return usageFailure(io, '', `unknown command '${command}'`, USAGE);
  return (await load())(argv.slice(commandAt + 1), io);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`media-graph: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
