import { buildSchema, parse } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLSchema } from 'graphql';
import { buildFederatedSchema } from '../../../src/schema/build-schema.js';
import { applyFieldCosts, UPSTREAM_CALL_COST, UPSTREAM_FIELDS } from '../../../src/schema/field-costs.js';
import { checkOperation, DEFAULT_OPERATION_LIMITS, estimateCost, limitOf } from '../../../src/server/limits/operation-limits.js';

function costOf(schema: GraphQLSchema, key: string): unknown {
  const [typeName = '', fieldName = ''] = key.split('.');
  const type = schema.getType(typeName);
  if (type === undefined || !('getFields' in type)) throw new Error(`no type ${typeName}`);
  return type.getFields()[fieldName]?.extensions.cost;
}

describe('applyFieldCosts', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildFederatedSchema();
  });

  it('prices every root field but _service with an upstream call when the schema is built', () => {
    expect(costOf(schema, 'Query.objects')).toBe(1 + UPSTREAM_CALL_COST);
    expect(costOf(schema, 'Mutation.deleteObject')).toBe(1 + UPSTREAM_CALL_COST);
    expect(costOf(schema, 'Subscription.streamFragments')).toBe(1 + UPSTREAM_CALL_COST);
    expect(costOf(schema, 'Query._service')).toBeUndefined();
  });

  it('prices each listed nested field with an upstream call, leaves included, when the schema is built', () => {
    for (const key of UPSTREAM_FIELDS) expect({ key, cost: costOf(schema, key) }).toEqual({ key, cost: expect.any(Number) });
    expect(costOf(schema, 'MediaObject.cacheControl')).toBe(UPSTREAM_CALL_COST);
    expect(costOf(schema, 'Stream.fragments')).toBe(1 + UPSTREAM_CALL_COST);
    expect(costOf(schema, 'MediaObject.name')).toBeUndefined();
  });

  it('weighs nested upstream calls by the page sizes above them when an operation is estimated', () => {
    const plain = parse('{ streams(first: 100) { edges { node { name } } } }');
    const nested = parse('{ streams(first: 100) { edges { node { name fragments(first: 5) { edges { node { fragmentNumber } } } } } } }');
    // streams: 11 + 100 × (edges 1 + node 1) = 211; each node adds fragments 11 + 5 × 2 = 21.
    expect(estimateCost(schema, plain)).toBe(211);
    expect(estimateCost(schema, nested)).toBe(211 + 100 * 21);
  });

  it('refuses a query that fans out one provider call per edge when the page is large', () => {
    const fanOut = parse('{ streams(first: 100) { edges { node { fragments(first: 100) { edges { node { fragmentNumber } } } } } } }');
    expect(checkOperation(schema, fanOut, DEFAULT_OPERATION_LIMITS).map(limitOf)).toEqual(['cost']);
    const onePage = parse('{ streams(first: 100) { edges { node { name arn status } } } }');
    expect(checkOperation(schema, onePage, DEFAULT_OPERATION_LIMITS)).toEqual([]);
  });

  it('throws naming the field when a listed field is missing from the schema', () => {
    expect(() => applyFieldCosts(buildSchema('type Query { ok: Int }'))).toThrow(/MediaObject\.cacheControl/);
  });
});
