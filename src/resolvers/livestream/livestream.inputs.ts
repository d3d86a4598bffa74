import { Field, GraphQLISODateTime, InputType } from '../../core/type-graphql.js';
import { AssetKindEnum } from './asset.type.js';
import { LabelInput } from './livestream.common.js';

const REQUEST_ID =
  'Idempotency key (a UUID). Retrying with the id of the first attempt returns that attempt\'s operation instead of acting twice (within 60 minutes). Omitted: the gateway generates one.';

@InputType('CreateAssetInput', { description: 'A Live Stream asset to create from a file in Cloud Storage.' })
export class CreateAssetInput {
  @Field(() => String, {
    nullable: true,
    description: 'Location to create the asset in, `projects/{project}/locations/{location}`; defaults to the gateway\'s configured location.',
  })
  parent?: string | null;

  @Field(() => String, { description: 'Id of the new asset: 1-63 lower-case letters, digits or dashes, starting and ending with a letter or digit.' })
  assetId!: string;

  @Field(() => String, { description: 'Cloud Storage URI of the file: `gs://bucket/object`.' })
  uri!: string;

  @Field(() => AssetKindEnum, { description: 'Whether the file is a video or an image.' })
  type!: AssetKindEnum;

  @Field(() => [LabelInput], { nullable: true, description: 'User labels of the asset.' })
  labels?: LabelInput[] | null;

  @Field(() => String, { nullable: true, description: 'Base64 CRC32C the file must match; omitted: the service computes it.' })
  crc32c?: string | null;

  @Field(() => String, { nullable: true, description: REQUEST_ID })
  requestId?: string | null;
}

@InputType('DeleteAssetInput', { description: 'A Live Stream asset to delete.' })
export class DeleteAssetInput {
  @Field(() => String, { description: 'Full resource name of the asset.' })
  name!: string;

  @Field(() => String, { nullable: true, description: REQUEST_ID })
  requestId?: string | null;
}

@InputType('DvrWindowInput', { description: 'A time interval to record.' })
export class DvrWindowInput {
  @Field(() => GraphQLISODateTime, { description: 'Start of the interval (UTC).' })
  startTime!: Date;

  @Field(() => GraphQLISODateTime, { description: 'End of the interval (UTC); must be after `startTime`.' })
  endTime!: Date;
}

@InputType('CreateDvrSessionInput', { description: 'A DVR session to create on a channel that has a retention config.' })
export class CreateDvrSessionInput {
  @Field(() => String, { description: 'Full resource name of the channel to record.' })
  channel!: string;

  @Field(() => String, { description: 'Id of the new session: 1-63 lower-case letters, digits or dashes, starting and ending with a letter or digit.' })
  dvrSessionId!: string;

  @Field(() => String, { description: 'Key of the channel manifest to record: one of the channel\'s `manifests { key }`, e.g. `manifest_hls`.' })
  manifestKey!: string;

  @Field(() => [DvrWindowInput], { description: 'The intervals to record (at least one).' })
  windows!: DvrWindowInput[];

  @Field(() => [LabelInput], { nullable: true, description: 'User labels of the session.' })
  labels?: LabelInput[] | null;

  @Field(() => String, { nullable: true, description: REQUEST_ID })
  requestId?: string | null;
}

@InputType('UpdateDvrSessionInput', {
  description: 'New windows for a DVR session. The windows are the only field Live Stream lets a session update (update mask `dvrWindows`).',
})
export class UpdateDvrSessionInput {
  @Field(() => String, { description: 'Full resource name of the session.' })
  name!: string;

  @Field(() => [DvrWindowInput], { description: 'The complete new list of intervals (at least one); replaces the current windows.' })
  windows!: DvrWindowInput[];

  @Field(() => String, { nullable: true, description: REQUEST_ID })
  requestId?: string | null;
}

@InputType('DeleteDvrSessionInput', { description: 'A DVR session to delete.' })
export class DeleteDvrSessionInput {
  @Field(() => String, { description: 'Full resource name of the session.' })
  name!: string;

  @Field(() => String, { nullable: true, description: REQUEST_ID })
  requestId?: string | null;
}
