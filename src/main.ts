import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliIo } from './cli/cli-io.js';

export type { CliIo } from './cli/cli-io.js';

const USAGE = `Usage: media-graph <command>

Commands:
  serve               start the GraphQL gateway (embedded emulators unless cloud endpoints are configured)
  emulate             start only the embedded emulators and print their endpoints
  print-schema        print the federated SDL (what schema/schema.graphql must equal)
  mkv inspect FILE    print one JSON line per Kinesis fragment in FILE ('-' reads stdin)
  api-key create      make a partner API key: prints the key once and the entry for AUTH_API_KEYS_FILE
                      (--id ID --tenant TENANT --scopes a,b [--description TEXT] [--expires-at ISO])
`;

/**
 * Runs one CLI command and resolves with the process exit code (0 ok, 1 failure, 2 bad input/usage).
 * Long-running commands (`serve`, `emulate`) resolve only after a graceful shutdown.
 */
export async function runCli(argv: readonly string[], io: CliIo = process): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { runServe } = await import('./cli/serve.command.js');
      return runServe(rest, io);
    }
    case 'emulate': {
      const { runEmulate } = await import('./cli/emulate.command.js');
      return runEmulate(rest, io);
    }
    case 'print-schema': {
      const { runPrintSchema } = await import('./cli/print-schema.command.js');
      return runPrintSchema(rest, io);
    }
    case 'mkv': {
      const { runMkvCommand } = await import('./cli/mkv.command.js');
      return runMkvCommand(rest, io);
    }
    case 'api-key': {
      const { runApiKey } = await import('./cli/api-key.command.js');
      return runApiKey(rest, io);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.stderr.write(`media-graph: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
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
