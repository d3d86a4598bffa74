import type { DvrSessionBody } from './livestream.dvr-sessions.js';
import { TYPE_URL_PREFIX, timestampText } from './livestream.protos.js';
import type { RpcStatus } from './livestream.status.js';
import { RPC_STATUS_CODE, invalidArgument } from './livestream.status.js';
import type { OperationResult, StoredAsset, StoredDvrSession, StoredDvrWindow, StoredOperation } from './livestream.store.js';
import { dvrSessionState } from './livestream.store.js';

/**
 * JSON shapes of the REST side (proto3 JSON mapping: lowerCamelCase names, RFC 3339 timestamps, enums as names,
 * default values omitted, `Any` as an object with `@type`), and decoding of DvrSession request bodies.
 */

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

function statusJson(status: RpcStatus): JsonObject {
  return { code: RPC_STATUS_CODE[status.status], message: status.message, details: [] };
}

function labelsJson(labels: Readonly<Record<string, string>>): JsonObject {
  return Object.keys(labels).length === 0 ? {} : { labels: { ...labels } };
}

/** A DvrSession resource at `now` (the state follows the windows, see PROTOCOL.md). */
export function dvrSessionJson(session: StoredDvrSession, now: number): JsonObject {
  return {
    name: session.name,
    createTime: timestampText(session.createTime),
    updateTime: timestampText(session.updateTime),
    ...labelsJson(session.labels),
    state: dvrSessionState(session, now),
    ...(session.error === undefined ? {} : { error: statusJson(session.error) }),
    dvrManifests: session.manifests.map((manifest) => ({ manifestKey: manifest.manifestKey, outputUri: manifest.outputUri })),
    dvrWindows: session.windows.map((window) => ({
      timeInterval: { startTime: timestampText(window.startTime), endTime: timestampText(window.endTime) },
    })),
  };
}

/** An Asset resource (operation responses read over REST). */
export function assetJson(asset: StoredAsset): JsonObject {
  return {
    name: asset.name,
    createTime: timestampText(asset.createTime),
    updateTime: timestampText(asset.updateTime),
    ...labelsJson(asset.labels),
    [asset.resource.kind]: { uri: asset.resource.uri },
    ...(asset.crc32c === '' ? {} : { crc32c: asset.crc32c }),
    state: asset.state,
    ...(asset.error === undefined ? {} : { error: statusJson(asset.error) }),
  };
}

function resultJson(result: OperationResult, now: number): JsonObject {
  switch (result.type) {
    case 'Asset':
      return { '@type': `${TYPE_URL_PREFIX}google.cloud.video.livestream.v1.Asset`, ...assetJson(result.asset) };
    case 'DvrSession':
      return { '@type': `${TYPE_URL_PREFIX}google.cloud.video.livestream.v1.DvrSession`, ...dvrSessionJson(result.session, now) };
    case 'Empty':
      return { '@type': `${TYPE_URL_PREFIX}google.protobuf.Empty` };
  }
}

/** A google.longrunning.Operation; `done` is omitted while false, as proto3 JSON does. */
export function operationJson(operation: StoredOperation, now: number): JsonObject {
  return {
    name: operation.name,
    metadata: {
      '@type': `${TYPE_URL_PREFIX}google.cloud.video.livestream.v1.OperationMetadata`,
      createTime: timestampText(operation.createTime),
      ...(operation.endTime === undefined ? {} : { endTime: timestampText(operation.endTime) }),
      target: operation.target,
      verb: operation.verb,
      ...(operation.requestedCancellation ? { requestedCancellation: true } : {}),
      apiVersion: 'v1',
    },
    ...(operation.done ? { done: true } : {}),
    ...(operation.error !== undefined ? { error: statusJson(operation.error) } : {}),
    ...(operation.error === undefined && operation.result !== undefined ? { response: resultJson(operation.result, now) } : {}),
  };
}

const DVR_SESSION_FIELDS = new Set(['name', 'createTime', 'updateTime', 'labels', 'state', 'error', 'dvrManifests', 'dvrWindows']);

function timestamp(value: unknown, field: string): number {
  const parsed = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(parsed)) throw invalidArgument(`Invalid value at '${field}': expected an RFC 3339 timestamp.`);
  return parsed;
}

function objectAt(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument(`Invalid value at '${field}': expected an object.`);
  return value as JsonObject;
}

function arrayAt(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw invalidArgument(`Invalid value at '${field}': expected a list.`);
  return value;
}

/**
 * Decodes a DvrSession request body. Output-only fields are accepted and ignored (as the API does); unknown
 * fields are rejected like Google's JSON parser rejects them.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT for a body that is not a DvrSession.
 */
export function decodeDvrSessionBody(body: unknown): DvrSessionBody {
  const session = objectAt(body ?? {}, 'dvr_session');
  for (const key of Object.keys(session)) {
    if (!DVR_SESSION_FIELDS.has(key)) throw invalidArgument(`Invalid JSON payload received. Unknown name "${key}": Cannot find field.`);
  }
  let labels: Record<string, string> | undefined;
  if (session['labels'] !== undefined) {
    labels = {};
    for (const [key, value] of Object.entries(objectAt(session['labels'], 'labels'))) {
      if (typeof value !== 'string') throw invalidArgument(`Invalid value at 'labels[${key}]': expected a string.`);
      labels[key] = value;
    }
  }
  const manifestKeys =
    session['dvrManifests'] === undefined
      ? undefined
      : arrayAt(session['dvrManifests'], 'dvr_manifests').map((entry, index) => {
          const key = objectAt(entry, `dvr_manifests[${index}]`)['manifestKey'];
          if (typeof key !== 'string' || key === '') throw invalidArgument(`dvr_manifests[${index}].manifest_key is required.`);
          return key;
        });
  const windows: StoredDvrWindow[] | undefined =
    session['dvrWindows'] === undefined
      ? undefined
      : arrayAt(session['dvrWindows'], 'dvr_windows').map((entry, index) => {
          const interval = objectAt(objectAt(entry, `dvr_windows[${index}]`)['timeInterval'] ?? null, `dvr_windows[${index}].time_interval`);
          return {
            startTime: timestamp(interval['startTime'], `dvr_windows[${index}].time_interval.start_time`),
            endTime: timestamp(interval['endTime'], `dvr_windows[${index}].time_interval.end_time`),
          };
        });
  return { labels, manifestKeys, windows };
}
