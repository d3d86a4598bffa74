import { parseObjectPath } from '../../datasources/object-store/object-path.js';
import { badInput, isDomainError } from '../../core/domain-error.js';
import { Arg, Ctx, ID, Query, Resolver } from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import type { MediaObjectSource } from '../objects/object.type.js';
import type { MediaAssetSource } from '../oci/media-asset.type.js';
import { isOcid, parsePlaylistKey } from '../oci/oci-ids.js';
import type { PlaylistSource } from '../oci/playlist.type.js';
import { generatePlaylist } from '../oci/playlists.resolver.js';
import type { StreamDistributionChannelSource, StreamPackagingConfigSource } from '../oci/stream-packaging.type.js';
import type { StreamSource } from '../streams/stream.type.js';
import { isLiveStreamNodeType, loadLiveStreamNode, type LiveStreamNodeSource } from '../livestream/livestream.node.js';
import { decodeGlobalId, type NodeTypeName } from './global-id.js';
import { NodeType } from './node.type.js';

/** Anything `node` can return, tagged with its GraphQL type for `Node.resolveType`. */
export type NodeSource =
  | (MediaObjectSource & { readonly __typename: 'MediaObject' })
  | (StreamSource & { readonly __typename: 'Stream' })
  | (MediaAssetSource & { readonly __typename: 'MediaAsset' })
  | (StreamPackagingConfigSource & { readonly __typename: 'StreamPackagingConfig' })
  | (StreamDistributionChannelSource & { readonly __typename: 'StreamDistributionChannel' })
  | (PlaylistSource & { readonly __typename: 'Playlist' })
  | LiveStreamNodeSource;

/**
 * Resolves a global id to its node through the same loaders as the typed queries (so batching and, later,
 * authorization apply identically). Null for malformed ids, unknown types and missing objects.
 */
export async function loadNode(id: string, context: RequestContext): Promise<NodeSource | null> {
  const decoded = decodeGlobalId(id);
  if (decoded === undefined) return null;
  if (decoded.type === 'Stream') {
    if (!decoded.key.startsWith('arn:')) return null;
    const stream = await context.loaders.stream.load(decoded.key);
    return stream === null ? null : { ...stream, __typename: 'Stream' };
  }
  if (isLiveStreamNodeType(decoded.type)) return loadLiveStreamNode(decoded.type, decoded.key, context);
  const oci = await loadOciNode(decoded.type, decoded.key, context);
  if (oci !== undefined) return oci;
  let path: string;
  try {
    path = parseObjectPath(decoded.key);
  } catch (error) {
    if (isDomainError(error) && error.code === 'BAD_USER_INPUT') return null;
    throw error;
  }
  const object = await context.loaders.describe.load(path);
  return object === null ? null : { ...object, __typename: 'MediaObject' };
}

/**
 * Loads a node of the OCI API; `undefined` when `type` is not one of them, null when the key is
 * malformed or the resource does not exist.
 */
async function loadOciNode(type: NodeTypeName, key: string, context: RequestContext): Promise<NodeSource | null | undefined> {
  switch (type) {
    case 'MediaAsset': {
      const asset = isOcid(key) ? await context.loaders.mediaAsset.load(key) : null;
      return asset === null ? null : { ...asset, __typename: 'MediaAsset' };
    }
    case 'StreamPackagingConfig': {
      const config = isOcid(key) ? await context.loaders.packagingConfig.load(key) : null;
      return config === null ? null : { ...config, __typename: 'StreamPackagingConfig' };
    }
    case 'StreamDistributionChannel': {
      const channel = isOcid(key) ? await context.loaders.distributionChannel.load(key) : null;
      return channel === null ? null : { ...channel, __typename: 'StreamDistributionChannel' };
    }
    case 'Playlist': {
      const playlistKey = parsePlaylistKey(key);
      if (playlistKey === undefined) return null;
      try {
        return { ...(await generatePlaylist(context, playlistKey, undefined)), __typename: 'Playlist' };
      } catch (error) {
        if (isDomainError(error) && error.code === 'NOT_FOUND') return null;
        throw error;
      }
    }
    default:
      return undefined;
  }
}

/** Relay global object identification. */
@Resolver()
export class NodeResolver {
  @Query(() => NodeType, { nullable: true, description: 'Fetches any object by its global id; null when it does not exist.' })
  node(@Arg('id', () => ID, { description: 'A global id from a `Node.id` field.' }) id: string, @Ctx() context: RequestContext): Promise<NodeSource | null> {
    return loadNode(id, context);
  }

  @Query(() => [NodeType], {
    nullable: 'items',
    description: 'Fetches up to 100 objects by global id, in the order given; null entries for ids that do not exist.',
  })
  async nodes(
    @Arg('ids', () => [ID], { description: 'Global ids (at most 100).' }) ids: string[],
    @Ctx() context: RequestContext,
  ): Promise<(NodeSource | null)[]> {
    if (ids.length > context.services.config.pageSizeMax) {
      throw badInput(`\`ids\` may hold at most ${context.services.config.pageSizeMax} ids.`);
    }
    return Promise.all(ids.map((id) => loadNode(id, context)));
  }
}
