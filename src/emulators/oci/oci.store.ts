import { randomBytes } from 'node:crypto';

/**
 * In-memory resources of the OCI emulator and their wire (JSON) form. Field names and value sets follow
 * the Media Services API 20211101 models (`MediaAsset`, `StreamPackagingConfig`,
 * `StreamDistributionChannel` and their `*Summary` forms).
 */

/** Lifecycle states of a media asset (the API's `LifecycleState` enum). */
export const MEDIA_ASSET_STATES = ['CREATING', 'UPDATING', 'ACTIVE', 'DELETING', 'DELETED', 'FAILED'] as const;
/** Lifecycle states of packaging configurations and distribution channels. */
export const STREAM_RESOURCE_STATES = ['ACTIVE', 'NEEDS_ATTENTION', 'DELETED'] as const;
/** Media asset types (the API's `AssetType` enum). */
export const MEDIA_ASSET_TYPES = ['AUDIO', 'VIDEO', 'PLAYLIST', 'IMAGE', 'CAPTION_FILE', 'UNKNOWN'] as const;

/** A media asset as stored. */
export interface StoredMediaAsset {
  readonly id: string;
  readonly compartmentId: string;
  readonly displayName: string;
  readonly type: (typeof MEDIA_ASSET_TYPES)[number];
  lifecycleState: (typeof MEDIA_ASSET_STATES)[number];
  readonly timeCreated: Date;
  timeUpdated: Date;
  readonly bucketName?: string;
  readonly namespaceName?: string;
  readonly objectName?: string;
  readonly parentMediaAssetId?: string;
  readonly masterMediaAssetId?: string;
  readonly freeformTags: Readonly<Record<string, string>>;
  /** Emulator-only: the title's duration, used to write playlists. */
  readonly durationSeconds: number;
}

/** A stream packaging configuration as stored. */
export interface StoredPackagingConfig {
  readonly id: string;
  readonly compartmentId: string;
  readonly distributionChannelId: string;
  readonly displayName: string;
  readonly streamPackagingFormat: 'HLS' | 'DASH';
  readonly segmentTimeInSeconds: number;
  readonly encryption: { readonly algorithm: 'NONE' } | { readonly algorithm: 'AES128'; readonly kmsKeyId?: string };
  lifecycleState: (typeof STREAM_RESOURCE_STATES)[number];
  readonly timeCreated: Date;
  timeUpdated: Date;
  readonly freeformTags: Readonly<Record<string, string>>;
}

/** A stream distribution channel as stored. */
export interface StoredDistributionChannel {
  readonly id: string;
  readonly compartmentId: string;
  readonly displayName: string;
  /** The channel's Media Streams domain (no scheme), e.g. `abc123.dc.mediaservices.us-ashburn-1.oci.emulator.invalid`. */
  readonly domainName: string;
  lifecycleState: (typeof STREAM_RESOURCE_STATES)[number];
  readonly timeCreated: Date;
  timeUpdated: Date;
  readonly freeformTags: Readonly<Record<string, string>>;
}

/** A JSON object as sent on the wire. */
export type WireObject = Record<string, unknown>;

/** Lower-case base32 alphabet OCIDs use for their unique part. */
const OCID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * A new OCID of `resourceType` in the emulator's realm and region, e.g.
 * `ocid1.mediaasset.oc1.iad.amaaaaaa...` (60 random base32 characters, like real OCIDs).
 */
export function newOcid(resourceType: string, regionKey: string): string {
  const bytes = randomBytes(60);
  let unique = '';
  for (const byte of bytes) unique += OCID_ALPHABET[byte % OCID_ALPHABET.length];
  return `ocid1.${resourceType}.oc1.${regionKey}.${unique}`;
}

function dropUndefined(object: WireObject): WireObject {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/** Full `MediaAsset` wire form (GetMediaAsset). */
export function mediaAssetJson(asset: StoredMediaAsset): WireObject {
  return dropUndefined({
    ...mediaAssetSummaryJson(asset),
    bucketName: asset.bucketName,
    namespaceName: asset.namespaceName,
    objectName: asset.objectName,
    metadata: [],
    mediaAssetTags: [],
  });
}

/** `MediaAssetSummary` wire form (ListMediaAssets items). */
export function mediaAssetSummaryJson(asset: StoredMediaAsset): WireObject {
  return dropUndefined({
    id: asset.id,
    compartmentId: asset.compartmentId,
    displayName: asset.displayName,
    type: asset.type,
    lifecycleState: asset.lifecycleState,
    timeCreated: asset.timeCreated.toISOString(),
    timeUpdated: asset.timeUpdated.toISOString(),
    parentMediaAssetId: asset.parentMediaAssetId,
    masterMediaAssetId: asset.masterMediaAssetId,
    freeformTags: { ...asset.freeformTags },
    definedTags: {},
    systemTags: {},
  });
}

/** Full `StreamPackagingConfig` wire form (GetStreamPackagingConfig); polymorphic on `streamPackagingFormat`. */
export function packagingConfigJson(config: StoredPackagingConfig): WireObject {
  return {
    ...packagingConfigSummaryJson(config),
    streamPackagingFormat: config.streamPackagingFormat,
    segmentTimeInSeconds: config.segmentTimeInSeconds,
    encryption: { ...config.encryption },
  };
}

/** `StreamPackagingConfigSummary` wire form (its model has no format, segment time or encryption). */
export function packagingConfigSummaryJson(config: StoredPackagingConfig): WireObject {
  return {
    id: config.id,
    compartmentId: config.compartmentId,
    distributionChannelId: config.distributionChannelId,
    displayName: config.displayName,
    lifecycleState: config.lifecycleState,
    timeCreated: config.timeCreated.toISOString(),
    timeUpdated: config.timeUpdated.toISOString(),
    freeformTags: { ...config.freeformTags },
    definedTags: {},
    systemTags: {},
  };
}

/** `StreamDistributionChannel` wire form; the summary form carries the same fields. */
export function distributionChannelJson(channel: StoredDistributionChannel): WireObject {
  return {
    id: channel.id,
    compartmentId: channel.compartmentId,
    displayName: channel.displayName,
    domainName: channel.domainName,
    lifecycleState: channel.lifecycleState,
    timeCreated: channel.timeCreated.toISOString(),
    timeUpdated: channel.timeUpdated.toISOString(),
    freeformTags: { ...channel.freeformTags },
    definedTags: {},
    systemTags: {},
  };
}

/** Input of {@link OciResourceStore.addMediaAsset}; omitted fields take the documented defaults. */
export interface MediaAssetInput {
  /** Default: a new OCID. */
  readonly id?: string;
  readonly compartmentId: string;
  readonly displayName: string;
  /** Default `VIDEO`. */
  readonly type?: StoredMediaAsset['type'];
  /** Default `ACTIVE`. */
  readonly lifecycleState?: StoredMediaAsset['lifecycleState'];
  /** Default: the emulator clock. */
  readonly timeCreated?: Date;
  readonly bucketName?: string;
  readonly namespaceName?: string;
  readonly objectName?: string;
  readonly parentMediaAssetId?: string;
  readonly masterMediaAssetId?: string;
  readonly freeformTags?: Readonly<Record<string, string>>;
  /** Default 600 s. */
  readonly durationSeconds?: number;
}

/** Input of {@link OciResourceStore.addPackagingConfig}. */
export interface PackagingConfigInput {
  readonly id?: string;
  readonly distributionChannelId: string;
  readonly displayName: string;
  readonly streamPackagingFormat: 'HLS' | 'DASH';
  /** Default 6 s. */
  readonly segmentTimeInSeconds?: number;
  /** Default `{ algorithm: 'NONE' }`. */
  readonly encryption?: StoredPackagingConfig['encryption'];
  readonly lifecycleState?: StoredPackagingConfig['lifecycleState'];
  readonly timeCreated?: Date;
  readonly freeformTags?: Readonly<Record<string, string>>;
}

/** Input of {@link OciResourceStore.addDistributionChannel}. */
export interface DistributionChannelInput {
  readonly id?: string;
  readonly compartmentId: string;
  readonly displayName: string;
  /** Default: `<random label>.dc.mediaservices.<region>.oci.emulator.invalid`. */
  readonly domainName?: string;
  readonly lifecycleState?: StoredDistributionChannel['lifecycleState'];
  readonly timeCreated?: Date;
  readonly freeformTags?: Readonly<Record<string, string>>;
}

/** The resources of one emulator, kept in insertion order. */
export class OciResourceStore {
  readonly assets = new Map<string, StoredMediaAsset>();
  readonly packagingConfigs = new Map<string, StoredPackagingConfig>();
  readonly channels = new Map<string, StoredDistributionChannel>();

  /**
   * @param now emulator clock, epoch milliseconds.
   * @param region region identifier used in domain names, e.g. `us-ashburn-1`.
   * @param regionKey short region key used in OCIDs, e.g. `iad`.
   */
  constructor(
    private readonly now: () => number,
    private readonly region: string,
    private readonly regionKey: string,
  ) {}

  /**
   * Stores a media asset.
   *
   * @throws TypeError when the id is taken or `durationSeconds` is not positive.
   */
  addMediaAsset(input: MediaAssetInput): StoredMediaAsset {
    const id = this.freshId(input.id, 'mediaasset', this.assets);
    const duration = input.durationSeconds ?? 600;
    if (!(Number.isFinite(duration) && duration > 0)) throw new TypeError(`durationSeconds must be positive, got ${String(duration)}`);
    const created = input.timeCreated ?? new Date(this.now());
    const asset: StoredMediaAsset = {
      id,
      compartmentId: input.compartmentId,
      displayName: input.displayName,
      type: input.type ?? 'VIDEO',
      lifecycleState: input.lifecycleState ?? 'ACTIVE',
      timeCreated: created,
      timeUpdated: created,
      bucketName: input.bucketName,
      namespaceName: input.namespaceName,
      objectName: input.objectName,
      parentMediaAssetId: input.parentMediaAssetId,
      masterMediaAssetId: input.masterMediaAssetId,
      freeformTags: { ...input.freeformTags },
      durationSeconds: duration,
    };
    this.assets.set(id, asset);
    return asset;
  }

  /**
   * Stores a packaging configuration of an existing channel (its compartment is the channel's).
   *
   * @throws TypeError when the id is taken, the channel does not exist or the segment time is not positive.
   */
  addPackagingConfig(input: PackagingConfigInput): StoredPackagingConfig {
    const channel = this.channels.get(input.distributionChannelId);
    if (channel === undefined) throw new TypeError(`no distribution channel ${input.distributionChannelId}`);
    const id = this.freshId(input.id, 'streampackagingconfig', this.packagingConfigs);
    const segment = input.segmentTimeInSeconds ?? 6;
    if (!(Number.isFinite(segment) && segment > 0)) throw new TypeError(`segmentTimeInSeconds must be positive, got ${String(segment)}`);
    const created = input.timeCreated ?? new Date(this.now());
    const config: StoredPackagingConfig = {
      id,
      compartmentId: channel.compartmentId,
      distributionChannelId: channel.id,
      displayName: input.displayName,
      streamPackagingFormat: input.streamPackagingFormat,
      segmentTimeInSeconds: segment,
      encryption: input.encryption ?? { algorithm: 'NONE' },
      lifecycleState: input.lifecycleState ?? 'ACTIVE',
      timeCreated: created,
      timeUpdated: created,
      freeformTags: { ...input.freeformTags },
    };
    this.packagingConfigs.set(id, config);
    return config;
  }

  /**
   * Stores a distribution channel.
   *
   * @throws TypeError when the id or the domain name is taken.
   */
  addDistributionChannel(input: DistributionChannelInput): StoredDistributionChannel {
    const id = this.freshId(input.id, 'streamdistributionchannel', this.channels);
    const label = id.slice(-12);
    const domainName = input.domainName ?? `${label}.dc.mediaservices.${this.region}.oci.emulator.invalid`;
    if (this.channelByDomain(domainName) !== undefined) throw new TypeError(`domain ${domainName} is already used`);
    const created = input.timeCreated ?? new Date(this.now());
    const channel: StoredDistributionChannel = {
      id,
      compartmentId: input.compartmentId,
      displayName: input.displayName,
      domainName,
      lifecycleState: input.lifecycleState ?? 'ACTIVE',
      timeCreated: created,
      timeUpdated: created,
      freeformTags: { ...input.freeformTags },
    };
    this.channels.set(id, channel);
    return channel;
  }

  /** The channel whose domain is `domainName` (case-insensitive; the caller strips any port). */
  channelByDomain(domainName: string): StoredDistributionChannel | undefined {
    const wanted = domainName.toLowerCase();
    for (const channel of this.channels.values()) {
      if (channel.domainName.toLowerCase() === wanted) return channel;
    }
    return undefined;
  }

  private freshId(requested: string | undefined, resourceType: string, taken: ReadonlyMap<string, unknown>): string {
    const id = requested ?? newOcid(resourceType, this.regionKey);
    if (taken.has(id)) throw new TypeError(`id ${id} is already used`);
    return id;
  }
}

/** Compares two wire values for sorting: strings by code point, dates by time, absent values last. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}
