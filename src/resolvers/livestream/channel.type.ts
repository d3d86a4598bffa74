import type { Channel } from '../../datasources/livestream/livestream.types.js';
import { Directive, Field, Float, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '../../core/type-graphql.js';
import { NodeType } from '../node/node.type.js';
import { LabelType } from './livestream.common.js';

/** What `Channel` resolvers receive as their root. */
export type ChannelSource = Channel;

/** GraphQL mirror of the domain `ChannelStreamingState`. */
export enum ChannelStreamingStateEnum {
  STREAMING_STATE_UNSPECIFIED = 'STREAMING_STATE_UNSPECIFIED',
  STREAMING = 'STREAMING',
  AWAITING_INPUT = 'AWAITING_INPUT',
  STREAMING_ERROR = 'STREAMING_ERROR',
  STREAMING_NO_INPUT = 'STREAMING_NO_INPUT',
  STOPPED = 'STOPPED',
  STARTING = 'STARTING',
  STOPPING = 'STOPPING',
}
registerEnumType(ChannelStreamingStateEnum, {
  name: 'ChannelStreamingState',
  description: 'Streaming state of a Live Stream channel.',
  valuesConfig: {
    STREAMING_STATE_UNSPECIFIED: { description: 'The service did not report a state.' },
    STREAMING: { description: 'The channel is receiving input and writing output.' },
    AWAITING_INPUT: { description: 'The channel is started and waits for its input stream.' },
    STREAMING_ERROR: { description: 'The channel failed while streaming.' },
    STREAMING_NO_INPUT: { description: 'The channel is streaming without input (e.g. a slate is shown).' },
    STOPPED: { description: 'The channel is stopped.' },
    STARTING: { description: 'The channel is starting.' },
    STOPPING: { description: 'The channel is stopping.' },
  },
});

/** GraphQL mirror of a channel manifest type. */
export enum ChannelManifestTypeEnum {
  MANIFEST_TYPE_UNSPECIFIED = 'MANIFEST_TYPE_UNSPECIFIED',
  HLS = 'HLS',
  DASH = 'DASH',
}
registerEnumType(ChannelManifestTypeEnum, {
  name: 'ChannelManifestType',
  description: 'Format of a channel manifest.',
  valuesConfig: {
    MANIFEST_TYPE_UNSPECIFIED: { description: 'The service did not report a format.' },
    HLS: { description: 'HTTP Live Streaming (`.m3u8`).' },
    DASH: { description: 'MPEG-DASH (`.mpd`).' },
  },
});

@ObjectType('ChannelManifest', { description: 'A manifest a Live Stream channel writes to its output.' })
export class ChannelManifestType {
  @Field(() => String, {
    nullable: true,
    description:
      'The manifest\'s key in the channel configuration (`Manifest.key`), e.g. `manifest_hls`: the `manifestKey` a DVR session records. Null when the configuration gave the manifest no key (then no DVR session can record it).',
  })
  key!: string | null;

  @Field(() => String, { description: 'File name of the manifest in the output location, e.g. `main.m3u8`.' })
  fileName!: string;

  @Field(() => ChannelManifestTypeEnum, { description: 'Manifest format.' })
  type!: ChannelManifestTypeEnum;
}

@Directive('@key(fields: "id")')
@ObjectType('Channel', {
  implements: [NodeType],
  description: 'A Google Cloud Live Stream channel (read only here): its streaming state, output, retention and DVR sessions.',
})
export class ChannelType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id!: string;

  @Field(() => String, { description: 'Full resource name: `projects/{project}/locations/{location}/channels/{channelId}`.' })
  name!: string;

  @Field(() => String, { description: 'The channel id: the last segment of `name`.' })
  channelId!: string;

  @Field(() => [LabelType], { description: 'User labels, sorted by key.' })
  labels!: LabelType[];

  @Field(() => String, { nullable: true, description: 'Cloud Storage URI where the channel writes manifests and segments.' })
  outputUri!: string | null;

  @Field(() => [ChannelManifestType], { description: 'The manifests the channel writes.' })
  manifests!: ChannelManifestType[];

  @Field(() => ChannelStreamingStateEnum, { description: 'Current streaming state.' })
  streamingState!: ChannelStreamingStateEnum;

  @Field(() => Float, {
    nullable: true,
    description:
      'The channel retention config `retentionWindowDuration`, in seconds: the minimum time output segments stay in the bucket. Null when the channel has no retention config (then DVR sessions cannot be created on it).',
  })
  retentionWindowSeconds!: number | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the channel was created (UTC).' })
  createTime!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the channel was last updated (UTC).' })
  updateTime!: Date | null;
}
