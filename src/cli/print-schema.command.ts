import { printSubgraphSchema } from '@apollo/subgraph';
import type { CliIo } from './cli-io.js';
import { buildFederatedSchema } from '../schema/build-schema.js';

/** Returns the federated SDL exactly as `schema/schema.graphql` must contain it (trailing newline included). */
export async function renderSchema(): Promise<string> {
  return `${printSubgraphSchema(await buildFederatedSchema()).trimEnd()}\n`;
}

/** `media-graph print-schema`: writes the federated SDL to stdout. */
export async function runPrintSchema(_args: readonly string[], io: CliIo): Promise<number> {
  io.stdout.write(await renderSchema());
  return 0;
}
