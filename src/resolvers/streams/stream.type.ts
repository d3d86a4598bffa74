import { SafeIntResolver } from 'graphql-scalars';
import type { ArchivedFragment, VideoStream } from '../../datasources/kinesis/kinesis.types.js';
import { Directive, Field, GraphQLISODateTime, ID, Int, ObjectType } from '../../core/type-graphql.js';
import { NodeType } from '../node/node.type.js';

/** What `Stream` resolvers receive as their root. */
export type StreamSource = VideoStream;

/** What `ArchivedFragment` resolvers receive as their root. */
export type ArchivedFragmentSource = ArchivedFragment;

@Directive('@key(fields: "id")')
@ObjectType('Stream', {
  implements: [NodeType],
  description: 'A Kinesis video stream: metadata from DescribeStream, its archived fragments, and (by subscription) its live fragment metadata.',
})
export class StreamType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id!: string;

  @Field(() => String, { description: 'Stream name, unique within the account and region.' })
  name!: string;

  @Field(() => String, { description: 'Stream ARN.' })
  arn!: string;

  @Field(() => String, { description: 'Lifecycle status: `CREATING`, `ACTIVE`, `UPDATING` or `DELETING`.' })
  status!: string;

  @Field(() => String, { nullable: true, description: 'MIME type of the media the producer declared, e.g. `video/h264`.' })
  mediaType?: string;

  @Field(() => Int, { description: 'How long fragments are kept, in hours; 0 means none are kept (live only).' })
  retentionHours!: number;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the stream was created (UTC).' })
  creationTime?: Date;

  @Field(() => String, { nullable: true, description: 'Name of the device that writes to the stream, if set.' })
  deviceName?: string;

  @Field(() => String, { nullable: true, description: 'Version of the stream metadata; changes on every update.' })
  version?: string;

  @Field(() => Boolean, { description: 'True when a customer-managed KMS key encrypts the stream.' })
  kmsEncrypted!: boolean;
}

@ObjectType('ArchivedFragment', { description: 'A stored fragment of a stream, as ListFragments describes it.' })
export class ArchivedFragmentType {
  @Field(() => String, {
    description: 'Fragment number: a decimal string larger than 2^53. Compare as a big integer, never as a float.',
  })
  fragmentNumber!: string;

  @Field(() => SafeIntResolver, { nullable: true, description: 'Fragment size in bytes.' })
  sizeBytes?: number;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Producer timestamp of the fragment start (UTC, ms precision).' })
  producerTimestamp?: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Server timestamp when Kinesis received the fragment (UTC, ms precision).' })
  serverTimestamp?: Date;

  @Field(() => Int, { nullable: true, description: 'Playback duration of the fragment, in milliseconds.' })
  durationMs?: number;
}
