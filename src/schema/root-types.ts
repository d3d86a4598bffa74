import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { GraphQLObjectType, type GraphQLSchema } from 'graphql';

/** The description of each root operation type, as the schema (and the federated SDL) carries it. */
export const ROOT_TYPE_DESCRIPTIONS = {
  Query:
    'Reads: object storage folders and objects, Kinesis Video streams and their fragments, Live Stream channels, assets, DVR sessions and operations, OCI media assets, packaging configurations, distribution channels and playlists, any object by global id (`node`), and for operators the state of the live hub (`liveHub`). Each field names the scope it needs.',
  Mutation:
    'Writes: objects (inline, or through a signed upload URL), Live Stream assets and DVR sessions, and OCI playback session tokens. Each field names the scope it needs.',
  Subscription:
    'Live updates over graphql-ws or graphql-sse: fragments of a Kinesis Video stream as they arrive, and the progress of a Live Stream operation. Each field names the scope it needs.',
} as const;

/**
 * Returns `schema` with {@link ROOT_TYPE_DESCRIPTIONS} on its root types. type-graphql creates `Query`, `Mutation`
 * and `Subscription` itself and has no option to describe them, so they are described here, after the build and
 * before the SDL is printed for federation; every other type, field and resolver is carried over unchanged. A
 * root type the schema lacks is left out; `schema` itself is not modified.
 */
export function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const describe = (type: GraphQLObjectType): GraphQLObjectType => {
    const description = (ROOT_TYPE_DESCRIPTIONS as Readonly<Record<string, string>>)[type.name];
    return description === undefined ? type : new GraphQLObjectType({ ...type.toConfig(), description });
  };
  return mapSchema(schema, { [MapperKind.ROOT_OBJECT]: describe });
}
