/** Standard streams a usage error is written to. */
export interface UsageIo {
  readonly stderr: NodeJS.WritableStream;
}

/** A command line a command cannot run with. Its message is one line for stderr, printed before the usage text. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Runs `parse` (a `node:util` `parseArgs` call with `strict: true`) and turns its complaints (an unknown option, a
 * missing option value, a positional argument where none is allowed) into a {@link UsageError} with a one-line
 * message. Taking a thunk keeps parseArgs's precise result type.
 * @throws UsageError for a command line parseArgs refuses; anything else parse throws, unchanged.
 */
export function parseCommandLine<R>(parse: () => R): R {
  try {
    return parse();
  } catch (error) {
    if (isParseArgsError(error)) throw new UsageError(oneLine(error.message));
    throw error;
  }
}

/**
 * Writes `media-graph <command>: <message>`, a blank line and `usage` to stderr.
 * @returns 2, the exit status of every usage error.
 */
export function usageFailure(io: UsageIo, command: string, message: string, usage: string): number {
  io.stderr.write(`media-graph${command === '' ? '' : ` ${command}`}: ${message}\n\n${usage}`);
  return 2;
}

function isParseArgsError(error: unknown): error is Error & { readonly code: string } {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

// parseArgs messages start with a capital ("Unknown option '--x'") and may span lines in later Node versions; the
// line we print continues "media-graph serve: ", so it starts in lower case and stays on one line.
function oneLine(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.charAt(0).toLowerCase() + flat.slice(1);
}
