import { OCI_MAX_PAGE_SIZE } from '../../datasources/oci/oci-media-services.datasource.js';
import type { MediaAsset, MediaAssetSummary } from '../../datasources/oci/oci.types.js';
import { createConnectionType } from '../../pagination/connection.type.js';
import { checkFirst } from '../../pagination/page-args.js';
import { paginateForward, type ConnectionData } from '../../pagination/paginate.js';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import { encodeGlobalId } from '../node/global-id.js';
import { FreeformTagType, MediaAssetLifecycleState, MediaAssetType, isFullMediaAsset, type MediaAssetSource } from './media-asset.type.js';
import { compartmentOf, requireOci, toOcid } from './oci-ids.js';

/** `MediaAssetConnection`. */
export const MediaAssetConnection = createConnectionType('MediaAsset', () => MediaAssetType, 'media asset');

/** The full asset of `asset` (a list item costs one batched, deduplicated GetMediaAsset). */
async function fullAsset(asset: MediaAssetSource, { loaders }: RequestContext): Promise<MediaAsset | null> {
  return isFullMediaAsset(asset) ? asset : loaders.mediaAsset.load(asset.id);
}

/** Media assets of OCI Media Services: queries and fields. Thin: validation, then the datasource or loaders. */
@Resolver(() => MediaAssetType)
export class MediaAssetsResolver {
  @Query(() => MediaAssetConnection, {
    description:
      'Lists the media assets of a compartment (ListMediaAssets), newest first. Cursors are opaque, signed, bound to this compartment and filter, and resume from any edge.',
  })
  mediaAssets(
    @Arg('compartmentId', () => String, {
      nullable: true,
      description: 'OCID of the compartment to list; the gateway\'s default compartment (OCI_COMPARTMENT_ID) when omitted.',
    })
    compartmentId: string | null | undefined,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Number of assets to return, 0 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the edge to continue after.' }) after: string | null,
    @Arg('lifecycleState', () => MediaAssetLifecycleState, { nullable: true, description: 'Only assets in this lifecycle state.' })
    lifecycleState: MediaAssetLifecycleState | null | undefined,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<ConnectionData<MediaAssetSummary>> {
    const compartment = compartmentOf(services, compartmentId);
    const count = checkFirst(first, services.config.pageSizeMax);
    const { mediaServices } = requireOci(services);
    const state = lifecycleState ?? undefined;
    return paginateForward<MediaAssetSummary>({
      listKey: `oci:mediaAssets:${compartment}:${state ?? ''}`,
      first: count,
      after,
      codec: services.cursors,
      providerMaxPageSize: OCI_MAX_PAGE_SIZE,
      // OCI page tokens do not expire.
      tokenTtlMs: undefined,
      fetchPage: async ({ token, pageSize }) => {
        const page = await mediaServices.listMediaAssets({ compartmentId: compartment, limit: pageSize, page: token, lifecycleState: state }, { signal });
        return { items: page.items, nextToken: page.nextPage };
      },
    });
  }

  @Query(() => MediaAssetType, {
    nullable: true,
    description: 'One media asset by `MediaAsset.id` or OCID; null when it does not exist. Lookups in one request are batched and deduplicated.',
  })
  mediaAsset(
    @Arg('id', () => ID, { description: 'A `MediaAsset.id` or the asset\'s OCID.' }) id: string,
    @Ctx() { services, loaders }: RequestContext,
  ): Promise<MediaAsset | null> {
    const ocid = toOcid(id, 'MediaAsset', 'id');
    requireOci(services);
    return loaders.mediaAsset.load(ocid);
  }

  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id(@Root() asset: MediaAssetSource): string {
    return encodeGlobalId('MediaAsset', asset.id);
  }

  @FieldResolver(() => String, { description: 'The asset\'s OCID.' })
  ocid(@Root() asset: MediaAssetSource): string {
    return asset.id;
  }

  @FieldResolver(() => MediaAssetType, { nullable: true, description: 'The asset this one was derived from; null when none (or it no longer exists).' })
  parent(@Root() asset: MediaAssetSource, @Ctx() { loaders }: RequestContext): Promise<MediaAsset | null> | null {
    return asset.parentMediaAssetId === undefined ? null : loaders.mediaAsset.load(asset.parentMediaAssetId);
  }

  @FieldResolver(() => MediaAssetType, { nullable: true, description: 'The master (original) asset of this one; null when none (or it no longer exists).' })
  master(@Root() asset: MediaAssetSource, @Ctx() { loaders }: RequestContext): Promise<MediaAsset | null> | null {
    return asset.masterMediaAssetId === undefined ? null : loaders.mediaAsset.load(asset.masterMediaAssetId);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Object Storage bucket of the source object. Costs one (batched) GetMediaAsset when the asset came from a list.',
  })
  async bucketName(@Root() asset: MediaAssetSource, @Ctx() context: RequestContext): Promise<string | undefined> {
    return (await fullAsset(asset, context))?.bucketName;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Object Storage namespace of the source object. Costs one (batched) GetMediaAsset when the asset came from a list.',
  })
  async namespaceName(@Root() asset: MediaAssetSource, @Ctx() context: RequestContext): Promise<string | undefined> {
    return (await fullAsset(asset, context))?.namespaceName;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Object Storage object name of the source object. Costs one (batched) GetMediaAsset when the asset came from a list.',
  })
  async objectName(@Root() asset: MediaAssetSource, @Ctx() context: RequestContext): Promise<string | undefined> {
    return (await fullAsset(asset, context))?.objectName;
  }

  @FieldResolver(() => [FreeformTagType], { description: 'Free-form tags of the asset, sorted by key.' })
  freeformTags(@Root() asset: MediaAssetSource): FreeformTagType[] {
    return Object.entries(asset.freeformTags)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value }));
  }
}
