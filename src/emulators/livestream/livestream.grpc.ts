import type { Metadata, sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ResourceContext } from './livestream.assets.js';
import { createAsset, deleteAsset, getAsset, getChannel, listAssets, listChannels, listOperations } from './livestream.assets.js';
import type { LiveStreamFaultSchedule, LiveStreamOperation } from './livestream.faults.js';
import type { ListRequest } from './livestream.list-query.js';
import type { AnyMessage } from './livestream.protos.js';
import { packAny, TYPE_URL_PREFIX, timestampMessage } from './livestream.protos.js';
import type { RecordedRequest } from './livestream.request-log.js';
import type { RpcStatus } from './livestream.status.js';
import { LiveStreamRpcError, RPC_STATUS_CODE } from './livestream.status.js';
import type { OperationResult, StoredAsset, StoredChannel, StoredOperation } from './livestream.store.js';

/**
 * The gRPC side of the emulator: LivestreamService (assets, channels) and google.longrunning.Operations, with
 * request recording, authorization, faults and rendering into proto-loader objects.
 */

/** A decoded request message (proto-loader object form). */
type RequestMessage = Readonly<Record<string, unknown>>;

/** What the gRPC handlers need from the emulator. */
export interface GrpcContext extends ResourceContext {
  readonly faults: LiveStreamFaultSchedule;
  readonly now: () => number;
  readonly record: (request: RecordedRequest) => void;
  /** Require an `authorization: Bearer ...` metadata entry (see PROTOCOL.md for why it is off by default). */
  readonly requireAuthorization: boolean;
  /** Runs `run` after `ms` on a real timer the emulator clears on close. */
  readonly delay: (ms: number, run: () => void) => void;
  readonly onInternalError: (error: unknown) => void;
}

function text(message: RequestMessage, field: string): string {
  const value = message[field];
  return typeof value === 'string' ? value : '';
}

function integer(message: RequestMessage, field: string): number {
  const value = message[field];
  return typeof value === 'number' ? value : 0;
}

function record(message: RequestMessage, field: string): RequestMessage {
  const value = message[field];
  return typeof value === 'object' && value !== null ? (value as RequestMessage) : {};
}

function labels(message: RequestMessage): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(record(message, 'labels'))) {
    if (typeof value === 'string') result[key] = value;
  }
  return result;
}

function listRequest(message: RequestMessage): ListRequest {
  return {
    pageSize: integer(message, 'pageSize'),
    pageToken: text(message, 'pageToken'),
    filter: text(message, 'filter'),
    orderBy: text(message, 'orderBy'),
  };
}

function statusMessage(status: RpcStatus): { code: number; message: string; details: never[] } {
  return { code: RPC_STATUS_CODE[status.status], message: status.message, details: [] };
}

/** An Asset message. */
export function assetMessage(asset: StoredAsset): Record<string, unknown> {
  return {
    name: asset.name,
    createTime: timestampMessage(asset.createTime),
    updateTime: timestampMessage(asset.updateTime),
    labels: { ...asset.labels },
    [asset.resource.kind]: { uri: asset.resource.uri },
    crc32c: asset.crc32c,
    state: asset.state,
    ...(asset.error === undefined ? {} : { error: statusMessage(asset.error) }),
  };
}

/** A Channel message; each manifest carries its `key` (`Manifest.key`, field 7 of the 1.4.1 protos). */
export function channelMessage(channel: StoredChannel): Record<string, unknown> {
  return {
    name: channel.name,
    createTime: timestampMessage(channel.createTime),
    updateTime: timestampMessage(channel.updateTime),
    labels: { ...channel.labels },
    output: { uri: channel.outputUri },
    manifests: channel.manifests.map((manifest) => ({ key: manifest.key, fileName: manifest.fileName, type: manifest.type })),
    streamingState: channel.streamingState,
    ...(channel.retentionWindowSeconds === undefined
      ? {}
      : { retentionConfig: { retentionWindowDuration: { seconds: String(channel.retentionWindowSeconds), nanos: 0 } } }),
  };
}

function resultMessage(result: OperationResult): AnyMessage {
  switch (result.type) {
    case 'Asset':
      return packAny('google.cloud.video.livestream.v1.Asset', assetMessage(result.asset));
    case 'Empty':
      return packAny('google.protobuf.Empty', {});
    case 'DvrSession':
      // The shipped protos predate DvrSession, so its bytes cannot be encoded here (PROTOCOL.md).
      return { type_url: `${TYPE_URL_PREFIX}google.cloud.video.livestream.v1.DvrSession`, value: Buffer.alloc(0) };
  }
}

/** A google.longrunning.Operation message. */
export function operationMessage(operation: StoredOperation): Record<string, unknown> {
  const metadata = packAny('google.cloud.video.livestream.v1.OperationMetadata', {
    createTime: timestampMessage(operation.createTime),
    ...(operation.endTime === undefined ? {} : { endTime: timestampMessage(operation.endTime) }),
    target: operation.target,
    verb: operation.verb,
    requestedCancellation: operation.requestedCancellation,
    apiVersion: 'v1',
  });
  const outcome =
    operation.error !== undefined
      ? { error: statusMessage(operation.error) }
      : operation.result !== undefined
        ? { response: resultMessage(operation.result) }
        : {};
  return { name: operation.name, metadata, done: operation.done, ...outcome };
}

function hasBearer(metadata: Metadata): boolean {
  return metadata.get('authorization').some((value) => typeof value === 'string' && /^Bearer \S+/.test(value));
}

/**
 * Wraps a handler in the request pipeline: record, authorization, faults (latency, status, stall), then the
 * handler; a {@link LiveStreamRpcError} becomes the call status, anything else INTERNAL (and is reported).
 */
function unary(
  ctx: GrpcContext,
  operation: LiveStreamOperation,
  resourceField: string,
  run: (request: RequestMessage) => Record<string, unknown>,
): (call: ServerUnaryCall<RequestMessage, unknown>, callback: sendUnaryData<unknown>) => void {
  return (call, callback) => {
    const request = call.request;
    const requestId = text(request, 'requestId');
    ctx.record({
      transport: 'grpc',
      operation,
      method: call.getPath(),
      resource: text(request, resourceField),
      query: '',
      requestId: requestId === '' ? undefined : requestId,
      at: ctx.now(),
    });
    const fail = (error: LiveStreamRpcError): void => callback({ code: RPC_STATUS_CODE[error.status], details: error.message });
    if (ctx.requireAuthorization && !hasBearer(call.metadata)) {
      fail(new LiveStreamRpcError('UNAUTHENTICATED', 'Request is missing required authentication credential.'));
      return;
    }
    const decision = ctx.faults.takeRequest(operation, 'grpc');
    const proceed = (): void => {
      if (decision.terminal?.kind === 'stall') return;
      if (decision.terminal?.kind === 'status') {
        fail(new LiveStreamRpcError(decision.terminal.status, decision.terminal.message ?? `Injected ${decision.terminal.status}.`));
        return;
      }
      try {
        callback(null, run(request));
      } catch (error: unknown) {
        if (error instanceof LiveStreamRpcError) {
          fail(error);
          return;
        }
        ctx.onInternalError(error);
        fail(new LiveStreamRpcError('INTERNAL', 'Internal error encountered.'));
      }
    };
    if (decision.latencyMs > 0) ctx.delay(decision.latencyMs, proceed);
    else proceed();
  };
}

/** The LivestreamService methods the emulator implements; the others answer UNIMPLEMENTED (grpc-js default). */
export function liveStreamServiceImplementation(ctx: GrpcContext): UntypedServiceImplementation {
  return {
    CreateAsset: unary(ctx, 'CreateAsset', 'parent', (request) => {
      const asset = record(request, 'asset');
      const kind = 'video' in asset ? 'video' : 'image' in asset ? 'image' : undefined;
      return operationMessage(
        createAsset(ctx, {
          parent: text(request, 'parent'),
          assetId: text(request, 'assetId'),
          requestId: text(request, 'requestId'),
          labels: labels(asset),
          resource: kind === undefined ? undefined : { kind, uri: text(record(asset, kind), 'uri') },
          crc32c: text(asset, 'crc32c'),
        }),
      );
    }),
    DeleteAsset: unary(ctx, 'DeleteAsset', 'name', (request) => operationMessage(deleteAsset(ctx, text(request, 'name'), text(request, 'requestId')))),
    GetAsset: unary(ctx, 'GetAsset', 'name', (request) => assetMessage(getAsset(ctx, text(request, 'name')))),
    ListAssets: unary(ctx, 'ListAssets', 'parent', (request) => {
      const page = listAssets(ctx, text(request, 'parent'), listRequest(request));
      return { assets: page.items.map(assetMessage), nextPageToken: page.nextPageToken, unreachable: [] };
    }),
    GetChannel: unary(ctx, 'GetChannel', 'name', (request) => channelMessage(getChannel(ctx, text(request, 'name')))),
    ListChannels: unary(ctx, 'ListChannels', 'parent', (request) => {
      const page = listChannels(ctx, text(request, 'parent'), listRequest(request));
      return { channels: page.items.map(channelMessage), nextPageToken: page.nextPageToken, unreachable: [] };
    }),
  };
}

/** google.longrunning.Operations (WaitOperation answers UNIMPLEMENTED, like most Google APIs). */
export function operationsServiceImplementation(ctx: GrpcContext): UntypedServiceImplementation {
  return {
    GetOperation: unary(ctx, 'GetOperation', 'name', (request) => operationMessage(ctx.store.getOperation(text(request, 'name')))),
    ListOperations: unary(ctx, 'ListOperations', 'name', (request) => {
      const page = listOperations(ctx, text(request, 'name'), listRequest(request));
      return { operations: page.items.map(operationMessage), nextPageToken: page.nextPageToken };
    }),
    DeleteOperation: unary(ctx, 'DeleteOperation', 'name', (request) => {
      ctx.store.deleteOperation(text(request, 'name'));
      return {};
    }),
    CancelOperation: unary(ctx, 'CancelOperation', 'name', (request) => {
      ctx.store.cancelOperation(text(request, 'name'));
      return {};
    }),
  };
}
