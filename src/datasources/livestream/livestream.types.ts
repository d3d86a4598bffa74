/**
 * Domain types of the Google Cloud Live Stream provider: what the datasources return, independent of protobuf,
 * REST JSON and the SDK. Times are `Date`s, durations seconds; absent provider fields are `undefined`.
 */

/** Asset.State. */
export type AssetState = 'STATE_UNSPECIFIED' | 'CREATING' | 'ACTIVE' | 'DELETING' | 'ERROR';

/** A provider status (google.rpc.Status) carried by a resource or an operation. */
export interface ProviderStatus {
  /** google.rpc.Code number, e.g. 3 for INVALID_ARGUMENT. */
  readonly code: number;
  /** google.rpc.Code name, e.g. `INVALID_ARGUMENT`; `UNKNOWN` for a number outside the table. */
  readonly status: string;
  /**
   * The provider's message. It describes the customer's own resource (e.g. why an upload failed) and may be shown
   * to its owner, but it is provider text: resolvers decide whether to expose it.
   */
  readonly message: string;
}

/** A video or image asset (`projects/{p}/locations/{l}/assets/{id}`). */
export interface Asset {
  readonly name: string;
  /** The last segment of `name`. */
  readonly id: string;
  readonly kind: 'video' | 'image' | undefined;
  /** `gs://bucket/object` of the source file. */
  readonly uri: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  /** Base64 CRC32C of the file; `undefined` when the service has not filled it. */
  readonly crc32c: string | undefined;
  readonly state: AssetState;
  /** Only when `state` is ERROR. */
  readonly error: ProviderStatus | undefined;
  readonly createTime: Date | undefined;
  readonly updateTime: Date | undefined;
}

/** Input of an asset creation. */
export interface CreateAssetInput {
  /** `projects/{p}/locations/{l}`. */
  readonly parent: string;
  /** 1-63 chars of `[a-z0-9-]`, `[a-z0-9]` at both ends. */
  readonly assetId: string;
  readonly kind: 'video' | 'image';
  /** `gs://bucket/object`. */
  readonly uri: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Base64 CRC32C the file must match; omitted = the service computes it. */
  readonly crc32c?: string;
}

/** Channel.StreamingState name. */
export type ChannelStreamingState =
  | 'STREAMING_STATE_UNSPECIFIED'
  | 'STREAMING'
  | 'AWAITING_INPUT'
  | 'STREAMING_ERROR'
  | 'STREAMING_NO_INPUT'
  | 'STOPPED'
  | 'STARTING'
  | 'STOPPING';

/** A channel manifest (`google.cloud.video.livestream.v1.Manifest`). */
export interface ChannelManifest {
  /**
   * `Manifest.key`: the manifest's unique key within the channel, which DVR sessions name as their `manifestKey`.
   * Optional in the API (channels created without keys have none): `undefined` then.
   */
  readonly key: string | undefined;
  readonly fileName: string;
  readonly type: 'MANIFEST_TYPE_UNSPECIFIED' | 'HLS' | 'DASH';
}

/** A live channel (`projects/{p}/locations/{l}/channels/{id}`), read-only here. */
export interface Channel {
  readonly name: string;
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `output.uri`, where the channel writes its manifests and segments. */
  readonly outputUri: string | undefined;
  readonly manifests: readonly ChannelManifest[];
  readonly streamingState: ChannelStreamingState;
  /**
   * `retention_config.retention_window_duration` in seconds: the minimum time output files stay in the bucket.
   * `undefined` when the channel has no retention config (then segments follow the manifests'
   * `segment_keep_duration`, 60 s by default, and DVR sessions cannot be created on it).
   */
  readonly retentionWindowSeconds: number | undefined;
  readonly createTime: Date | undefined;
  readonly updateTime: Date | undefined;
}

/** DvrSession.State, as the REST reference lists it. */
export type DvrSessionState =
  | 'STATE_UNSPECIFIED'
  | 'PENDING'
  | 'UPDATING'
  | 'SCHEDULED'
  | 'LIVE'
  | 'FINISHED'
  | 'FAILED'
  | 'DELETING'
  | 'POST_PROCESSING'
  | 'COOLDOWN'
  | 'STOPPING';

/** A DVR manifest of a session. */
export interface DvrManifest {
  /** The channel manifest's key this recording follows. */
  readonly manifestKey: string;
  /** `{channel.output.uri}/dvr/{dvrSessionId}/{manifest file name}`; `undefined` until the service sets it. */
  readonly outputUri: string | undefined;
}

/** One recorded time interval. */
export interface DvrWindow {
  readonly startTime: Date;
  readonly endTime: Date;
}

/**
 * A DVR session (`projects/{p}/locations/{l}/channels/{c}/dvrSessions/{id}`): a recording of a channel over
 * one or more windows.
 *
 * Derived fields (not sent by the API): `startTime` / `endTime`, the earliest window start and the latest window
 * end (`undefined` without windows). The retention view needs the parent channel as well, so it is not part of
 * the session: see {@link DvrRetention}.
 */
export interface DvrSession {
  readonly name: string;
  readonly id: string;
  /** The parent channel's name. */
  readonly channelName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: DvrSessionState;
  /** Only when `state` is FAILED. */
  readonly error: ProviderStatus | undefined;
  readonly manifests: readonly DvrManifest[];
  readonly windows: readonly DvrWindow[];
  readonly startTime: Date | undefined;
  readonly endTime: Date | undefined;
  readonly createTime: Date | undefined;
  readonly updateTime: Date | undefined;
}

/**
 * How long a DVR recording's segments stay available, derived from the session and its parent channel's
 * retention config (`dvrRetention` in the mapper). The recording's manifest points at the channel's output
 * segments, which the channel keeps at least `windowSeconds` after writing them; so the recording is complete
 * until `startTime + window` (`completeUntil`) and its last segments may be deleted from `endTime + window`
 * (`expiresAt`). There is none when the channel has no retention config.
 */
export interface DvrRetention {
  readonly windowSeconds: number;
  /** `startTime + windowSeconds`: until then every segment of the recording is still stored. */
  readonly completeUntil: Date | undefined;
  /** `endTime + windowSeconds`: from then on even the last segments may be gone. */
  readonly expiresAt: Date | undefined;
}

/** Input of a DVR session creation. */
export interface CreateDvrSessionInput {
  /** The channel: `projects/{p}/locations/{l}/channels/{c}`. */
  readonly channelName: string;
  /** 1-63 chars of `[a-z0-9-]`, `[a-z0-9]` at both ends. */
  readonly dvrSessionId: string;
  /** A manifest key of the channel (exactly one manifest per session today). */
  readonly manifestKey: string;
  readonly windows: readonly DvrWindow[];
  readonly labels?: Readonly<Record<string, string>>;
}

/** OperationMetadata of the Live Stream API. */
export interface OperationMetadata {
  /** The resource the operation acts on. */
  readonly target: string | undefined;
  /** `create`, `update`, `delete`, ... */
  readonly verb: string | undefined;
  readonly createTime: Date | undefined;
  readonly endTime: Date | undefined;
  readonly requestedCancellation: boolean;
  readonly apiVersion: string | undefined;
}

/** The resource a finished operation returned. */
export type OperationResult =
  | { readonly type: 'Asset'; readonly asset: Asset }
  | { readonly type: 'DvrSession'; readonly dvrSession: DvrSession }
  /** google.protobuf.Empty (deletes). */
  | { readonly type: 'Empty' }
  /** A response type this code does not decode (e.g. a DvrSession read over gRPC, whose protos predate it). */
  | { readonly type: 'Unknown'; readonly typeUrl: string };

/**
 * A long-running operation. `done` false: still running (`error` and `result` undefined). `done` true: exactly
 * one of `error` (it failed or was cancelled) and `result` is set.
 */
export interface LongRunningOperation {
  /** `projects/{p}/locations/{l}/operations/{id}`. */
  readonly name: string;
  readonly done: boolean;
  readonly error: ProviderStatus | undefined;
  readonly metadata: OperationMetadata | undefined;
  readonly result: OperationResult | undefined;
}

/** List parameters (AIP-132/158/160). */
export interface ListQuery {
  /** 1..{@link LIVESTREAM_MAX_PAGE_SIZE}; the service may return fewer. */
  readonly pageSize: number;
  /** `nextPageToken` of the previous page; omitted for the first page. */
  readonly pageToken?: string | undefined;
  /** AIP-160 filter, e.g. `labels.env=prod AND state=ACTIVE`. */
  readonly filter?: string | undefined;
  /** AIP-132 ordering, e.g. `create_time desc`. */
  readonly orderBy?: string | undefined;
}

/** One provider page. */
export interface LiveStreamPage<T> {
  readonly items: readonly T[];
  /** Token of the next page; `undefined` at the end. */
  readonly nextPageToken: string | undefined;
}

/** The largest page size the datasources request (the gateway's `first` cap is 100). */
export const LIVESTREAM_MAX_PAGE_SIZE = 1000;
