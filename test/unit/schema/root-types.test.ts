import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ROOT_TYPE_DESCRIPTIONS, describeRootTypes } from '../../../src/schema/root-types.js';

/** A small executable schema with resolvers, a non-root type and no Subscription. */
function sampleSchema(): GraphQLSchema {
  const item = new GraphQLObjectType({ name: 'Item', fields: { name: { type: GraphQLString } } });
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        hello: { type: GraphQLString, resolve: () => 'world' },
        item: { type: item, resolve: () => ({ name: 'x' }) },
      },
    }),
    mutation: new GraphQLObjectType({ name: 'Mutation', fields: { touch: { type: GraphQLInt, resolve: () => 1 } } }),
  });
}

describe('describeRootTypes', () => {
  it('describes each root type the schema has and keeps its resolvers when applied', async () => {
    const described = describeRootTypes(sampleSchema());
    expect(described.getQueryType()?.description).toBe(ROOT_TYPE_DESCRIPTIONS.Query);
    expect(described.getMutationType()?.description).toBe(ROOT_TYPE_DESCRIPTIONS.Mutation);
    expect(described.getSubscriptionType()).toBeUndefined();
    expect(described.getType('Item')?.description).toBeUndefined();
    expect(await graphql({ schema: described, source: '{ hello item { name } }' })).toEqual({ data: { hello: 'world', item: { name: 'x' } } });
    expect(await graphql({ schema: described, source: 'mutation { touch }' })).toEqual({ data: { touch: 1 } });
  });

  it('leaves the given schema undescribed when it returns the described copy', () => {
    const schema = sampleSchema();
    describeRootTypes(schema);
    expect(schema.getQueryType()?.description).toBeUndefined();
  });
});
