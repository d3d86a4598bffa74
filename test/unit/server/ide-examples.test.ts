import { Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildFederatedSchema } from '../../../src/schema/build-schema.js';
import { IDE_TABS } from '../../../src/server/ide-examples.js';

function operationsOf(query: string): OperationDefinitionNode[] {
  return parse(query).definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
}

describe('IDE_TABS', () => {
  it('holds one named operation per tab, valid against the schema, when each tab is parsed', async () => {
    const schema = await buildFederatedSchema();
    for (const tab of IDE_TABS) {
      const operations = operationsOf(tab.query);
      expect(operations).toHaveLength(1);
      expect(operations[0]?.name?.value, tab.query).toMatch(/^[A-Z]\w+$/);
      expect(validate(schema, parse(tab.query)).map((error) => error.message)).toEqual([]);
    }
  });

  it('covers every provider and one subscription, with distinct titles, when the tabs are listed', () => {
    const operations = IDE_TABS.flatMap((tab) => operationsOf(tab.query));
    const rootFields = operations.flatMap((operation) =>
      operation.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : [])),
    );
    // objects (object store), streams (Kinesis), channels (Live Stream), mediaAssets (OCI).
    expect(rootFields).toEqual(expect.arrayContaining(['objects', 'streams', 'channels', 'mediaAssets', 'streamFragments']));
    expect(operations.filter((operation) => operation.operation === 'subscription')).toHaveLength(1);
    const names = operations.map((operation) => operation.name?.value);
    expect(new Set(names).size).toBe(names.length);
  });
});
