import { parseArgs } from 'node:util';
import { printSubgraphSchema } from '@apollo/subgraph';
import type { CliIo } from './cli-io.js';
import { parseCommandLine, usageFailure, UsageError } from './cli-args.js';
import { buildFederatedSchema } from '../schema/build-schema.js';

const USAGE = `Usage: media-graph print-schema

Prints the federated subgraph SDL (federation directives included) built from the code, which is what
schema/schema.graphql must contain: npm run print-schema > schema/schema.graphql

Options:
  -h, --help   print this help

Exit status: 0 printed, 2 bad usage.
`;

/** Returns the federated SDL exactly as `schema/schema.graphql` must contain it (trailing newline included). */
export async function renderSchema(): Promise<string> {
  return `${printSubgraphSchema(await buildFederatedSchema()).trimEnd()}\n`;
}

/**
 * `media-graph print-schema`: writes the federated SDL to stdout.
 * @returns 0 after printing it (or the help), 2 with the usage on stderr for bad arguments.
 * @throws when the schema cannot be built (a bug in the resolvers' decorators).
 */
export async function runPrintSchema(args: readonly string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseCommandLine(() =>
      parseArgs({ args: [...args], options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }),
    );
    if (values.help === true) {
      io.stdout.write(USAGE);
      return 0;
    }
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, 'print-schema', error.message, USAGE);
    throw error;
  }
  io.stdout.write(await renderSchema());
  return 0;
}
