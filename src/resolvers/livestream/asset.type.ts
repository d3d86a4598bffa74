import type { Asset } from '../../datasources/livestream/livestream.types.js';
import { Directive, Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '../../core/type-graphql.js';
import { NodeType } from '../node/node.type.js';
import { LabelType, LiveStreamErrorType } from './livestream.common.js';

/** What `Asset` resolvers receive as their root. */
export type AssetSource = Asset;

/** GraphQL `AssetType`: the kind of file an asset holds. */
export enum AssetKindEnum {
  VIDEO = 'VIDEO',
  IMAGE = 'IMAGE',
}
registerEnumType(AssetKindEnum, {
  name: 'AssetType',
  description: 'The kind of file a Live Stream asset holds.',
  valuesConfig: {
    VIDEO: { description: 'A video file (e.g. an MP4 used as slate or ad).' },
    IMAGE: { description: 'An image file (e.g. a PNG or JPEG slate).' },
  },
});

/** GraphQL mirror of the domain `AssetState`. */
export enum AssetStateEnum {
  STATE_UNSPECIFIED = 'STATE_UNSPECIFIED',
  CREATING = 'CREATING',
  ACTIVE = 'ACTIVE',
  DELETING = 'DELETING',
  ERROR = 'ERROR',
}
registerEnumType(AssetStateEnum, {
  name: 'AssetState',
  description: 'Lifecycle state of a Live Stream asset.',
  valuesConfig: {
    STATE_UNSPECIFIED: { description: 'The service did not report a state.' },
    CREATING: { description: 'The asset is being created (its file is being read and checked).' },
    ACTIVE: { description: 'The asset is ready for use by channels.' },
    DELETING: { description: 'The asset is being deleted.' },
    ERROR: { description: 'The asset could not be created; `error` says why.' },
  },
});

@Directive('@key(fields: "id")')
@ObjectType('Asset', {
  implements: [NodeType],
  description: 'A Google Cloud Live Stream asset: a video or image file in Cloud Storage that channels can insert (slates, ads).',
})
export class AssetType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id!: string;

  @Field(() => String, { description: 'Full resource name: `projects/{project}/locations/{location}/assets/{assetId}`.' })
  name!: string;

  @Field(() => String, { description: 'The asset id: the last segment of `name`.' })
  assetId!: string;

  @Field(() => AssetKindEnum, { nullable: true, description: 'Whether the asset is a video or an image; null when the service reports neither.' })
  type!: AssetKindEnum | null;

  @Field(() => String, { nullable: true, description: 'Cloud Storage URI of the source file: `gs://bucket/object`.' })
  uri!: string | null;

  @Field(() => AssetStateEnum, { description: 'Lifecycle state.' })
  state!: AssetStateEnum;

  @Field(() => LiveStreamErrorType, { nullable: true, description: 'Why the asset is in `ERROR`; null in any other state.' })
  error!: LiveStreamErrorType | null;

  @Field(() => [LabelType], { description: 'User labels, sorted by key.' })
  labels!: LabelType[];

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the asset was created (UTC).' })
  createTime!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the asset was last updated (UTC).' })
  updateTime!: Date | null;

  @Field(() => String, { nullable: true, description: 'Base64 CRC32C checksum of the file; null until the service has computed it.' })
  crc32c!: string | null;
}
