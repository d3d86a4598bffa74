import { ASSET_NAME, CHANNEL_NAME, DVR_SESSION_NAME, OPERATION_NAME } from '../../datasources/livestream/livestream.call.js';
import type { RequestContext } from '../../auth/services.js';
import type { AssetSource } from './asset.type.js';
import type { ChannelSource } from './channel.type.js';
import type { DvrSessionSource } from './dvr-session.type.js';
import type { OperationSource } from './operation.type.js';

/** The Live Stream node types (`Node` implementations keyed by full resource name). */
export const LIVESTREAM_NODE_TYPES = ['Asset', 'Channel', 'DvrSession', 'Operation'] as const;

/** A Live Stream node type name. */
export type LiveStreamNodeTypeName = (typeof LIVESTREAM_NODE_TYPES)[number];

/** Live Stream nodes, tagged with their GraphQL type for `Node.resolveType`. */
export type LiveStreamNodeSource =
  | (AssetSource & { readonly __typename: 'Asset' })
  | (ChannelSource & { readonly __typename: 'Channel' })
  | (DvrSessionSource & { readonly __typename: 'DvrSession' })
  | (OperationSource & { readonly __typename: 'Operation' });

/** Whether a decoded global id type is a Live Stream one. */
export function isLiveStreamNodeType(type: string): type is LiveStreamNodeTypeName {
  return (LIVESTREAM_NODE_TYPES as readonly string[]).includes(type);
}

/**
 * Loads a Live Stream node by resource name through the request's loaders (as the typed queries do). Null for
 * a key that is not a resource name of that type and for resources that do not exist.
 */
export async function loadLiveStreamNode(type: LiveStreamNodeTypeName, name: string, context: RequestContext): Promise<LiveStreamNodeSource | null> {
  const { loaders } = context;
  switch (type) {
    case 'Asset': {
      if (!ASSET_NAME.test(name)) return null;
      const asset = await loaders.liveStreamAsset.load(name);
      return asset === null ? null : { ...asset, __typename: 'Asset' };
    }
    case 'Channel': {
      if (!CHANNEL_NAME.test(name)) return null;
      const channel = await loaders.liveStreamChannel.load(name);
      return channel === null ? null : { ...channel, __typename: 'Channel' };
    }
    case 'DvrSession': {
      if (!DVR_SESSION_NAME.test(name)) return null;
      const session = await loaders.dvrSession.load(name);
      return session === null ? null : { ...session, __typename: 'DvrSession' };
    }
    case 'Operation': {
      if (!OPERATION_NAME.test(name)) return null;
      const operation = await loaders.liveStreamOperation.load(name);
      return operation === null ? null : { ...operation, __typename: 'Operation' };
    }
  }
}
