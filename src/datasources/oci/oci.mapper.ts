import type { models } from 'oci-mediaservices';
import type {
  MediaAsset,
  MediaAssetSummary,
  SessionTokenRequest,
  StreamDistributionChannel,
  StreamPackagingConfig,
  StreamPackagingConfigSummary,
  StreamPackagingFormat,
} from './oci.types.js';

/**
 * Pure mappers between `oci-mediaservices` models and the domain types. The SDK types timestamps as
 * `Date`, but its deserializer passes the RFC 3339 strings through unchanged, so both are accepted.
 */

/** A timestamp field as the SDK really delivers it. */
type Timestamp = Date | string | undefined;

/**
 * Converts an SDK timestamp to a `Date`; `undefined` when absent or unparsable (a bad timestamp is not
 * worth failing a whole list for).
 */
export function toDate(value: Timestamp): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? new Date(value.getTime()) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function tags(value: { readonly [key: string]: string } | undefined): Readonly<Record<string, string>> {
  return { ...value };
}

/** Maps a ListMediaAssets item. */
export function toMediaAssetSummary(model: models.MediaAssetSummary): MediaAssetSummary {
  return {
    id: model.id,
    compartmentId: model.compartmentId,
    displayName: model.displayName,
    type: model.type,
    lifecycleState: model.lifecycleState,
    timeCreated: toDate(model.timeCreated as Timestamp),
    timeUpdated: toDate(model.timeUpdated as Timestamp),
    parentMediaAssetId: model.parentMediaAssetId,
    masterMediaAssetId: model.masterMediaAssetId,
    freeformTags: tags(model.freeformTags),
  };
}

/** Maps a GetMediaAsset result. */
export function toMediaAsset(model: models.MediaAsset): MediaAsset {
  return {
    ...toMediaAssetSummary(model),
    bucketName: model.bucketName,
    namespaceName: model.namespaceName,
    objectName: model.objectName,
  };
}

/** Maps a ListStreamPackagingConfigs item. */
export function toPackagingConfigSummary(model: models.StreamPackagingConfigSummary): StreamPackagingConfigSummary {
  return {
    id: model.id,
    compartmentId: model.compartmentId,
    distributionChannelId: model.distributionChannelId,
    displayName: model.displayName,
    lifecycleState: model.lifecycleState,
    timeCreated: toDate(model.timeCreated as Timestamp),
    timeUpdated: toDate(model.timeUpdated as Timestamp),
  };
}

/** The packaging format of the API's polymorphic discriminator; `undefined` for a format this code does not know. */
export function toPackagingFormat(value: string | undefined): StreamPackagingFormat | undefined {
  return value === 'HLS' || value === 'DASH' ? value : undefined;
}

/** Maps a GetStreamPackagingConfig result (an `HlsStreamPackagingConfig` or `DashStreamPackagingConfig`). */
export function toPackagingConfig(model: models.StreamPackagingConfig): StreamPackagingConfig {
  return {
    ...toPackagingConfigSummary(model),
    format: toPackagingFormat(model.streamPackagingFormat),
    segmentTimeInSeconds: model.segmentTimeInSeconds,
    encryption: model.encryption?.algorithm,
  };
}

/** Maps a distribution channel (GetStreamDistributionChannel or a list item; both carry the same fields). */
export function toDistributionChannel(model: models.StreamDistributionChannel | models.StreamDistributionChannelSummary): StreamDistributionChannel {
  return {
    id: model.id,
    compartmentId: model.compartmentId,
    displayName: model.displayName,
    domainName: model.domainName === '' ? undefined : model.domainName,
    lifecycleState: model.lifecycleState,
    timeCreated: toDate(model.timeCreated as Timestamp),
    timeUpdated: toDate(model.timeUpdated as Timestamp),
  };
}

/** The `opc-next-page` header as a page token: absent and empty both mean "last page". */
export function toNextPage(header: string | undefined | null): string | undefined {
  return header === undefined || header === null || header === '' ? undefined : header;
}

/**
 * The GenerateSessionToken body for `request`, with its expiry fixed to `expiresAt` (always sent, so the
 * domain token's expiry is the one the service applied).
 */
export function toSessionTokenDetails(request: SessionTokenRequest, expiresAt: Date): models.GenerateSessionTokenDetails {
  const assetIds = request.mediaAssetIds ?? [];
  return {
    packagingConfigId: request.packagingConfigId,
    // The SDK's enum values are exactly these strings.
    scopes: request.scopes.map((scope) => scope as models.GenerateSessionTokenDetails.Scopes),
    ...(assetIds.length === 0 ? {} : { assetIds: [...assetIds] }),
    timeExpires: expiresAt,
  };
}

/**
 * Media streams endpoint of a channel domain: `https://<domainName>`, or the value itself when it already
 * is an absolute http(s) URL.
 *
 * @throws TypeError when `domainName` is empty or not usable as a host.
 */
export function toMediaStreamsEndpoint(domainName: string): string {
  if (domainName.startsWith('https://') || domainName.startsWith('http://')) {
    const href = new URL(domainName).href;
    return href.endsWith('/') ? href.slice(0, -1) : href;
  }
  const url = new URL(`https://${domainName}`);
  if (url.hostname === '' || url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new TypeError('the distribution channel domain name is not a host name');
  }
  return `https://${url.host}`;
}
