import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { AssetType } from '../resolvers/livestream/asset.type.js';
import { AssetsResolver } from '../resolvers/livestream/assets.resolver.js';
import { ChannelType } from '../resolvers/livestream/channel.type.js';
import { ChannelsResolver } from '../resolvers/livestream/channels.resolver.js';
import { DvrSessionType } from '../resolvers/livestream/dvr-session.type.js';
import { DvrSessionsResolver } from '../resolvers/livestream/dvr-sessions.resolver.js';
import { OperationType } from '../resolvers/livestream/operation.type.js';
import { OperationsResolver } from '../resolvers/livestream/operations.resolver.js';
import { NodeResolver, loadNode } from '../resolvers/node/node.resolver.js';
import { MediaObjectFieldsResolver, ObjectFolderFieldsResolver } from '../resolvers/objects/media-object.resolver.js';
import { ObjectsResolver } from '../resolvers/objects/objects.resolver.js';
import { OpsResolver } from '../resolvers/ops/live-hub.resolver.js';
import { MediaAssetType } from '../resolvers/oci/media-asset.type.js';
import { MediaAssetsResolver } from '../resolvers/oci/media-assets.resolver.js';
import { PlaylistType } from '../resolvers/oci/playlist.type.js';
import { PlaylistsResolver } from '../resolvers/oci/playlists.resolver.js';
import { StreamDistributionChannelsResolver, StreamPackagingConfigsResolver } from '../resolvers/oci/stream-packaging.resolver.js';
import { StreamDistributionChannelType, StreamPackagingConfigType } from '../resolvers/oci/stream-packaging.type.js';
import { MediaObjectType, ObjectFolderType } from '../resolvers/objects/object.type.js';
import { StreamType } from '../resolvers/streams/stream.type.js';
import { StreamsResolver } from '../resolvers/streams/streams.resolver.js';
import type { RequestContext } from '../auth/services.js';
import { describeRootTypes } from './root-types.js';
import { buildSchema, createResolversMap, type ClassType, type NonEmptyArray, type PubSub } from '../core/type-graphql.js';
import { documentRootFieldScopes } from '../auth/field-scopes.js';
import { applyFieldCosts } from './field-costs.js';

/**
 * type-graphql insists on a PubSub once any subscription exists, even though ours all use `subscribe` functions
 * (the fragment hub) and no topics. This one refuses loudly if a topic-based subscription is ever added.
 */
const NO_TOPIC_PUBSUB: PubSub = {
  publish: () => {
    throw new Error('Topic-based subscriptions are not used; subscribe through a source such as the fragment hub.');
  },
  subscribe: () => {
    throw new Error('Topic-based subscriptions are not used; subscribe through a source such as the fragment hub.');
  },
};

/** Federation entity types (all keyed by their global `id`). */
const ENTITY_TYPES = [
  'MediaObject',
  'Stream',
  'MediaAsset',
  'StreamPackagingConfig',
  'StreamDistributionChannel',
  'Asset',
  'Channel',
  'DvrSession',
  'Operation',
] as const;

/** Federation 2 version and the directives this subgraph uses. */
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

const RESOLVERS: NonEmptyArray<ClassType> = [
  ObjectsResolver,
  MediaObjectFieldsResolver,
  ObjectFolderFieldsResolver,
  StreamsResolver,
  NodeResolver,
  MediaAssetsResolver,
  StreamPackagingConfigsResolver,
  StreamDistributionChannelsResolver,
  PlaylistsResolver,
  AssetsResolver,
  ChannelsResolver,
  DvrSessionsResolver,
  OperationsResolver,
  OpsResolver,
];

/**
 * Builds the executable federated schema: type-graphql builds the code-first schema, root fields get their scopes
 * and root types their descriptions, its SDL (with `@key` directives) and resolver map are handed to `buildSubgraphSchema`, which adds `_service`, `_entities` and the
 * federation types. Entity reference resolvers go through the same loaders as `node`.
 * Pure apart from type-graphql's global metadata; safe to call more than once.
 */
export async function buildFederatedSchema(): Promise<GraphQLSchema> {
  const built = await buildSchema({
    resolvers: RESOLVERS,
    orphanedTypes: [
      MediaObjectType,
      ObjectFolderType,
      StreamType,
      MediaAssetType,
      StreamPackagingConfigType,
      StreamDistributionChannelType,
      PlaylistType,
      AssetType,
      ChannelType,
      DvrSessionType,
      OperationType,
    ],
    validate: false,
    pubSub: NO_TOPIC_PUBSUB,
  });
  documentRootFieldScopes(built);
  const codeFirst = describeRootTypes(built);
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(codeFirst)}`;
  // type-graphql's map also carries scalar instances; @apollo/subgraph accepts them at runtime but types them narrowly.
  const resolvers = createResolversMap(codeFirst) as unknown as GraphQLResolverMap<RequestContext>;
  // Entities resolve through the same path as `node`, so batching (and authorization) apply identically.
  for (const typeName of ENTITY_TYPES) {
    const existing = (resolvers[typeName] ?? {}) as Record<string, GraphQLFieldResolver<unknown, RequestContext>>;
    resolvers[typeName] = {
      ...existing,
      __resolveReference: async (reference: { id?: unknown }, context: RequestContext) => {
        if (typeof reference.id !== 'string') return null;
        const node = await loadNode(reference.id, context);
        return node?.__typename === typeName ? node : null;
      },
    } as Record<string, GraphQLFieldResolver<unknown, RequestContext>>;
  }
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }]);
  applyFieldCosts(schema);
  return schema;
}
