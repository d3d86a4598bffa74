import { protos } from '@google-cloud/livestream';
import { statusNameOf } from './livestream.errors.js';
import type {
  Asset,
  AssetState,
  Channel,
  ChannelManifest,
  ChannelStreamingState,
  CreateDvrSessionInput,
  DvrManifest,
  DvrRetention,
  DvrSession,
  DvrSessionState,
  DvrWindow,
  LongRunningOperation,
  OperationMetadata,
  OperationResult,
  ProviderStatus,
} from './livestream.types.js';

/**
 * Pure mappers between the Live Stream wire shapes and the domain types: protobuf messages as the gRPC SDK
 * decodes them (`IAsset`, `IChannel`, `IOperation` with `Any` fields) and REST JSON (DVR sessions, operations).
 * Enums may arrive as names or numbers, int64 as number, string or Long; both are accepted.
 */

type IAsset = protos.google.cloud.video.livestream.v1.IAsset;
type IChannel = protos.google.cloud.video.livestream.v1.IChannel;
type IOperation = protos.google.longrunning.IOperation;
type IStatus = protos.google.rpc.IStatus;
type IAny = protos.google.protobuf.IAny;
type ITimestamp = protos.google.protobuf.ITimestamp;
type IDuration = protos.google.protobuf.IDuration;

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const ASSET_STATES: readonly AssetState[] = ['STATE_UNSPECIFIED', 'CREATING', 'ACTIVE', 'DELETING', 'ERROR'];
const STREAMING_STATES: Readonly<Record<number, ChannelStreamingState>> = {
  0: 'STREAMING_STATE_UNSPECIFIED',
  1: 'STREAMING',
  2: 'AWAITING_INPUT',
  4: 'STREAMING_ERROR',
  5: 'STREAMING_NO_INPUT',
  6: 'STOPPED',
  7: 'STARTING',
  8: 'STOPPING',
};
const MANIFEST_TYPES: readonly ChannelManifest['type'][] = ['MANIFEST_TYPE_UNSPECIFIED', 'HLS', 'DASH'];
const DVR_STATES: readonly DvrSessionState[] = [
  'STATE_UNSPECIFIED',
  'PENDING',
  'UPDATING',
  'SCHEDULED',
  'LIVE',
  'FINISHED',
  'FAILED',
  'DELETING',
  'POST_PROCESSING',
  'COOLDOWN',
  'STOPPING',
];

/** An enum value as a name from `names`, accepting either form; unknown values become `fallback`. */
function enumName<T extends string>(value: unknown, byNumber: Readonly<Record<number, T>>, names: readonly T[], fallback: T): T {
  if (typeof value === 'number') return byNumber[value] ?? fallback;
  return typeof value === 'string' && (names as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** int64 as a JS number (number, decimal string or Long). */
function int64(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  const parsed = Number(typeof value === 'object' ? String(value) : value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A protobuf Timestamp as a Date; `undefined` when unset. */
export function timestampToDate(timestamp: ITimestamp | null | undefined): Date | undefined {
  if (timestamp === null || timestamp === undefined) return undefined;
  const seconds = int64(timestamp.seconds) ?? 0;
  return new Date(seconds * 1000 + Math.floor((timestamp.nanos ?? 0) / 1_000_000));
}

/** A protobuf Duration in (fractional) seconds; `undefined` when unset. */
export function durationToSeconds(duration: IDuration | null | undefined): number | undefined {
  if (duration === null || duration === undefined) return undefined;
  return (int64(duration.seconds) ?? 0) + (duration.nanos ?? 0) / 1e9;
}

function rfc3339(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : new Date(parsed);
}

function labelsOf(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return labels;
  for (const [key, entry] of Object.entries(value)) if (typeof entry === 'string') labels[key] = entry;
  return labels;
}

function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/** A google.rpc.Status (protobuf or JSON) as a provider status; `undefined` when unset or OK. */
export function toProviderStatus(status: IStatus | Readonly<Record<string, unknown>> | null | undefined): ProviderStatus | undefined {
  if (status === null || status === undefined) return undefined;
  const code = typeof status['code'] === 'number' ? status['code'] : 0;
  if (code === 0) return undefined;
  const message = typeof status['message'] === 'string' ? status['message'] : '';
  return { code, status: statusNameOf(code), message };
}

/** An Asset message as the domain asset. */
export function toAsset(asset: IAsset): Asset {
  const name = asset.name ?? '';
  const kind = asset.video !== null && asset.video !== undefined ? 'video' : asset.image !== null && asset.image !== undefined ? 'image' : undefined;
  return {
    name,
    id: lastSegment(name),
    kind,
    uri: nonEmpty(kind === 'video' ? asset.video?.uri : kind === 'image' ? asset.image?.uri : undefined),
    labels: labelsOf(asset.labels),
    crc32c: nonEmpty(asset.crc32c),
    state: enumName(asset.state, ASSET_STATES, ASSET_STATES, 'STATE_UNSPECIFIED'),
    error: toProviderStatus(asset.error),
    createTime: timestampToDate(asset.createTime),
    updateTime: timestampToDate(asset.updateTime),
  };
}

/** A Channel message as the domain channel (retention in seconds, see {@link Channel}). */
export function toChannel(channel: IChannel): Channel {
  const name = channel.name ?? '';
  const retention = durationToSeconds(channel.retentionConfig?.retentionWindowDuration);
  return {
    name,
    id: lastSegment(name),
    labels: labelsOf(channel.labels),
    outputUri: nonEmpty(channel.output?.uri),
    manifests: (channel.manifests ?? []).map((manifest) => ({
      key: nonEmpty(manifest.key),
      fileName: manifest.fileName ?? '',
      type: enumName(manifest.type, MANIFEST_TYPES, MANIFEST_TYPES, 'MANIFEST_TYPE_UNSPECIFIED'),
    })),
    streamingState: enumName(channel.streamingState, STREAMING_STATES, Object.values(STREAMING_STATES), 'STREAMING_STATE_UNSPECIFIED'),
    // Zero means "not set" for this field (documented: omitted or zero falls back to segment_keep_duration).
    retentionWindowSeconds: retention === undefined || retention === 0 ? undefined : retention,
    createTime: timestampToDate(channel.createTime),
    updateTime: timestampToDate(channel.updateTime),
  };
}

function unpack(any: IAny | null | undefined): { typeName: string; value: Uint8Array } | undefined {
  if (any === null || any === undefined || typeof any.type_url !== 'string' || any.type_url === '') return undefined;
  const value = typeof any.value === 'string' ? Buffer.from(any.value, 'base64') : (any.value ?? new Uint8Array(0));
  return { typeName: any.type_url.slice(any.type_url.lastIndexOf('/') + 1), value };
}

function metadataFrom(message: Readonly<Record<string, unknown>>, toDate: (value: unknown) => Date | undefined): OperationMetadata {
  return {
    target: typeof message['target'] === 'string' ? nonEmpty(message['target']) : undefined,
    verb: typeof message['verb'] === 'string' ? nonEmpty(message['verb']) : undefined,
    createTime: toDate(message['createTime']),
    endTime: toDate(message['endTime']),
    requestedCancellation: message['requestedCancellation'] === true,
    apiVersion: typeof message['apiVersion'] === 'string' ? nonEmpty(message['apiVersion']) : undefined,
  };
}

const protoDate = (value: unknown): Date | undefined => timestampToDate(value as ITimestamp | null | undefined);

/**
 * A google.longrunning.Operation as the gRPC SDK returns it (raw, `Any` fields still packed). Packed Asset and
 * OperationMetadata are decoded with the SDK's codecs; other response types become `Unknown`.
 *
 * @throws Error when a packed message is corrupt (the codec's decode error).
 */
export function toOperation(operation: IOperation): LongRunningOperation {
  const v1 = protos.google.cloud.video.livestream.v1;
  const metadataAny = unpack(operation.metadata);
  const metadata =
    metadataAny?.typeName === 'google.cloud.video.livestream.v1.OperationMetadata'
      ? metadataFrom(v1.OperationMetadata.decode(metadataAny.value) as unknown as Record<string, unknown>, protoDate)
      : undefined;
  const done = operation.done === true;
  const error = done ? toProviderStatus(operation.error) : undefined;
  let result: OperationResult | undefined;
  const response = done && error === undefined ? unpack(operation.response) : undefined;
  if (response !== undefined) {
    if (response.typeName === 'google.cloud.video.livestream.v1.Asset') result = { type: 'Asset', asset: toAsset(v1.Asset.decode(response.value)) };
    else if (response.typeName === 'google.protobuf.Empty') result = { type: 'Empty' };
    else result = { type: 'Unknown', typeUrl: `${TYPE_URL_PREFIX}${response.typeName}` };
  }
  return { name: operation.name ?? '', done, error, metadata, result };
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** An Asset in REST JSON (an asset operation read over REST). */
export function toAssetFromJson(json: unknown): Asset {
  const asset = record(json);
  const video = record(asset['video']);
  const image = record(asset['image']);
  const kind = asset['video'] !== undefined ? 'video' : asset['image'] !== undefined ? 'image' : undefined;
  const uri = kind === 'video' ? video['uri'] : kind === 'image' ? image['uri'] : undefined;
  const name = typeof asset['name'] === 'string' ? asset['name'] : '';
  return {
    name,
    id: lastSegment(name),
    kind,
    uri: typeof uri === 'string' ? nonEmpty(uri) : undefined,
    labels: labelsOf(asset['labels']),
    crc32c: typeof asset['crc32c'] === 'string' ? nonEmpty(asset['crc32c']) : undefined,
    state: enumName(asset['state'], ASSET_STATES, ASSET_STATES, 'STATE_UNSPECIFIED'),
    error: toProviderStatus(record(asset['error'])),
    createTime: rfc3339(asset['createTime']),
    updateTime: rfc3339(asset['updateTime']),
  };
}

/**
 * A DvrSession in REST JSON as the domain session; `startTime`/`endTime` span all windows. The retention view
 * needs the parent channel and is derived separately ({@link dvrRetention}). See {@link DvrSession}.
 */
export function toDvrSession(json: unknown): DvrSession {
  const session = record(json);
  const name = typeof session['name'] === 'string' ? session['name'] : '';
  const windows: DvrWindow[] = [];
  for (const entry of list(session['dvrWindows'])) {
    const interval = record(record(entry)['timeInterval']);
    const startTime = rfc3339(interval['startTime']);
    const endTime = rfc3339(interval['endTime']);
    if (startTime !== undefined && endTime !== undefined) windows.push({ startTime, endTime });
  }
  const manifests: DvrManifest[] = list(session['dvrManifests']).map((entry) => {
    const manifest = record(entry);
    return {
      manifestKey: typeof manifest['manifestKey'] === 'string' ? manifest['manifestKey'] : '',
      outputUri: typeof manifest['outputUri'] === 'string' ? nonEmpty(manifest['outputUri']) : undefined,
    };
  });
  const startTime = windows.length === 0 ? undefined : new Date(Math.min(...windows.map((window) => window.startTime.getTime())));
  const endTime = windows.length === 0 ? undefined : new Date(Math.max(...windows.map((window) => window.endTime.getTime())));
  const channelName = name.includes('/dvrSessions/') ? name.slice(0, name.indexOf('/dvrSessions/')) : '';
  return {
    name,
    id: lastSegment(name),
    channelName,
    labels: labelsOf(session['labels']),
    state: enumName(session['state'], DVR_STATES, DVR_STATES, 'STATE_UNSPECIFIED'),
    error: toProviderStatus(record(session['error'])),
    manifests,
    windows,
    startTime,
    endTime,
    createTime: rfc3339(session['createTime']),
    updateTime: rfc3339(session['updateTime']),
  };
}

/**
 * The retention view of a DVR session from its parent channel's retention config (see {@link DvrRetention}).
 *
 * @returns `undefined` when `channel` is absent, is not the session's parent, or has no retention config.
 */
export function dvrRetention(
  session: Pick<DvrSession, 'channelName' | 'startTime' | 'endTime'>,
  channel: Channel | null | undefined,
): DvrRetention | undefined {
  const windowSeconds = channel?.retentionWindowSeconds;
  if (windowSeconds === undefined || channel?.name !== session.channelName) return undefined;
  return {
    windowSeconds,
    completeUntil: session.startTime === undefined ? undefined : new Date(session.startTime.getTime() + windowSeconds * 1000),
    expiresAt: session.endTime === undefined ? undefined : new Date(session.endTime.getTime() + windowSeconds * 1000),
  };
}

/** A google.longrunning.Operation in REST JSON (`Any` as objects with `@type`; `done` absent while false). */
export function toOperationFromJson(json: unknown): LongRunningOperation {
  const operation = record(json);
  const metadataJson = record(operation['metadata']);
  const metadata = metadataJson['@type'] === `${TYPE_URL_PREFIX}google.cloud.video.livestream.v1.OperationMetadata` ? metadataFrom(metadataJson, rfc3339) : undefined;
  const done = operation['done'] === true;
  const error = done ? toProviderStatus(record(operation['error'])) : undefined;
  let result: OperationResult | undefined;
  const response = record(operation['response']);
  const type = typeof response['@type'] === 'string' ? response['@type'] : undefined;
  if (done && error === undefined && type !== undefined) {
    if (type === `${TYPE_URL_PREFIX}google.cloud.video.livestream.v1.DvrSession`) result = { type: 'DvrSession', dvrSession: toDvrSession(response) };
    else if (type === `${TYPE_URL_PREFIX}google.cloud.video.livestream.v1.Asset`) result = { type: 'Asset', asset: toAssetFromJson(response) };
    else if (type === `${TYPE_URL_PREFIX}google.protobuf.Empty`) result = { type: 'Empty' };
    else result = { type: 'Unknown', typeUrl: type };
  }
  return { name: typeof operation['name'] === 'string' ? operation['name'] : '', done, error, metadata, result };
}

/** The REST body of a DVR session creation (`dvrManifests`, `dvrWindows`, `labels`). */
export function toDvrSessionBody(input: CreateDvrSessionInput): Record<string, unknown> {
  return {
    ...(input.labels === undefined ? {} : { labels: { ...input.labels } }),
    dvrManifests: [{ manifestKey: input.manifestKey }],
    dvrWindows: toDvrWindowsBody(input.windows),
  };
}

/** `dvrWindows` in REST JSON. */
export function toDvrWindowsBody(windows: readonly DvrWindow[]): Array<Record<string, unknown>> {
  return windows.map((window) => ({ timeInterval: { startTime: window.startTime.toISOString(), endTime: window.endTime.toISOString() } }));
}
