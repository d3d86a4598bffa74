import { ASSET_NAME, LOCATION_NAME, requireName } from '../../datasources/livestream/livestream.call.js';
import type { Asset, LongRunningOperation } from '../../datasources/livestream/livestream.types.js';
import { createConnectionType } from '../../pagination/connection.type.js';
import type { ConnectionData } from '../../pagination/paginate.js';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import { encodeGlobalId } from '../node/global-id.js';
import { AssetKindEnum, AssetType, type AssetSource } from './asset.type.js';
import { CreateAssetInput, DeleteAssetInput } from './livestream.inputs.js';
import {
  LabelType,
  LiveStreamErrorType,
  liveStream,
  liveStreamConnection,
  requestIdOf,
  toLabelList,
  toLabelRecord,
  toLiveStreamError,
} from './livestream.common.js';
import { OperationType } from './operation.type.js';

/** `AssetConnection`. */
export const AssetConnection = createConnectionType('Asset', () => AssetType, 'Live Stream asset');

/** Shared argument descriptions of Live Stream lists. */
export const LIST_ARGS = {
  first: 'Number of items to return, 0 to 100.',
  after: 'Cursor of the edge to continue after.',
  filter: 'AIP-160 filter passed to Live Stream as is, e.g. `labels.env=prod AND state=ACTIVE`.',
  orderBy: 'AIP-132 ordering passed to Live Stream as is, e.g. `create_time desc`; the service default when omitted.',
} as const;

/** Live Stream assets: list, get, create, delete. Thin: validation, then the datasource or its loaders. */
@Resolver(() => AssetType)
export class AssetsResolver {
  @Query(() => AssetConnection, {
    description:
      'Lists the Live Stream assets of a location. Cursors are opaque, signed, bound to this list (parent, filter and order) and resume from any edge.',
  })
  assets(
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
  ): Promise<ConnectionData<Asset>> {
    const { api, defaultParent } = liveStream(services);
    const location = requireName(parent ?? defaultParent, LOCATION_NAME, 'location');
    return liveStreamConnection(services, 'assets', location, { first, after, filter, orderBy }, (query) => api.listAssets(location, query, { signal }));
  }

  @Query(() => AssetType, {
    nullable: true,
    description: 'One Live Stream asset by full resource name; null when it does not exist. Lookups in one request are deduplicated.',
  })
  asset(
    @Arg('name', () => String, { description: 'Full resource name: `projects/{project}/locations/{location}/assets/{assetId}`.' }) name: string,
    @Ctx() { services, loaders }: RequestContext,
  ): Promise<Asset | null> {
    liveStream(services);
    return loaders.liveStreamAsset.load(requireName(name, ASSET_NAME, 'asset'));
  }

  @Mutation(() => OperationType, {
    description:
      'Starts creating a Live Stream asset; returns the long-running operation, which ends with the ACTIVE asset (or an error). `CONFLICT` when the asset id is taken.',
  })
  createAsset(
    @Arg('input', () => CreateAssetInput, { description: 'The asset to create.' }) input: CreateAssetInput,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<LongRunningOperation> {
    const { api, defaultParent } = liveStream(services);
    return api.createAsset(
      {
        parent: input.parent ?? defaultParent,
        assetId: input.assetId,
        kind: input.type === AssetKindEnum.VIDEO ? 'video' : 'image',
        uri: input.uri,
        labels: toLabelRecord(input.labels),
        ...(input.crc32c === null || input.crc32c === undefined ? {} : { crc32c: input.crc32c }),
      },
      { signal, requestId: requestIdOf(input.requestId) },
    );
  }

  @Mutation(() => OperationType, {
    description: 'Starts deleting a Live Stream asset; returns the long-running operation, which ends with an `EmptyResult`. `NOT_FOUND` when it does not exist.',
  })
  async deleteAsset(
    @Arg('input', () => DeleteAssetInput, { description: 'The asset to delete.' }) input: DeleteAssetInput,
    @Ctx() { services, loaders, signal }: RequestContext,
  ): Promise<LongRunningOperation> {
    const operation = await liveStream(services).api.deleteAsset(input.name, { signal, requestId: requestIdOf(input.requestId) });
    loaders.liveStreamAsset.clear(input.name);
    return operation;
  }

  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id(@Root() asset: AssetSource): string {
    return encodeGlobalId('Asset', asset.name);
  }

  @FieldResolver(() => String, { description: 'The asset id: the last segment of `name`.' })
  assetId(@Root() asset: AssetSource): string {
    return asset.id;
  }

  @FieldResolver(() => AssetKindEnum, { nullable: true, description: 'Whether the asset is a video or an image; null when the service reports neither.' })
  type(@Root() asset: AssetSource): AssetKindEnum | null {
    if (asset.kind === undefined) return null;
    return asset.kind === 'video' ? AssetKindEnum.VIDEO : AssetKindEnum.IMAGE;
  }

  @FieldResolver(() => LiveStreamErrorType, { nullable: true, description: 'Why the asset is in `ERROR`; null in any other state.' })
  error(@Root() asset: AssetSource): LiveStreamErrorType | null {
    return toLiveStreamError(asset.error);
  }

  @FieldResolver(() => [LabelType], { description: 'User labels, sorted by key.' })
  labels(@Root() asset: AssetSource): LabelType[] {
    return toLabelList(asset.labels);
  }
}
