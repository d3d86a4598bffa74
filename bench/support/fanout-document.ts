import { readFileSync } from 'node:fs';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';

/** Name of the subscription operation the fan-out benchmark runs (from `schema/operations/streams.graphql`). */
export const FANOUT_OPERATION_NAME = 'StreamFragments';

/** The subscription every benchmark client sends, to either server. */
export interface FanoutSubscription {
  readonly query: string;
  readonly operationName: string;
  readonly variables: Record<string, unknown>;
}

/**
 * The `StreamFragments` subscription exactly as frontends send it (taken from the operations file, so the
 * benchmark measures the selection real clients use), alone in its document, with `start: NOW` on `stream`.
 * Every client gets the same text and variables: that is what lets our gateway run one execution for all.
 * @throws Error when the operations file no longer defines the operation.
 */
export function fanoutSubscription(operationsFile: string, stream: string): FanoutSubscription {
  const document = parse(readFileSync(operationsFile, 'utf8'));
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION && definition.operation === 'subscription' && definition.name?.value === FANOUT_OPERATION_NAME,
  );
  if (operation === undefined) throw new Error(`${operationsFile} defines no subscription ${FANOUT_OPERATION_NAME}`);
  // Only the operation: the file's queries select types the baseline schema does not have.
  const query = print({ kind: Kind.DOCUMENT, definitions: [operation] });
  return { query, operationName: FANOUT_OPERATION_NAME, variables: { stream, start: { type: 'NOW' } } };
}
