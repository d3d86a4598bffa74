import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { protos } from '@google-cloud/livestream';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * The gRPC definitions the emulator serves, loaded from the `.proto` files `@google-cloud/livestream` ships
 * (`build/protos/google/cloud/video/livestream/v1/*.proto`); their `google/api`, `google/longrunning` and
 * `google/rpc` imports resolve against the protos of the `google-gax` copy that package depends on.
 *
 * Messages travel in proto-loader's object form: camelCase fields, enums as names, int64 as decimal strings, a
 * `oneof` as the set member. The well-known types keep their proto field names (`google.protobuf.Any` is
 * `{ type_url, value }`) because protobufjs defines them itself instead of parsing their files.
 */

/** Type URL prefix of packed messages. */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** The two services the emulator implements. */
export interface LiveStreamGrpcServices {
  readonly liveStream: ServiceDefinition;
  readonly operations: ServiceDefinition;
}

let cached: LiveStreamGrpcServices | undefined;

function protoRoots(): string[] {
  const require = createRequire(import.meta.url);
  const livestreamPackage = require.resolve('@google-cloud/livestream/package.json');
  const gaxPackage = createRequire(livestreamPackage).resolve('google-gax/package.json');
  return [join(dirname(livestreamPackage), 'build', 'protos'), join(dirname(gaxPackage), 'build', 'protos')];
}

interface LoadedPackage {
  readonly google: {
    readonly cloud: { readonly video: { readonly livestream: { readonly v1: { readonly LivestreamService: { readonly service: ServiceDefinition } } } } };
    readonly longrunning: { readonly Operations: { readonly service: ServiceDefinition } };
  };
}

/**
 * Loads (once per process) the LivestreamService and google.longrunning.Operations service definitions.
 *
 * @throws Error when the shipped proto files cannot be found or parsed (a broken install).
 */
export function loadLiveStreamServices(): LiveStreamGrpcServices {
  if (cached !== undefined) return cached;
  const definition = loadSync(['google/cloud/video/livestream/v1/service.proto', 'google/longrunning/operations.proto'], {
    includeDirs: protoRoots(),
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = loadPackageDefinition(definition) as unknown as LoadedPackage;
  cached = {
    liveStream: loaded.google.cloud.video.livestream.v1.LivestreamService.service,
    operations: loaded.google.longrunning.Operations.service,
  };
  return cached;
}

/** A `google.protobuf.Any` in proto-loader's object form. */
export interface AnyMessage {
  readonly type_url: string;
  readonly value: Buffer;
}

/** The messages the emulator packs into `Any` fields. */
export type PackableType = 'google.cloud.video.livestream.v1.Asset' | 'google.cloud.video.livestream.v1.OperationMetadata' | 'google.protobuf.Empty';

/**
 * Encodes `message` (proto-loader object form, which the static codecs accept too) as an `Any` of `type`.
 *
 * @throws Error when `message` does not fit the type (an emulator bug).
 */
export function packAny(type: PackableType, message: Readonly<Record<string, unknown>>): AnyMessage {
  const v1 = protos.google.cloud.video.livestream.v1;
  let value: Uint8Array;
  switch (type) {
    case 'google.cloud.video.livestream.v1.Asset':
      value = v1.Asset.encode(v1.Asset.fromObject(message)).finish();
      break;
    case 'google.cloud.video.livestream.v1.OperationMetadata':
      value = v1.OperationMetadata.encode(v1.OperationMetadata.fromObject(message)).finish();
      break;
    case 'google.protobuf.Empty':
      value = new Uint8Array(0);
      break;
  }
  return { type_url: `${TYPE_URL_PREFIX}${type}`, value: Buffer.from(value) };
}

/** A `google.protobuf.Timestamp` for epoch milliseconds (proto-loader form: int64 seconds as a string). */
export function timestampMessage(epochMs: number): { seconds: string; nanos: number } {
  const seconds = Math.floor(epochMs / 1000);
  return { seconds: String(seconds), nanos: (epochMs - seconds * 1000) * 1_000_000 };
}

/** RFC 3339 text of epoch milliseconds, Z-normalised with 0, 3, 6 or 9 fractional digits as the REST API writes. */
export function timestampText(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}
