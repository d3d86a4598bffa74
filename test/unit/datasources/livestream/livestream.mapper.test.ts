import { protos } from '@google-cloud/livestream';
import { describe, expect, it } from 'vitest';
import {
  durationToSeconds,
  dvrRetention,
  timestampToDate,
  toAsset,
  toChannel,
  toDvrSession,
  toDvrSessionBody,
  toOperation,
  toOperationFromJson,
} from '../../../../src/datasources/livestream/livestream.mapper.js';
import type { Channel } from '../../../../src/datasources/livestream/livestream.types.js';

const v1 = protos.google.cloud.video.livestream.v1;
const CHANNEL = 'projects/p/locations/l/channels/news';
const T0 = Date.UTC(2025, 0, 1, 10, 0, 0);

function pack(typeName: string, value: Uint8Array): protos.google.protobuf.IAny {
  return { type_url: `type.googleapis.com/${typeName}`, value };
}

const channel: Channel = {
  name: CHANNEL,
  id: 'news',
  labels: {},
  outputUri: 'gs://b/out/',
  manifests: [],
  streamingState: 'STREAMING',
  retentionWindowSeconds: 3600,
  createTime: undefined,
  updateTime: undefined,
};

describe('livestream mapper', () => {
  it('maps an Asset message with enum names or numbers and int64 seconds in any form', () => {
    const asset = toAsset({
      name: 'projects/p/locations/l/assets/a1',
      labels: { env: 'prod' },
      image: { uri: 'gs://b/i.png' },
      state: 4,
      error: { code: 5, message: 'object missing' },
      createTime: { seconds: '1735725600', nanos: 500_000_000 },
      crc32c: '',
    });
    expect(asset).toEqual({
      name: 'projects/p/locations/l/assets/a1',
      id: 'a1',
      kind: 'image',
      uri: 'gs://b/i.png',
      labels: { env: 'prod' },
      crc32c: undefined,
      state: 'ERROR',
      error: { code: 5, status: 'NOT_FOUND', message: 'object missing' },
      createTime: new Date(T0 + 500),
      updateTime: undefined,
    });
    expect(toAsset({ name: 'x/assets/b', state: 'ACTIVE' })).toMatchObject({ id: 'b', kind: undefined, uri: undefined, state: 'ACTIVE', error: undefined });
  });

  it('maps a Channel with its retention in seconds and treats a zero retention as none', () => {
    const mapped = toChannel({
      name: CHANNEL,
      output: { uri: 'gs://b/out/' },
      manifests: [{ key: 'manifest_hls', fileName: 'main.m3u8', type: 1 }, { key: '', fileName: 'main.mpd', type: 'DASH' }],
      streamingState: 6,
      retentionConfig: { retentionWindowDuration: { seconds: 7200, nanos: 500_000_000 } },
    });
    expect(mapped).toMatchObject({
      id: 'news',
      outputUri: 'gs://b/out/',
      streamingState: 'STOPPED',
      retentionWindowSeconds: 7200.5,
      manifests: [
        { key: 'manifest_hls', fileName: 'main.m3u8', type: 'HLS' },
        // Manifest.key is optional: an empty key is no key.
        { key: undefined, fileName: 'main.mpd', type: 'DASH' },
      ],
    });
    expect(toChannel({ name: CHANNEL, retentionConfig: { retentionWindowDuration: { seconds: 0 } } }).retentionWindowSeconds).toBeUndefined();
    expect(toChannel({ name: CHANNEL }).retentionWindowSeconds).toBeUndefined();
  });

  it('decodes a running operation\'s packed metadata and a done one\'s packed Asset', () => {
    const metadata = pack(
      'google.cloud.video.livestream.v1.OperationMetadata',
      v1.OperationMetadata.encode({ target: 'projects/p/locations/l/assets/a1', verb: 'create', createTime: { seconds: T0 / 1000 }, apiVersion: 'v1' }).finish(),
    );
    const running = toOperation({ name: 'projects/p/locations/l/operations/o1', done: false, metadata });
    expect(running).toEqual({
      name: 'projects/p/locations/l/operations/o1',
      done: false,
      error: undefined,
      result: undefined,
      metadata: { target: 'projects/p/locations/l/assets/a1', verb: 'create', createTime: new Date(T0), endTime: undefined, requestedCancellation: false, apiVersion: 'v1' },
    });
    const response = pack('google.cloud.video.livestream.v1.Asset', v1.Asset.encode({ name: 'projects/p/locations/l/assets/a1', state: 2 }).finish());
    const done = toOperation({ name: 'op', done: true, metadata, response });
    expect(done.result).toMatchObject({ type: 'Asset', asset: { id: 'a1', state: 'ACTIVE' } });
    expect(toOperation({ name: 'op', done: true, response: pack('google.protobuf.Empty', new Uint8Array(0)) }).result).toEqual({ type: 'Empty' });
    expect(toOperation({ name: 'op', done: true, response: pack('google.cloud.video.livestream.v1.DvrSession', new Uint8Array(0)) }).result).toEqual({
      type: 'Unknown',
      typeUrl: 'type.googleapis.com/google.cloud.video.livestream.v1.DvrSession',
    });
    const failed = toOperation({ name: 'op', done: true, error: { code: 13, message: 'boom' }, response });
    expect(failed).toMatchObject({ done: true, error: { code: 13, status: 'INTERNAL', message: 'boom' }, result: undefined });
  });

  it('derives start, end and retention of a DVR session from its windows and channel', () => {
    const session = toDvrSession(
      {
        name: `${CHANNEL}/dvrSessions/s1`,
        state: 'FINISHED',
        labels: { show: 'x' },
        dvrManifests: [{ manifestKey: 'hls', outputUri: 'gs://b/out/dvr/s1/main.m3u8' }],
        dvrWindows: [
          { timeInterval: { startTime: '2025-01-01T12:00:00Z', endTime: '2025-01-01T13:00:00Z' } },
          { timeInterval: { startTime: '2025-01-01T10:00:00Z', endTime: '2025-01-01T11:00:00Z' } },
        ],
        createTime: '2025-01-01T09:00:00.250Z',
      },
    );
    expect(session).toMatchObject({
      id: 's1',
      channelName: CHANNEL,
      state: 'FINISHED',
      startTime: new Date(T0),
      endTime: new Date(T0 + 3 * 3600_000),
      createTime: new Date(Date.UTC(2025, 0, 1, 9, 0, 0, 250)),
      updateTime: undefined,
      error: undefined,
    });
    expect(session.windows).toHaveLength(2);
    expect(session).not.toHaveProperty('retention');
    expect(dvrRetention(session, channel)).toEqual({ windowSeconds: 3600, completeUntil: new Date(T0 + 3600_000), expiresAt: new Date(T0 + 4 * 3600_000) });
  });

  it('leaves the retention out without a matching channel, a retention config or windows, and tolerates missing fields', () => {
    const bare = toDvrSession({ name: `${CHANNEL}/dvrSessions/s2`, state: 'NOT_A_STATE' });
    expect(bare).toMatchObject({ state: 'STATE_UNSPECIFIED', windows: [], manifests: [], startTime: undefined, endTime: undefined, labels: {} });
    expect(dvrRetention(bare, undefined)).toBeUndefined();
    expect(dvrRetention(bare, null)).toBeUndefined();
    expect(dvrRetention(bare, { ...channel, retentionWindowSeconds: undefined })).toBeUndefined();
    const otherChannel = toDvrSession({ name: 'projects/p/locations/l/channels/other/dvrSessions/s3' });
    expect(dvrRetention(otherChannel, channel)).toBeUndefined();
    const noWindows = toDvrSession({ name: `${CHANNEL}/dvrSessions/s4` });
    expect(dvrRetention(noWindows, channel)).toEqual({ windowSeconds: 3600, completeUntil: undefined, expiresAt: undefined });
  });

  it('maps REST operations: done absent while running, typed responses and errors once done', () => {
    const metadata = { '@type': 'type.googleapis.com/google.cloud.video.livestream.v1.OperationMetadata', verb: 'update', target: `${CHANNEL}/dvrSessions/s1`, requestedCancellation: true };
    expect(toOperationFromJson({ name: 'op', metadata })).toMatchObject({ done: false, metadata: { verb: 'update', requestedCancellation: true }, result: undefined });
    const done = toOperationFromJson({
      name: 'op',
      done: true,
      metadata,
      response: { '@type': 'type.googleapis.com/google.cloud.video.livestream.v1.DvrSession', name: `${CHANNEL}/dvrSessions/s1`, state: 'LIVE' },
    });
    expect(done.result).toMatchObject({ type: 'DvrSession', dvrSession: { id: 's1', channelName: CHANNEL, state: 'LIVE' } });
    expect(toOperationFromJson({ name: 'op', done: true, response: { '@type': 'type.googleapis.com/google.protobuf.Empty' } }).result).toEqual({ type: 'Empty' });
    expect(toOperationFromJson({ name: 'op', done: true, error: { code: 1, message: 'cancelled' } })).toMatchObject({ error: { code: 1, status: 'CANCELLED' }, result: undefined });
    const asset = toOperationFromJson({ name: 'op', done: true, response: { '@type': 'type.googleapis.com/google.cloud.video.livestream.v1.Asset', name: 'x/assets/a', video: { uri: 'gs://b/v' }, state: 'ACTIVE' } });
    expect(asset.result).toMatchObject({ type: 'Asset', asset: { kind: 'video', uri: 'gs://b/v', state: 'ACTIVE' } });
  });

  it('builds the create body in REST JSON with RFC 3339 windows', () => {
    expect(
      toDvrSessionBody({ channelName: CHANNEL, dvrSessionId: 's', manifestKey: 'hls', windows: [{ startTime: new Date(T0), endTime: new Date(T0 + 1000) }] }),
    ).toEqual({ dvrManifests: [{ manifestKey: 'hls' }], dvrWindows: [{ timeInterval: { startTime: '2025-01-01T10:00:00.000Z', endTime: '2025-01-01T10:00:01.000Z' } }] });
  });

  it('converts timestamps and durations including Long-like seconds', () => {
    expect(timestampToDate({ seconds: { toString: () => '1735725600' } as unknown as string, nanos: 1_000_000 })).toEqual(new Date(T0 + 1));
    expect(timestampToDate(null)).toBeUndefined();
    expect(durationToSeconds({ seconds: '90', nanos: 250_000_000 })).toBe(90.25);
    expect(durationToSeconds(undefined)).toBeUndefined();
  });
});
