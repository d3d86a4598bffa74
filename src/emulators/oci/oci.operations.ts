import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { OciWireError } from './oci.errors.js';
import {
  MEDIA_ASSET_STATES,
  MEDIA_ASSET_TYPES,
  STREAM_RESOURCE_STATES,
  compareValues,
  distributionChannelJson,
  mediaAssetJson,
  mediaAssetSummaryJson,
  packagingConfigJson,
  packagingConfigSummaryJson,
  type OciResourceStore,
  type WireObject,
} from './oci.store.js';
import type { PageTokenCodec, SessionTokenCodec } from './oci.tokens.js';

/**
 * The Media Services control-plane operations: list and get of media assets, stream packaging
 * configurations and stream distribution channels. Lists page with `limit` + `page` and answer the next
 * page's token in the `opc-next-page` header (absent on the last page).
 */

/** Page size when `limit` is absent (emulator choice; the reference gives none). */
export const OCI_DEFAULT_LIMIT = 100;
/** Largest accepted `limit` (emulator choice, the usual OCI maximum). */
export const OCI_MAX_LIMIT = 1000;

/**
 * How many items a list page holds for the `limit` a request asked (`undefined` when it sent none). The reference
 * calls `limit` "The maximum number of items to return" and says nothing of shorter pages; tests use this to make
 * pages shorter (and, to prove a client does not depend on it, longer) than asked.
 */
export type OciPageSizePolicy = (requested: number | undefined) => number;

/** What every handler gets. */
export interface OperationContext {
  readonly store: OciResourceStore;
  readonly pages: PageTokenCodec;
  readonly sessions: SessionTokenCodec;
  /** Emulator clock, epoch milliseconds. */
  readonly now: () => number;
  /** Value of the `opc-request-id` response header. */
  readonly requestId: string;
  readonly res: ServerResponse;
  /** How many items a list page holds; default the `limit` asked, {@link OCI_DEFAULT_LIMIT} without one. */
  readonly pageSizes?: OciPageSizePolicy | undefined;
}

/** Writes a 200 JSON response (with an `etag` for single resources). */
export function sendJson(ctx: OperationContext, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(200, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'opc-request-id': ctx.requestId,
  });
  ctx.res.end(text);
}

/** A strong entity tag for a resource body: the first 32 hex digits of its SHA-256. */
function etagOf(body: WireObject): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32);
}

function sendResource(ctx: OperationContext, body: WireObject): void {
  sendJson(ctx, body, { etag: etagOf(body) });
}

function notFound(): OciWireError {
  return OciWireError.of('NotAuthorizedOrNotFound');
}

/** Reads an optional enum query parameter; a value outside `allowed` is a 400 InvalidParameter. */
function enumParam<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw OciWireError.of('InvalidParameter', `Invalid ${name}: must be one of ${allowed.join(', ')}.`);
  }
  return value as T;
}

function requiredParam(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw OciWireError.of('MissingParameter', `Missing required parameter ${name}.`);
  return value;
}

/** Filters the list by every `[param, field]` pair present in the query (exact match, as OCI filters do). */
function applyFilters<T extends object>(items: T[], params: URLSearchParams, fields: readonly (keyof T & string)[]): T[] {
  let result = items;
  for (const field of fields) {
    const wanted = params.get(field);
    if (wanted !== null) result = result.filter((item) => item[field] === wanted);
  }
  return result;
}

/**
 * Sorts by `sortBy` (default `timeCreated`) in `sortOrder`; the default order is descending for
 * `timeCreated` and ascending otherwise, as the reference states. Ties break on `id` for stable pages.
 */
function sortItems<T extends { readonly id: string }>(items: T[], params: URLSearchParams, sortFields: readonly (keyof T & string)[]): T[] {
  const sortBy = enumParam(params, 'sortBy', sortFields) ?? ('timeCreated' as keyof T & string);
  const order = enumParam(params, 'sortOrder', ['ASC', 'DESC'] as const) ?? (sortBy === 'timeCreated' ? 'DESC' : 'ASC');
  const sign = order === 'ASC' ? 1 : -1;
  return [...items].sort((a, b) => sign * compareValues(a[sortBy], b[sortBy]) || compareValues(a.id, b.id));
}

/**
 * Answers one page of `items` (already filtered and sorted) as `{"items": [...]}`, with `opc-next-page`
 * when more remain. The page token is bound to `listKey` (operation + filters + sort).
 */
function sendPage<T>(ctx: OperationContext, params: URLSearchParams, listKey: string, items: T[], render: (item: T) => WireObject): void {
  const limitText = params.get('limit');
  const asked = limitText === null ? undefined : Number(limitText);
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 1 || asked > OCI_MAX_LIMIT)) {
    throw OciWireError.of('InvalidParameter', `Invalid limit: must be an integer from 1 to ${OCI_MAX_LIMIT}.`);
  }
  const limit = ctx.pageSizes === undefined ? (asked ?? OCI_DEFAULT_LIMIT) : Math.max(1, Math.floor(ctx.pageSizes(asked)));
  const page = params.get('page');
  let offset = 0;
  if (page !== null) {
    const decoded = ctx.pages.decode(listKey, page);
    if (decoded === undefined) throw OciWireError.of('InvalidParameter', 'Invalid page token.');
    offset = decoded;
  }
  const slice = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? ctx.pages.encode(listKey, offset + limit) : undefined;
  sendJson(ctx, { items: slice.map(render) }, next === undefined ? {} : { 'opc-next-page': next });
}

/** The part of a list query that a page token is bound to: every parameter except `limit` and `page`. */
function listKeyOf(operation: string, params: URLSearchParams): string {
  const entries = [...params.entries()].filter(([name]) => name !== 'limit' && name !== 'page');
  entries.sort(([a], [b]) => compareValues(a, b));
  return `${operation}?${new URLSearchParams(entries).toString()}`;
}

/** Filters the emulator does not model; rejected rather than silently ignored. */
const UNSUPPORTED_ASSET_FILTERS = ['distributionChannelId', 'mediaWorkflowJobId', 'sourceMediaWorkflowId', 'sourceMediaWorkflowVersion'];

/** `GET /20211101/mediaAssets` */
export function listMediaAssets(ctx: OperationContext, params: URLSearchParams): void {
  const compartmentId = requiredParam(params, 'compartmentId');
  for (const name of UNSUPPORTED_ASSET_FILTERS) {
    if (params.has(name)) throw OciWireError.of('InvalidParameter', `The ${name} filter is not supported by this emulator.`);
  }
  enumParam(params, 'lifecycleState', MEDIA_ASSET_STATES);
  enumParam(params, 'type', MEDIA_ASSET_TYPES);
  let items = [...ctx.store.assets.values()].filter((asset) => asset.compartmentId === compartmentId);
  items = applyFilters(items, params, ['displayName', 'lifecycleState', 'type', 'parentMediaAssetId', 'masterMediaAssetId', 'bucketName', 'objectName']);
  items = sortItems(items, params, [
    'compartmentId',
    'type',
    'lifecycleState',
    'parentMediaAssetId',
    'masterMediaAssetId',
    'displayName',
    'timeCreated',
    'timeUpdated',
  ]);
  sendPage(ctx, params, listKeyOf('ListMediaAssets', params), items, mediaAssetSummaryJson);
}

/** `GET /20211101/mediaAssets/{mediaAssetId}` */
export function getMediaAsset(ctx: OperationContext, id: string): void {
  const asset = ctx.store.assets.get(id);
  if (asset === undefined) throw notFound();
  sendResource(ctx, mediaAssetJson(asset));
}

/** `GET /20211101/streamPackagingConfigs` (`distributionChannelId` is required by the API). */
export function listStreamPackagingConfigs(ctx: OperationContext, params: URLSearchParams): void {
  const channelId = requiredParam(params, 'distributionChannelId');
  enumParam(params, 'lifecycleState', STREAM_RESOURCE_STATES);
  let items = [...ctx.store.packagingConfigs.values()].filter((config) => config.distributionChannelId === channelId);
  const configId = params.get('streamPackagingConfigId');
  if (configId !== null) items = items.filter((config) => config.id === configId);
  items = applyFilters(items, params, ['displayName', 'lifecycleState']);
  items = sortItems(items, params, ['timeCreated', 'displayName']);
  sendPage(ctx, params, listKeyOf('ListStreamPackagingConfigs', params), items, packagingConfigSummaryJson);
}

/** `GET /20211101/streamPackagingConfigs/{streamPackagingConfigId}` */
export function getStreamPackagingConfig(ctx: OperationContext, id: string): void {
  const config = ctx.store.packagingConfigs.get(id);
  if (config === undefined) throw notFound();
  sendResource(ctx, packagingConfigJson(config));
}

/** `GET /20211101/streamDistributionChannels` (needs `compartmentId` or `id`, emulator choice). */
export function listStreamDistributionChannels(ctx: OperationContext, params: URLSearchParams): void {
  const compartmentId = params.get('compartmentId');
  if (compartmentId === null && params.get('id') === null) requiredParam(params, 'compartmentId');
  enumParam(params, 'lifecycleState', STREAM_RESOURCE_STATES);
  let items = [...ctx.store.channels.values()];
  items = applyFilters(items, params, ['compartmentId', 'id', 'displayName', 'lifecycleState']);
  items = sortItems(items, params, ['timeCreated', 'displayName']);
  sendPage(ctx, params, listKeyOf('ListStreamDistributionChannels', params), items, distributionChannelJson);
}

/** `GET /20211101/streamDistributionChannels/{streamDistributionChannelId}` */
export function getStreamDistributionChannel(ctx: OperationContext, id: string): void {
  const channel = ctx.store.channels.get(id);
  if (channel === undefined) throw notFound();
  sendResource(ctx, distributionChannelJson(channel));
}
