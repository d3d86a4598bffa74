import type { MediaAsset, MediaAssetSummary } from '../../datasources/oci/oci.types.js';
import { Directive, Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '../../core/type-graphql.js';
import { NodeType } from '../node/node.type.js';

/**
 * What `MediaAsset` resolvers receive as their root: a list item (summary) or a GetMediaAsset result. The
 * storage location is only in the latter.
 */
export type MediaAssetSource = MediaAssetSummary | MediaAsset;

/** Whether `asset` came from GetMediaAsset (and so carries its storage location). */
export function isFullMediaAsset(asset: MediaAssetSource): asset is MediaAsset {
  return 'objectName' in asset;
}

/** Lifecycle states a media asset list can be filtered by (the API's `LifecycleState`). */
export enum MediaAssetLifecycleState {
  CREATING = 'CREATING',
  UPDATING = 'UPDATING',
  ACTIVE = 'ACTIVE',
  DELETING = 'DELETING',
  DELETED = 'DELETED',
  FAILED = 'FAILED',
}

registerEnumType(MediaAssetLifecycleState, {
  name: 'MediaAssetLifecycleState',
  description: 'Lifecycle state of an OCI media asset, as a list filter.',
  valuesConfig: {
    CREATING: { description: 'Being created; not playable yet.' },
    UPDATING: { description: 'Being updated.' },
    ACTIVE: { description: 'Ready; playlists can be generated for it.' },
    DELETING: { description: 'Being deleted.' },
    DELETED: { description: 'Deleted; kept in lists for a while.' },
    FAILED: { description: 'Creation or an update failed.' },
  },
});

@ObjectType('FreeformTag', { description: 'A free-form tag (key and value) of an OCI resource.' })
export class FreeformTagType {
  @Field(() => String, { description: 'Tag key.' })
  key!: string;

  @Field(() => String, { description: 'Tag value.' })
  value!: string;
}

@Directive('@key(fields: "id")')
@ObjectType('MediaAsset', {
  implements: [NodeType],
  description:
    'An OCI Media Services media asset (a video, audio file, playlist, image or caption file). Lookups by id in one request are batched and deduplicated.',
})
export class MediaAssetType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Display name.' })
  displayName?: string;

  @Field(() => String, { description: 'OCID of the compartment the asset belongs to.' })
  compartmentId!: string;

  @Field(() => String, { description: 'Kind of media: `AUDIO`, `VIDEO`, `PLAYLIST`, `IMAGE`, `CAPTION_FILE` or `UNKNOWN`.' })
  type!: string;

  @Field(() => String, {
    description: 'Lifecycle state: `CREATING`, `UPDATING`, `ACTIVE`, `DELETING`, `DELETED` or `FAILED` (later API versions may add more).',
  })
  lifecycleState!: string;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the asset was created (UTC).' })
  timeCreated?: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the asset was last updated (UTC).' })
  timeUpdated?: Date;

  @Field(() => String, { nullable: true, description: 'OCID of the asset this one was derived from, if any.' })
  parentMediaAssetId?: string;

  @Field(() => String, { nullable: true, description: 'OCID of the master (original) asset of this one, if any.' })
  masterMediaAssetId?: string;
}
