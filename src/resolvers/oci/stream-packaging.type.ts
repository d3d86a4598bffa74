import type { StreamDistributionChannel, StreamPackagingConfig, StreamPackagingConfigSummary } from '../../datasources/oci/oci.types.js';
import { Directive, Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '../../core/type-graphql.js';
import { NodeType } from '../node/node.type.js';

/**
 * What `StreamPackagingConfig` resolvers receive as their root: a list item (no format, segment time or
 * encryption) or a GetStreamPackagingConfig result.
 */
export type StreamPackagingConfigSource = StreamPackagingConfigSummary | StreamPackagingConfig;

/** What `StreamDistributionChannel` resolvers receive as their root. */
export type StreamDistributionChannelSource = StreamDistributionChannel;

/** Whether `config` came from GetStreamPackagingConfig (and so carries format, segment time and encryption). */
export function isFullPackagingConfig(config: StreamPackagingConfigSource): config is StreamPackagingConfig {
  return 'segmentTimeInSeconds' in config;
}

/** Streaming format of a packaging configuration and of the playlists it generates. */
export enum StreamPackagingFormat {
  HLS = 'HLS',
  DASH = 'DASH',
}

registerEnumType(StreamPackagingFormat, {
  name: 'StreamPackagingFormat',
  description: 'Streaming format of a packaging configuration and of the playlists it generates.',
  valuesConfig: {
    HLS: { description: 'HTTP Live Streaming (RFC 8216): an M3U8 master playlist.' },
    DASH: { description: 'MPEG-DASH: an MPD manifest.' },
  },
});

@Directive('@key(fields: "id")')
@ObjectType('StreamPackagingConfig', {
  implements: [NodeType],
  description: 'An OCI Media Streams packaging configuration of a distribution channel: how assets are packaged for playback (HLS or DASH).',
})
export class StreamPackagingConfigType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id!: string;

  @Field(() => String, { description: 'Display name.' })
  displayName!: string;

  @Field(() => String, { description: 'OCID of the compartment the configuration belongs to.' })
  compartmentId!: string;

  @Field(() => String, { description: 'OCID of the distribution channel the configuration belongs to.' })
  distributionChannelId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Lifecycle state: `ACTIVE`, `NEEDS_ATTENTION` or `DELETED`; null when the service omits it.',
  })
  lifecycleState?: string;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the configuration was created (UTC).' })
  timeCreated?: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the configuration was last updated (UTC).' })
  timeUpdated?: Date;
}

@Directive('@key(fields: "id")')
@ObjectType('StreamDistributionChannel', {
  implements: [NodeType],
  description: 'An OCI Media Streams distribution channel: a Media Streams domain that serves playlists of its packaging configurations.',
})
export class StreamDistributionChannelType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id!: string;

  @Field(() => String, { description: 'Display name.' })
  displayName!: string;

  @Field(() => String, { description: 'OCID of the compartment the channel belongs to.' })
  compartmentId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The channel\'s Media Streams domain (host name, no scheme); null until the service assigns one.',
  })
  domainName?: string;

  @Field(() => String, { nullable: true, description: 'Lifecycle state, e.g. `ACTIVE`; null when the service omits it.' })
  lifecycleState?: string;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the channel was created (UTC).' })
  timeCreated?: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the channel was last updated (UTC).' })
  timeUpdated?: Date;
}
