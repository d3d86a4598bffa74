import { OCI_MAX_PAGE_SIZE } from '../../datasources/oci/oci-media-services.datasource.js';
import type {
  StreamDistributionChannel,
  StreamPackagingConfig,
  StreamPackagingConfigSummary,
} from '../../datasources/oci/oci.types.js';
import { createConnectionType } from '../../pagination/connection.type.js';
import { checkFirst } from '../../pagination/page-args.js';
import { paginateForward, type ConnectionData } from '../../pagination/paginate.js';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from '../../core/type-graphql.js';
import type { RequestContext, Services } from '../../auth/services.js';
import { encodeGlobalId } from '../node/global-id.js';
import { compartmentOf, requireOci, toOcid } from './oci-ids.js';
import {
  StreamDistributionChannelType,
  StreamPackagingConfigType,
  StreamPackagingFormat,
  isFullPackagingConfig,
  type StreamDistributionChannelSource,
  type StreamPackagingConfigSource,
} from './stream-packaging.type.js';

/** `StreamPackagingConfigConnection`. */
export const StreamPackagingConfigConnection = createConnectionType('StreamPackagingConfig', () => StreamPackagingConfigType, 'stream packaging configuration');
/** `StreamDistributionChannelConnection`. */
export const StreamDistributionChannelConnection = createConnectionType(
  'StreamDistributionChannel',
  () => StreamDistributionChannelType,
  'stream distribution channel',
);

/** One window of the packaging configurations of a channel (shared by the query and the channel field). */
function listPackagingConfigs(
  services: Services,
  signal: AbortSignal,
  channelId: string,
  first: number,
  after: string | null | undefined,
): Promise<ConnectionData<StreamPackagingConfigSummary>> {
  const count = checkFirst(first, services.config.pageSizeMax);
  const { mediaServices } = requireOci(services);
  return paginateForward<StreamPackagingConfigSummary>({
    listKey: `oci:streamPackagingConfigs:${channelId}`,
    first: count,
    after,
    codec: services.cursors,
    providerMaxPageSize: OCI_MAX_PAGE_SIZE,
    // OCI page tokens do not expire.
    tokenTtlMs: undefined,
    fetchPage: async ({ token, pageSize }) => {
      const page = await mediaServices.listPackagingConfigs({ distributionChannelId: channelId, limit: pageSize, page: token }, { signal });
      return { items: page.items, nextToken: page.nextPage };
    },
  });
}

/** The full configuration of `config` (a list item costs one batched, deduplicated GetStreamPackagingConfig). */
async function fullConfig(config: StreamPackagingConfigSource, { loaders }: RequestContext): Promise<StreamPackagingConfig | null> {
  return isFullPackagingConfig(config) ? config : loaders.packagingConfig.load(config.id);
}

/** Stream packaging configurations: queries and fields. */
@Resolver(() => StreamPackagingConfigType)
export class StreamPackagingConfigsResolver {
  @Query(() => StreamPackagingConfigConnection, {
    description: 'Lists the packaging configurations of a distribution channel (ListStreamPackagingConfigs). Cursors resume from any edge.',
  })
  streamPackagingConfigs(
    @Arg('distributionChannelId', () => String, { description: 'The channel: its OCID or `StreamDistributionChannel.id`.' }) distributionChannelId: string,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Number of configurations to return, 0 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the edge to continue after.' }) after: string | null,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<ConnectionData<StreamPackagingConfigSummary>> {
    const channelId = toOcid(distributionChannelId, 'StreamDistributionChannel', 'distributionChannelId');
    return listPackagingConfigs(services, signal, channelId, first, after);
  }

  @Query(() => StreamPackagingConfigType, {
    nullable: true,
    description: 'One packaging configuration by `StreamPackagingConfig.id` or OCID; null when it does not exist. Batched and deduplicated per request.',
  })
  streamPackagingConfig(
    @Arg('id', () => ID, { description: 'A `StreamPackagingConfig.id` or the configuration\'s OCID.' }) id: string,
    @Ctx() { loaders }: RequestContext,
  ): Promise<StreamPackagingConfig | null> {
    return loaders.packagingConfig.load(toOcid(id, 'StreamPackagingConfig', 'id'));
  }

  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id(@Root() config: StreamPackagingConfigSource): string {
    return encodeGlobalId('StreamPackagingConfig', config.id);
  }

  @FieldResolver(() => String, { description: 'The configuration\'s OCID.' })
  ocid(@Root() config: StreamPackagingConfigSource): string {
    return config.id;
  }

  @FieldResolver(() => StreamPackagingFormat, {
    nullable: true,
    description: 'Streaming format; null when the service reports one this API does not know. Costs one (batched) lookup when the configuration came from a list.',
  })
  async format(@Root() config: StreamPackagingConfigSource, @Ctx() context: RequestContext): Promise<StreamPackagingFormat | undefined> {
    const format = (await fullConfig(config, context))?.format;
    return format === undefined ? undefined : StreamPackagingFormat[format];
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: 'Media segment duration in seconds. Costs one (batched) lookup when the configuration came from a list.',
  })
  async segmentTimeInSeconds(@Root() config: StreamPackagingConfigSource, @Ctx() context: RequestContext): Promise<number | undefined> {
    return (await fullConfig(config, context))?.segmentTimeInSeconds;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Segment encryption: `NONE` or `AES128`; null when the service omits it. Costs one (batched) lookup when the configuration came from a list.',
  })
  async encryption(@Root() config: StreamPackagingConfigSource, @Ctx() context: RequestContext): Promise<string | undefined> {
    return (await fullConfig(config, context))?.encryption;
  }

  @FieldResolver(() => StreamDistributionChannelType, { nullable: true, description: 'The distribution channel of the configuration.' })
  distributionChannel(@Root() config: StreamPackagingConfigSource, @Ctx() { loaders }: RequestContext): Promise<StreamDistributionChannel | null> {
    return loaders.distributionChannel.load(config.distributionChannelId);
  }
}

/** Stream distribution channels: queries and fields. */
@Resolver(() => StreamDistributionChannelType)
export class StreamDistributionChannelsResolver {
  @Query(() => StreamDistributionChannelConnection, {
    description: 'Lists the distribution channels of a compartment (ListStreamDistributionChannels). Cursors resume from any edge.',
  })
  streamDistributionChannels(
    @Arg('compartmentId', () => String, {
      nullable: true,
      description: 'OCID of the compartment to list; the gateway\'s default compartment (OCI_COMPARTMENT_ID) when omitted.',
    })
    compartmentId: string | null | undefined,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Number of channels to return, 0 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the edge to continue after.' }) after: string | null,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<ConnectionData<StreamDistributionChannel>> {
    const compartment = compartmentOf(services, compartmentId);
    const count = checkFirst(first, services.config.pageSizeMax);
    const { mediaServices } = requireOci(services);
    return paginateForward<StreamDistributionChannel>({
      listKey: `oci:streamDistributionChannels:${compartment}`,
      first: count,
      after,
      codec: services.cursors,
      providerMaxPageSize: OCI_MAX_PAGE_SIZE,
      // OCI page tokens do not expire.
      tokenTtlMs: undefined,
      fetchPage: async ({ token, pageSize }) => {
        const page = await mediaServices.listDistributionChannels({ compartmentId: compartment, limit: pageSize, page: token }, { signal });
        return { items: page.items, nextToken: page.nextPage };
      },
    });
  }

  @Query(() => StreamDistributionChannelType, {
    nullable: true,
    description: 'One distribution channel by `StreamDistributionChannel.id` or OCID; null when it does not exist. Batched and deduplicated per request.',
  })
  streamDistributionChannel(
    @Arg('id', () => ID, { description: 'A `StreamDistributionChannel.id` or the channel\'s OCID.' }) id: string,
    @Ctx() { loaders }: RequestContext,
  ): Promise<StreamDistributionChannel | null> {
    return loaders.distributionChannel.load(toOcid(id, 'StreamDistributionChannel', 'id'));
  }

  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id(@Root() channel: StreamDistributionChannelSource): string {
    return encodeGlobalId('StreamDistributionChannel', channel.id);
  }

  @FieldResolver(() => String, { description: 'The channel\'s OCID.' })
  ocid(@Root() channel: StreamDistributionChannelSource): string {
    return channel.id;
  }

  @FieldResolver(() => StreamPackagingConfigConnection, {
    description: 'The channel\'s packaging configurations (ListStreamPackagingConfigs). Cursors resume from any edge.',
  })
  packagingConfigs(
    @Root() channel: StreamDistributionChannelSource,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Number of configurations to return, 0 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the edge to continue after.' }) after: string | null,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<ConnectionData<StreamPackagingConfigSummary>> {
    return listPackagingConfigs(services, signal, channel.id, first, after);
  }
}
