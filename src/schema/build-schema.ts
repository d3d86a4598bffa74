import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { NodeResolver, loadNode } from '../resolvers/node/node.resolver.js';
import { MediaObjectFieldsResolver, ObjectFolderFieldsResolver } from '../resolvers/objects/media-object.resolver.js';
import { ObjectsResolver } from '../resolvers/objects/objects.resolver.js';
import { MediaObjectType, ObjectFolderType } from '../resolvers/objects/object.type.js';
import type { RequestContext } from '../server/context.js';
import { buildSchema, createResolversMap, type ClassType, type NonEmptyArray } from './type-graphql.js';

/** Federation 2 version and the directives this subgraph uses. */
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

const RESOLVERS: NonEmptyArray<ClassType> = [ObjectsResolver, MediaObjectFieldsResolver, ObjectFolderFieldsResolver, NodeResolver];

/**
 * Builds the executable federated schema: type-graphql builds the code-first schema, its SDL (with `@key`
 * directives) and resolver map are handed to `buildSubgraphSchema`, which adds `_service`, `_entities` and the
 * federation types. Entity reference resolvers go through the same loaders as `node`.
 * Pure apart from type-graphql's global metadata; safe to call more than once.
 */
export async function buildFederatedSchema(): Promise<GraphQLSchema> {
  const codeFirst = await buildSchema({
    resolvers: RESOLVERS,
    orphanedTypes: [MediaObjectType, ObjectFolderType],
    validate: false,
  });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(codeFirst)}`;
  // type-graphql's map also carries scalar instances; @apollo/subgraph accepts them at runtime but types them narrowly.
  const resolvers = createResolversMap(codeFirst) as unknown as GraphQLResolverMap<RequestContext>;
  const mediaObject = (resolvers['MediaObject'] ?? {}) as Record<string, GraphQLFieldResolver<unknown, RequestContext>>;
  resolvers['MediaObject'] = {
    ...mediaObject,
    __resolveReference: async (reference: { id?: unknown }, context: RequestContext) =>
      typeof reference.id === 'string' ? loadNode(reference.id, context) : null,
  } as Record<string, GraphQLFieldResolver<unknown, RequestContext>>;
  return buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }]);
}
