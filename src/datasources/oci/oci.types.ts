/**
 * Domain types of the OCI Media Services / Media Streams layer. Resolvers see these, never SDK models.
 * Lifecycle states and types are kept as the service's strings (e.g. `ACTIVE`), since the API may add
 * values the SDK does not know yet.
 */

/** Per-call options of the OCI datasources. */
export interface OciCallOptions {
  /** Aborts the call (and its HTTP request) when the caller goes away. */
  readonly signal?: AbortSignal | undefined;
}

/** A media asset as ListMediaAssets describes it. */
export interface MediaAssetSummary {
  readonly id: string;
  readonly compartmentId: string;
  readonly displayName: string | undefined;
  /** `AUDIO`, `VIDEO`, `PLAYLIST`, `IMAGE`, `CAPTION_FILE` or `UNKNOWN`. */
  readonly type: string;
  /** `CREATING`, `UPDATING`, `ACTIVE`, `DELETING`, `DELETED` or `FAILED`. */
  readonly lifecycleState: string;
  readonly timeCreated: Date | undefined;
  readonly timeUpdated: Date | undefined;
  readonly parentMediaAssetId: string | undefined;
  readonly masterMediaAssetId: string | undefined;
  readonly freeformTags: Readonly<Record<string, string>>;
}

/** A media asset as GetMediaAsset describes it: the summary plus where its source object lives. */
export interface MediaAsset extends MediaAssetSummary {
  readonly bucketName: string | undefined;
  readonly namespaceName: string | undefined;
  readonly objectName: string | undefined;
}

/** One page of a list; `nextPage` is the provider's `opc-next-page` token, `undefined` on the last page. */
export interface OciPage<T> {
  readonly items: readonly T[];
  readonly nextPage: string | undefined;
}

/** Sort field of ListMediaAssets (the API's `MediaAssetSortBy`). */
export type MediaAssetSortBy = 'timeCreated' | 'displayName' | 'type' | 'lifecycleState' | 'compartmentId';

/** Query of {@link MediaAssetSummary} lists. */
export interface MediaAssetListQuery {
  readonly compartmentId: string;
  /** Page size, 1..1000. */
  readonly limit: number;
  /** `opc-next-page` of the previous page; `undefined` for the first page. */
  readonly page: string | undefined;
  readonly lifecycleState?: string | undefined;
  readonly sortBy?: MediaAssetSortBy | undefined;
  readonly sortOrder?: 'ASC' | 'DESC' | undefined;
}

/** Packaging format of a stream packaging configuration. */
export type StreamPackagingFormat = 'HLS' | 'DASH';

/** A stream packaging configuration as its list describes it (the summary model has no format). */
export interface StreamPackagingConfigSummary {
  readonly id: string;
  readonly compartmentId: string;
  readonly distributionChannelId: string;
  readonly displayName: string;
  /** `ACTIVE`, `NEEDS_ATTENTION` or `DELETED`; `undefined` when the service omits it. */
  readonly lifecycleState: string | undefined;
  readonly timeCreated: Date | undefined;
  readonly timeUpdated: Date | undefined;
}

/** A stream packaging configuration as GetStreamPackagingConfig describes it. */
export interface StreamPackagingConfig extends StreamPackagingConfigSummary {
  /** `undefined` when the service answers a format this code does not know. */
  readonly format: StreamPackagingFormat | undefined;
  /** Segment duration, seconds. */
  readonly segmentTimeInSeconds: number;
  /** `NONE` or `AES128`; `undefined` when the service omits it. The KMS key id is not exposed. */
  readonly encryption: string | undefined;
}

/** A stream distribution channel. */
export interface StreamDistributionChannel {
  readonly id: string;
  readonly compartmentId: string;
  readonly displayName: string;
  /** The channel's Media Streams domain (no scheme); `undefined` until the service assigns one. */
  readonly domainName: string | undefined;
  readonly lifecycleState: string | undefined;
  readonly timeCreated: Date | undefined;
  readonly timeUpdated: Date | undefined;
}

/** Query of packaging configuration lists (scoped to one channel by the API). */
export interface PackagingConfigListQuery {
  readonly distributionChannelId: string;
  readonly limit: number;
  readonly page: string | undefined;
}

/** Query of distribution channel lists. */
export interface DistributionChannelListQuery {
  readonly compartmentId: string;
  readonly limit: number;
  readonly page: string | undefined;
}

/** What a session token may be used for. */
export type SessionTokenScope = 'PLAYLIST' | 'EDGE';

/** Input of GenerateSessionToken. */
export interface SessionTokenRequest {
  /** The channel whose Media Streams domain issues the token. */
  readonly distributionChannelId: string;
  readonly packagingConfigId: string;
  /** Assets the token is limited to; empty or omitted = every asset of the configuration. */
  readonly mediaAssetIds?: readonly string[] | undefined;
  readonly scopes: readonly SessionTokenScope[];
  /** Expiry; omitted = now + the datasource's default lifetime. Always sent, so it is always known. */
  readonly expiresAt?: Date | undefined;
}

/** A streaming session token. The token is a credential: never log it or put it in an error. */
export interface SessionToken {
  readonly token: string;
  /** When the token stops being accepted (the expiry that was requested). */
  readonly expiresAt: Date;
}

/** Input of GeneratePlaylist. */
export interface PlaylistRequest {
  /** The channel whose Media Streams domain serves the playlist. */
  readonly distributionChannelId: string;
  readonly packagingConfigId: string;
  readonly mediaAssetId: string;
  /** Session token to embed in media URIs; a credential, never logged. */
  readonly token?: string | undefined;
}

/** Pixel size of a video rendition. */
export interface Resolution {
  readonly width: number;
  readonly height: number;
}

/** A variant stream (`EXT-X-STREAM-INF`) of an HLS master playlist. */
export interface HlsVariant {
  readonly uri: string;
  /** Peak bitrate, bits/s. */
  readonly bandwidth: number;
  /** Average bitrate, bits/s. */
  readonly averageBandwidth: number | undefined;
  readonly resolution: Resolution | undefined;
  /** RFC 6381 codec list as written, e.g. `avc1.640028,mp4a.40.2`. */
  readonly codecs: string | undefined;
  /** Frames per second. */
  readonly frameRate: number | undefined;
  /** `GROUP-ID` of the audio renditions the variant plays with. */
  readonly audioGroupId: string | undefined;
  readonly subtitlesGroupId: string | undefined;
  readonly closedCaptionsGroupId: string | undefined;
}

/** An I-frame-only variant (`EXT-X-I-FRAME-STREAM-INF`), for trick play and thumbnails. */
export interface HlsIFrameVariant {
  readonly uri: string;
  readonly bandwidth: number;
  readonly averageBandwidth: number | undefined;
  readonly resolution: Resolution | undefined;
  readonly codecs: string | undefined;
}

/** An alternative rendition (`EXT-X-MEDIA`). */
export interface HlsRendition {
  readonly type: 'AUDIO' | 'VIDEO' | 'SUBTITLES' | 'CLOSED-CAPTIONS';
  readonly groupId: string;
  readonly name: string;
  /** BCP 47 tag, e.g. `en`. */
  readonly language: string | undefined;
  readonly isDefault: boolean;
  readonly autoselect: boolean;
  /** Absent for renditions muxed into the variant and for closed captions. */
  readonly uri: string | undefined;
  /** Audio channel count as written, e.g. `2` or `16/JOC`. */
  readonly channels: string | undefined;
}

/** An HLS master playlist, reduced to what clients choose streams by. */
export interface HlsMasterPlaylist {
  readonly format: 'HLS';
  readonly version: number | undefined;
  readonly independentSegments: boolean;
  readonly variants: readonly HlsVariant[];
  /** Each rendition once, in playlist order. */
  readonly renditions: readonly HlsRendition[];
  readonly iFrameVariants: readonly HlsIFrameVariant[];
}

/** One representation of a DASH MPD. */
export interface DashRepresentation {
  /** `Representation@id`. */
  readonly id: string;
  readonly contentType: 'video' | 'audio' | 'text';
  /** Bits/s. */
  readonly bandwidth: number | undefined;
  readonly codecs: string | undefined;
  readonly resolution: Resolution | undefined;
  readonly frameRate: number | undefined;
  /** Language of audio and text representations. */
  readonly language: string | undefined;
  /** Whether a player picks it by default (DASH role `main`). */
  readonly isDefault: boolean;
  /** Number of media segments (live manifests: those currently listed). */
  readonly segmentCount: number;
}

/** A DASH MPD, reduced to its representations. */
export interface DashManifest {
  readonly format: 'DASH';
  /** Presentation duration in seconds; `undefined` for live manifests. */
  readonly durationSeconds: number | undefined;
  readonly live: boolean;
  readonly representations: readonly DashRepresentation[];
}

/** A playlist as GeneratePlaylist returned it, parsed. */
export interface GeneratedPlaylist {
  /** Media type the service sent, e.g. `application/vnd.apple.mpegurl`. */
  readonly contentType: string | undefined;
  /** The playlist text as returned (contains the session token in its URIs when one was given). */
  readonly text: string;
  readonly parsed: HlsMasterPlaylist | DashManifest;
}
