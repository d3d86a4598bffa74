import { CHANNEL_NAME, LOCATION_NAME, requireName } from '../../datasources/livestream/livestream.call.js';
import type { Channel, DvrSession } from '../../datasources/livestream/livestream.types.js';
import { createConnectionType } from '../../pagination/connection.type.js';
import type { ConnectionData } from '../../pagination/paginate.js';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import { encodeGlobalId } from '../node/global-id.js';
import { LIST_ARGS } from './assets.resolver.js';
import { ChannelType, type ChannelSource } from './channel.type.js';
import { DvrSessionType } from './dvr-session.type.js';
import { LabelType, liveStream, liveStreamConnection, toLabelList } from './livestream.common.js';

/** `ChannelConnection`. */
export const ChannelConnection = createConnectionType('Channel', () => ChannelType, 'Live Stream channel');
/** `DvrSessionConnection`. */
export const DvrSessionConnection = createConnectionType('DvrSession', () => DvrSessionType, 'DVR session');

/** Live Stream channels (read only) and their DVR session listings. */
@Resolver(() => ChannelType)
export class ChannelsResolver {
  @Query(() => ChannelConnection, {
    description:
      'Lists the Live Stream channels of a location. Cursors are opaque, signed, bound to this list (parent, filter and order) and resume from any edge.',
  })
  channels(
    @Arg('parent', () => String, {
      nullable: true,
      description: 'Location, `projects/{project}/locations/{location}`; defaults to the gateway\'s configured location.',
    })
    parent: string | null | undefined,
    @Arg('first', () => Int, { defaultValue: 20, description: LIST_ARGS.first }) first: number,
    @Arg('after', () => String, { nullable: true, description: LIST_ARGS.after }) after: string | null | undefined,
    @Arg('filter', () => String, { nullable: true, description: LIST_ARGS.filter }) filter: string | null | undefined,
    @Arg('orderBy', () => String, { nullable: true, description: LIST_ARGS.orderBy }) orderBy: string | null | undefined,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<ConnectionData<Channel>> {
    const { api, defaultParent } = liveStream(services);
    const location = requireName(parent ?? defaultParent, LOCATION_NAME, 'location');
    return liveStreamConnection(services, 'channels', location, { first, after, filter, orderBy }, (query) => api.listChannels(location, query, { signal }));
  }

  @Query(() => ChannelType, {
    nullable: true,
    description: 'One Live Stream channel by full resource name; null when it does not exist. Lookups in one request are deduplicated.',
  })
  channel(
    @Arg('name', () => String, { description: 'Full resource name: `projects/{project}/locations/{location}/channels/{channelId}`.' }) name: string,
    @Ctx() { services, loaders }: RequestContext,
  ): Promise<Channel | null> {
    liveStream(services);
    return loaders.liveStreamChannel.load(requireName(name, CHANNEL_NAME, 'channel'));
  }

  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id(@Root() channel: ChannelSource): string {
    return encodeGlobalId('Channel', channel.name);
  }

  @FieldResolver(() => String, { description: 'The channel id: the last segment of `name`.' })
  channelId(@Root() channel: ChannelSource): string {
    return channel.id;
  }

  @FieldResolver(() => [LabelType], { description: 'User labels, sorted by key.' })
  labels(@Root() channel: ChannelSource): LabelType[] {
    return toLabelList(channel.labels);
  }

  @FieldResolver(() => DvrSessionConnection, {
    description: 'The channel\'s DVR sessions (REST `dvrSessions.list`), each with its derived retention view.',
  })
  dvrSessions(
    @Root() channel: ChannelSource,
    @Arg('first', () => Int, { defaultValue: 20, description: LIST_ARGS.first }) first: number,
    @Arg('after', () => String, { nullable: true, description: LIST_ARGS.after }) after: string | null | undefined,
    @Arg('filter', () => String, { nullable: true, description: 'AIP-160 filter passed to Live Stream as is, e.g. `labels.show=news AND state=LIVE`.' })
    filter: string | null | undefined,
    @Arg('orderBy', () => String, { nullable: true, description: LIST_ARGS.orderBy }) orderBy: string | null | undefined,
    @Ctx() { services, loaders, signal }: RequestContext,
  ): Promise<ConnectionData<DvrSession>> {
    const { dvr } = liveStream(services);
    // The sessions' derived retention fields read their channel through the loader: this is it, already read
    // (prime keeps an entry the loader has), so listing a channel's sessions costs no GetChannel.
    loaders.liveStreamChannel.prime(channel.name, channel);
    return liveStreamConnection(services, 'dvr-sessions', channel.name, { first, after, filter, orderBy }, (query) =>
      dvr.listDvrSessions(channel.name, query, { signal }),
    );
  }
}
