import DataLoader from 'dataloader';
import { DomainError, isDomainError } from '../../core/domain-error.js';
import type { OciMediaServicesDataSource } from './oci-media-services.datasource.js';
import type { MediaAsset, StreamDistributionChannel, StreamPackagingConfig } from './oci.types.js';
import type { Api } from '../datasource-api.js';

/** Per-request loaders over OCI Media Services. */
export interface OciLoaders {
  /** GetMediaAsset by OCID; `null` for an unknown asset. Deduplicated per request. */
  readonly mediaAsset: DataLoader<string, MediaAsset | null>;
  /** GetStreamPackagingConfig by OCID; `null` for an unknown configuration. Deduplicated per request. */
  readonly packagingConfig: DataLoader<string, StreamPackagingConfig | null>;
  /** GetStreamDistributionChannel by OCID; `null` for an unknown channel. Deduplicated per request. */
  readonly distributionChannel: DataLoader<string, StreamDistributionChannel | null>;
}

/**
 * The error every OCI field fails with when the gateway has no OCI Media Services (neither configured nor
 * emulated).
 */
export function ociUnavailable(): DomainError {
  return new DomainError(
    'UPSTREAM_UNAVAILABLE',
    'OCI Media Services is not configured on this gateway: set OCI_TENANCY_ID (and its key settings) or allow the embedded emulator.',
    { retryable: false },
  );
}

/** A batch function that gets each distinct key on its own (Media Services has no batch get). */
function eachKey<T>(get: (id: string) => Promise<T>): DataLoader.BatchLoadFn<string, T | null> {
  return (ids) =>
    Promise.all(
      ids.map(async (id) => {
        try {
          return await get(id);
        } catch (error) {
          if (isDomainError(error) && error.code === 'NOT_FOUND') return null;
          return error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
}

/**
 * Creates the loaders for one request. A batch becomes one Get per distinct OCID (the SDK client's retry
 * bounds the fan-out); DataLoader's cache makes a repeated OCID cost nothing within the request. Without
 * OCI (`mediaServices` undefined) every load fails with {@link ociUnavailable}, and nothing is called.
 * Lifetime: one GraphQL operation.
 */
export function createOciLoaders(mediaServices: Api<OciMediaServicesDataSource> | undefined, signal: AbortSignal | undefined): OciLoaders {
  const unavailable = <T>(): DataLoader.BatchLoadFn<string, T | null> => (ids) => Promise.resolve(ids.map(() => ociUnavailable()));
  if (mediaServices === undefined) {
    return {
      mediaAsset: new DataLoader<string, MediaAsset | null>(unavailable<MediaAsset>()),
      packagingConfig: new DataLoader<string, StreamPackagingConfig | null>(unavailable<StreamPackagingConfig>()),
      distributionChannel: new DataLoader<string, StreamDistributionChannel | null>(unavailable<StreamDistributionChannel>()),
    };
  }
  return {
    mediaAsset: new DataLoader<string, MediaAsset | null>(eachKey((id) => mediaServices.getMediaAsset(id, { signal }))),
    packagingConfig: new DataLoader<string, StreamPackagingConfig | null>(eachKey((id) => mediaServices.getPackagingConfig(id, { signal }))),
    distributionChannel: new DataLoader<string, StreamDistributionChannel | null>(
      eachKey((id) => mediaServices.getDistributionChannel(id, { signal })),
    ),
  };
}
