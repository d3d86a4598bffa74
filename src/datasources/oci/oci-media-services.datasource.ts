import type { MediaServicesClient, models } from 'oci-mediaservices';
import { badInput } from '../../core/domain-error.js';
import type { Logger } from '../../core/logger.js';
import { callOci, type OciCallSettings } from './oci.http-client.js';
import {
  toDistributionChannel,
  toMediaAsset,
  toMediaAssetSummary,
  toNextPage,
  toPackagingConfig,
  toPackagingConfigSummary,
} from './oci.mapper.js';
import type {
  DistributionChannelListQuery,
  MediaAsset,
  MediaAssetListQuery,
  MediaAssetSummary,
  OciCallOptions,
  OciPage,
  PackagingConfigListQuery,
  StreamDistributionChannel,
  StreamPackagingConfig,
  StreamPackagingConfigSummary,
} from './oci.types.js';

/** Largest page the Media Services list operations accept. */
export const OCI_MAX_PAGE_SIZE = 1000;

/** Settings of {@link OciMediaServicesDataSource}. */
export interface OciMediaServicesDataSourceOptions {
  /** Deadline per call, retries included, in ms. */
  readonly timeoutMs: number;
  /** Receives the credentials log line of a 401 (RELIABILITY O1). */
  readonly logger: Logger;
  /** Fingerprint of the signing key, named in that log line. */
  readonly keyFingerprint?: string | undefined;
}

/** Checks a page size before any upstream call (RELIABILITY S7: 0 upstream calls on bad input). */
function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > OCI_MAX_PAGE_SIZE) {
    throw badInput(`The page size must be an integer from 1 to ${OCI_MAX_PAGE_SIZE}.`, { maxPageSize: OCI_MAX_PAGE_SIZE });
  }
}

/** Checks an OCID argument before any upstream call. */
function checkId(name: string, value: string): void {
  if (value.trim() === '') throw badInput(`${name} must not be empty.`);
}

/**
 * The Media Services control plane: media assets, stream packaging configurations and stream distribution
 * channels (list and get). The SDK client is injected (signing, endpoint and retries are configured on
 * it, see `oci.clients.ts`). Stateless apart from the client: one instance serves the process.
 */
export class OciMediaServicesDataSource {
  private readonly settings: OciCallSettings;

  constructor(
    private readonly client: MediaServicesClient,
    options: OciMediaServicesDataSourceOptions,
  ) {
    this.settings = { timeoutMs: options.timeoutMs, logger: options.logger, keyFingerprint: options.keyFingerprint };
  }

  /**
   * One page of the media assets of a compartment, newest first unless `sortBy`/`sortOrder` say otherwise.
   *
   * @throws DomainError `BAD_USER_INPUT` (bad limit or page token), `UPSTREAM_*` per the OCI error table.
   */
  async listMediaAssets(query: MediaAssetListQuery, options: OciCallOptions = {}): Promise<OciPage<MediaAssetSummary>> {
    checkId('compartmentId', query.compartmentId);
    checkLimit(query.limit);
    const response = await callOci('ListMediaAssets', this.settings, options, () =>
      this.client.listMediaAssets({
        compartmentId: query.compartmentId,
        limit: query.limit,
        page: query.page,
        // The SDK's enums are these strings; unknown values are refused by the service with a 400.
        lifecycleState: query.lifecycleState as models.LifecycleState | undefined,
        sortBy: query.sortBy as models.MediaAssetSortBy | undefined,
        sortOrder: query.sortOrder as models.SortOrder | undefined,
      }),
    );
    return { items: response.mediaAssetCollection.items.map(toMediaAssetSummary), nextPage: toNextPage(response.opcNextPage) };
  }

  /**
   * One media asset.
   *
   * @throws DomainError `NOT_FOUND` when it does not exist (or is not visible to the gateway's user).
   */
  async getMediaAsset(id: string, options: OciCallOptions = {}): Promise<MediaAsset> {
    checkId('mediaAssetId', id);
    const response = await callOci('GetMediaAsset', this.settings, options, () => this.client.getMediaAsset({ mediaAssetId: id }));
    return toMediaAsset(response.mediaAsset);
  }

  /**
   * One page of the packaging configurations of a distribution channel.
   *
   * @throws DomainError `BAD_USER_INPUT`, `NOT_FOUND`, `UPSTREAM_*` per the OCI error table.
   */
  async listPackagingConfigs(query: PackagingConfigListQuery, options: OciCallOptions = {}): Promise<OciPage<StreamPackagingConfigSummary>> {
    checkId('distributionChannelId', query.distributionChannelId);
    checkLimit(query.limit);
    const response = await callOci('ListStreamPackagingConfigs', this.settings, options, () =>
      this.client.listStreamPackagingConfigs({ distributionChannelId: query.distributionChannelId, limit: query.limit, page: query.page }),
    );
    return {
      items: response.streamPackagingConfigCollection.items.map(toPackagingConfigSummary),
      nextPage: toNextPage(response.opcNextPage),
    };
  }

  /**
   * One packaging configuration, with its format (HLS or DASH), segment time and encryption.
   *
   * @throws DomainError `NOT_FOUND` when it does not exist.
   */
  async getPackagingConfig(id: string, options: OciCallOptions = {}): Promise<StreamPackagingConfig> {
    checkId('streamPackagingConfigId', id);
    const response = await callOci('GetStreamPackagingConfig', this.settings, options, () =>
      this.client.getStreamPackagingConfig({ streamPackagingConfigId: id }),
    );
    return toPackagingConfig(response.streamPackagingConfig);
  }

  /**
   * One page of the distribution channels of a compartment.
   *
   * @throws DomainError `BAD_USER_INPUT`, `UPSTREAM_*` per the OCI error table.
   */
  async listDistributionChannels(query: DistributionChannelListQuery, options: OciCallOptions = {}): Promise<OciPage<StreamDistributionChannel>> {
    checkId('compartmentId', query.compartmentId);
    checkLimit(query.limit);
    const response = await callOci('ListStreamDistributionChannels', this.settings, options, () =>
      this.client.listStreamDistributionChannels({ compartmentId: query.compartmentId, limit: query.limit, page: query.page }),
    );
    return {
      items: response.streamDistributionChannelCollection.items.map(toDistributionChannel),
      nextPage: toNextPage(response.opcNextPage),
    };
  }

  /**
   * One distribution channel, with its Media Streams `domainName`.
   *
   * @throws DomainError `NOT_FOUND` when it does not exist.
   */
  async getDistributionChannel(id: string, options: OciCallOptions = {}): Promise<StreamDistributionChannel> {
    checkId('streamDistributionChannelId', id);
    const response = await callOci('GetStreamDistributionChannel', this.settings, options, () =>
      this.client.getStreamDistributionChannel({ streamDistributionChannelId: id }),
    );
    return toDistributionChannel(response.streamDistributionChannel);
  }
}
