import type { LiveStreamFaultSchedule } from './livestream.faults.js';
import type { ListRequest, ListSchema, PageSizePolicy } from './livestream.list-query.js';
import { listPage } from './livestream.list-query.js';
import { optionalRequestId, parseAssetName, parseChannelName, requireLocation, requireResourceId } from './livestream.names.js';
import { LiveStreamRpcError, invalidArgument } from './livestream.status.js';
import type { LiveStreamStore, StoredAsset, StoredChannel, StoredOperation } from './livestream.store.js';

/**
 * The asset, channel and operation-listing behaviour of the emulator, transport-neutral (the gRPC layer converts
 * requests and renders results). Validation follows the API reference; PROTOCOL.md marks emulator choices.
 */

/** What the emulator needs from its owner to run these operations. */
export interface ResourceContext {
  readonly store: LiveStreamStore;
  readonly faults: LiveStreamFaultSchedule;
  /** How many items a list page holds for the page size asked; default the page size itself. */
  readonly pageSizes?: PageSizePolicy | undefined;
}

/** CreateAsset input, already decoded from the wire. */
export interface CreateAssetInput {
  readonly parent: string;
  readonly assetId: string;
  readonly requestId: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  /** `undefined` when the request set neither `video` nor `image`. */
  readonly resource: StoredAsset['resource'] | undefined;
  readonly crc32c: string;
}

const ASSET_STATES = ['STATE_UNSPECIFIED', 'CREATING', 'ACTIVE', 'DELETING', 'ERROR'] as const;
const STREAMING_STATES = ['STREAMING_STATE_UNSPECIFIED', 'STREAMING', 'AWAITING_INPUT', 'STREAMING_ERROR', 'STREAMING_NO_INPUT', 'STOPPED', 'STARTING', 'STOPPING'] as const;

/** Filterable and sortable fields of assets. */
const ASSET_SCHEMA: ListSchema<StoredAsset> = {
  name: (asset) => asset.name,
  labels: (asset) => asset.labels,
  fields: {
    name: { type: 'string', get: (asset) => asset.name, sortable: true },
    state: { type: 'enum', get: (asset) => asset.state, values: ASSET_STATES, sortable: true },
    create_time: { type: 'timestamp', get: (asset) => asset.createTime, sortable: true },
    update_time: { type: 'timestamp', get: (asset) => asset.updateTime, sortable: true },
    crc32c: { type: 'string', get: (asset) => asset.crc32c },
    'video.uri': { type: 'string', get: (asset) => (asset.resource.kind === 'video' ? asset.resource.uri : undefined) },
    'image.uri': { type: 'string', get: (asset) => (asset.resource.kind === 'image' ? asset.resource.uri : undefined) },
  },
};

/** Filterable and sortable fields of channels. */
const CHANNEL_SCHEMA: ListSchema<StoredChannel> = {
  name: (channel) => channel.name,
  labels: (channel) => channel.labels,
  fields: {
    name: { type: 'string', get: (channel) => channel.name, sortable: true },
    streaming_state: { type: 'enum', get: (channel) => channel.streamingState, values: STREAMING_STATES, sortable: true },
    create_time: { type: 'timestamp', get: (channel) => channel.createTime, sortable: true },
    update_time: { type: 'timestamp', get: (channel) => channel.updateTime, sortable: true },
  },
};

/** Filterable and sortable fields of operations (ListOperations). */
const OPERATION_SCHEMA: ListSchema<StoredOperation> = {
  name: (operation) => operation.name,
  fields: {
    name: { type: 'string', get: (operation) => operation.name, sortable: true },
    done: { type: 'bool', get: (operation) => operation.done },
    'metadata.verb': { type: 'string', get: (operation) => operation.verb },
    'metadata.target': { type: 'string', get: (operation) => operation.target },
    'metadata.create_time': { type: 'timestamp', get: (operation) => operation.createTime, sortable: true },
  },
};

/**
 * CreateAsset: stores the asset in CREATING and starts the operation that makes it ACTIVE (or ERROR when an
 * `operationFailure` fault is planned). A repeated `request_id` returns the first request's operation.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT (parent, id, request id, missing resource), ALREADY_EXISTS.
 */
export function createAsset(ctx: ResourceContext, input: CreateAssetInput): StoredOperation {
  requireLocation(input.parent);
  const requestId = optionalRequestId(input.requestId);
  const earlier = ctx.store.findByRequestId('CreateAsset', requestId);
  if (earlier !== undefined) return earlier;
  requireResourceId(input.assetId, 'asset_id');
  const resource = input.resource;
  if (resource === undefined) throw invalidArgument('asset must set video or image');
  if (!/^gs:\/\/[^/]+\/.+/.test(resource.uri)) throw invalidArgument(`${resource.kind}.uri must look like gs://bucket/object`);
  const name = `${input.parent}/assets/${input.assetId}`;
  if (ctx.store.assets.has(name)) throw new LiveStreamRpcError('ALREADY_EXISTS', `Asset ${name} already exists.`);
  const now = ctx.store.now();
  const asset: StoredAsset = {
    name,
    parent: input.parent,
    id: input.assetId,
    createTime: now,
    updateTime: now,
    labels: { ...input.labels },
    resource: { ...resource },
    crc32c: input.crc32c,
    state: 'CREATING',
    error: undefined,
  };
  ctx.store.assets.set(name, asset);
  return ctx.store.startOperation('CreateAsset', name, 'create', requestId, ctx.faults.takeOperationFailure('CreateAsset'), {
    complete: () => {
      asset.state = 'ACTIVE';
      asset.updateTime = ctx.store.now();
      return { type: 'Asset', asset: { ...asset } };
    },
    fail: (status) => {
      asset.state = 'ERROR';
      asset.error = status;
      asset.updateTime = ctx.store.now();
    },
    cancel: () => {
      ctx.store.assets.delete(name);
    },
  });
}

/**
 * DeleteAsset: marks the asset DELETING and starts the operation that removes it. A failed delete (planned
 * `operationFailure`) or a cancelled one leaves the asset as it was.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION while another operation runs on it.
 */
export function deleteAsset(ctx: ResourceContext, name: string, requestIdInput: string | undefined): StoredOperation {
  parseAssetName(name);
  const requestId = optionalRequestId(requestIdInput);
  const earlier = ctx.store.findByRequestId('DeleteAsset', requestId);
  if (earlier !== undefined) return earlier;
  const asset = getAsset(ctx, name);
  if (asset.state === 'CREATING' || asset.state === 'DELETING') {
    throw new LiveStreamRpcError('FAILED_PRECONDITION', `Asset ${name} is ${asset.state.toLowerCase()}; retry when the operation is done.`);
  }
  const previous = asset.state;
  asset.state = 'DELETING';
  asset.updateTime = ctx.store.now();
  const restore = (): void => {
    asset.state = previous;
    asset.updateTime = ctx.store.now();
  };
  return ctx.store.startOperation('DeleteAsset', name, 'delete', requestId, ctx.faults.takeOperationFailure('DeleteAsset'), {
    complete: () => {
      ctx.store.assets.delete(name);
      return { type: 'Empty' };
    },
    fail: restore,
    cancel: restore,
  });
}

/**
 * GetAsset.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT for a malformed name, NOT_FOUND.
 */
export function getAsset(ctx: ResourceContext, name: string): StoredAsset {
  parseAssetName(name);
  const asset = ctx.store.assets.get(name);
  if (asset === undefined) throw new LiveStreamRpcError('NOT_FOUND', `Asset ${name} not found.`);
  return asset;
}

/**
 * ListAssets of one location.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT (parent, page size, filter, order_by, page token).
 */
export function listAssets(ctx: ResourceContext, parent: string, request: ListRequest): { items: StoredAsset[]; nextPageToken: string } {
  requireLocation(parent);
  const items = [...ctx.store.assets.values()].filter((asset) => asset.parent === parent);
  return listPage(items, request, ASSET_SCHEMA, `assets\0${parent}`, ctx.pageSizes);
}

/**
 * GetChannel.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT for a malformed name, NOT_FOUND.
 */
export function getChannel(ctx: ResourceContext, name: string): StoredChannel {
  parseChannelName(name);
  const channel = ctx.store.channels.get(name);
  if (channel === undefined) throw new LiveStreamRpcError('NOT_FOUND', `Channel ${name} not found.`);
  return channel;
}

/**
 * ListChannels of one location.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT (parent, page size, filter, order_by, page token).
 */
export function listChannels(ctx: ResourceContext, parent: string, request: ListRequest): { items: StoredChannel[]; nextPageToken: string } {
  requireLocation(parent);
  const items = [...ctx.store.channels.values()].filter((channel) => channel.parent === parent);
  return listPage(items, request, CHANNEL_SCHEMA, `channels\0${parent}`, ctx.pageSizes);
}

/**
 * ListOperations of one location (`name` is `projects/{p}/locations/{l}`, as the API's operations collection).
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT (name, page size, filter, page token).
 */
export function listOperations(ctx: ResourceContext, name: string, request: ListRequest): { items: StoredOperation[]; nextPageToken: string } {
  requireLocation(name);
  return listPage(ctx.store.listOperations(name), request, OPERATION_SCHEMA, `operations\0${name}`, ctx.pageSizes);
}
