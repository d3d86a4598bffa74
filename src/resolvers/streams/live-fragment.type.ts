import { SafeIntResolver } from 'graphql-scalars';
import { Field, Float, GraphQLISODateTime, Int, ObjectType } from '../../core/type-graphql.js';

@ObjectType('FragmentTrack', { description: 'A track declared in a fragment (Matroska TrackEntry).' })
export class FragmentTrackType {
  @Field(() => Int, { description: 'Track number blocks refer to (1-based).' })
  trackNumber!: number;

  @Field(() => Int, { nullable: true, description: 'Matroska track type: 1 video, 2 audio, 17 subtitle.' })
  trackType!: number | null;

  @Field(() => String, { nullable: true, description: 'Codec id, e.g. `V_MPEG4/ISO/AVC`.' })
  codecId!: string | null;

  @Field(() => Int, { nullable: true, description: 'Video width in pixels.' })
  pixelWidth!: number | null;

  @Field(() => Int, { nullable: true, description: 'Video height in pixels.' })
  pixelHeight!: number | null;

  @Field(() => Float, { nullable: true, description: 'Audio sampling rate in Hz.' })
  samplingFrequency!: number | null;

  @Field(() => Int, { nullable: true, description: 'Audio channel count.' })
  channels!: number | null;
}

@ObjectType('FragmentTrackStats', { description: 'What a fragment carried for one track.' })
export class FragmentTrackStatsType {
  @Field(() => Int, { description: 'Track number.' })
  trackNumber!: number;

  @Field(() => Int, { description: 'Frames (SimpleBlock + Block elements).' })
  frameCount!: number;

  @Field(() => Int, { description: 'Keyframes.' })
  keyframeCount!: number;

  @Field(() => SafeIntResolver, { description: 'Frame payload bytes.' })
  payloadBytes!: number;
}

@ObjectType('FragmentTag', { description: 'A Matroska tag of the fragment other than the Kinesis tags exposed as fields.' })
export class FragmentTagType {
  @Field(() => String, { description: 'Tag name.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'String value, verbatim (trailing NULs kept).' })
  value!: string | null;

  @Field(() => String, { nullable: true, description: 'Binary value, base64-encoded.' })
  binaryBase64!: string | null;
}

@ObjectType('LiveFragment', { description: 'Metadata of one live fragment, parsed from the GetMedia stream. Media bytes are not included.' })
export class LiveFragmentType {
  @Field(() => String, { description: 'Fragment number: a decimal string larger than 2^53; compare as a big integer.' })
  fragmentNumber!: string;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When Kinesis received the fragment (UTC, ms precision).' })
  serverTimestamp!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the producer recorded the fragment (UTC, ms precision).' })
  producerTimestamp!: Date | null;

  @Field(() => SafeIntResolver, { nullable: true, description: 'How far behind the stream head this fragment was when sent, in ms.' })
  millisBehindNow!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Token to resume right after this fragment (pass it as `start: { type: CONTINUATION_TOKEN, continuationToken }`).',
  })
  continuationToken!: string | null;

  @Field(() => SafeIntResolver, { nullable: true, description: 'Timecode of the fragment cluster, in timecode-scale ticks.' })
  clusterTimecode!: number | null;

  @Field(() => SafeIntResolver, { description: 'Nanoseconds per timecode tick (usually 1,000,000 = 1 ms).' })
  timecodeScale!: number;

  @Field(() => Int, { description: 'Frames over all tracks (SimpleBlock + Block elements).' })
  frameCount!: number;

  @Field(() => Int, { description: 'Keyframes over all tracks.' })
  keyframeCount!: number;

  @Field(() => SafeIntResolver, { description: 'Frame payload bytes over all tracks.' })
  payloadBytes!: number;

  @Field(() => [FragmentTrackStatsType], { description: 'Per-track frame statistics.' })
  trackStats!: FragmentTrackStatsType[];

  @Field(() => [FragmentTrackType], { description: 'Tracks declared in the fragment.' })
  tracks!: FragmentTrackType[];

  @Field(() => [FragmentTagType], { description: 'Other tags of the fragment, in order.' })
  tags!: FragmentTagType[];

  @Field(() => Boolean, { description: 'Always true for delivered fragments (cut-off fragments are re-read, never delivered).' })
  complete!: boolean;
}
