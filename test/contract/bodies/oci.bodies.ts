import { expect } from 'vitest';
import { DomainError } from '../../../src/core/domain-error.js';
import { OCI_MAX_PAGE_SIZE, type OciMediaServicesDataSource } from '../../../src/datasources/oci/oci-media-services.datasource.js';
import type { MediaAssetSummary, StreamDistributionChannel, StreamPackagingConfigSummary } from '../../../src/datasources/oci/oci.types.js';
import type { ContractBody } from './contract-body.js';
import { walkRelay } from './relay-walk.js';

/** What the OCI bodies run against. */
export interface OciContractTarget {
  readonly mediaServices: OciMediaServicesDataSource;
  /** A compartment holding the media assets and distribution channels to read. */
  readonly compartmentId: string;
  /** Names what a body asks for that must not exist. */
  readonly runId: string;
  /** The region key in OCIDs (e.g. `iad`), for an OCID that does not exist. */
  readonly regionKey: string;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).code;
}

async function distributionChannels(target: OciContractTarget): Promise<StreamDistributionChannel[]> {
  const channels: StreamDistributionChannel[] = [];
  let page: string | undefined;
  for (let pages = 0; pages < 50; pages += 1) {
    const listed = await target.mediaServices.listDistributionChannels({ compartmentId: target.compartmentId, limit: 100, page });
    channels.push(...listed.items);
    page = listed.nextPage;
    if (page === undefined) break;
  }
  return channels;
}

/** The OCI Media Services contract: lists paged by `limit`/`opc-next-page`, gets, and not-found answers. */
export const OCI_BODIES: readonly ContractBody<OciContractTarget>[] = [
  {
    title: 'gives each media asset of the compartment once through a Relay connection of first 2, whatever page length the service picks',
    async run(target) {
      await walkRelay<MediaAssetSummary>({
        listKey: `oci:mediaAssets:${target.compartmentId}`,
        providerMaxPageSize: OCI_MAX_PAGE_SIZE,
        key: (asset) => asset.id,
        fetchPage: async ({ token, pageSize }) => {
          const page = await target.mediaServices.listMediaAssets({ compartmentId: target.compartmentId, limit: pageSize, page: token });
          return { items: page.items, nextToken: page.nextPage };
        },
      });
    },
  },
  {
    title: 'reads each of the first listed media assets alike with GetMediaAsset',
    async run(target) {
      const listed = await target.mediaServices.listMediaAssets({ compartmentId: target.compartmentId, limit: 3, page: undefined });
      for (const summary of listed.items) {
        const asset = await target.mediaServices.getMediaAsset(summary.id);
        expect(asset).toMatchObject({ id: summary.id, compartmentId: target.compartmentId, type: summary.type });
      }
    },
  },
  {
    title: 'gives each distribution channel, and each packaging configuration of one, once through Relay connections of first 2',
    async run(target) {
      await walkRelay<StreamDistributionChannel>({
        listKey: `oci:channels:${target.compartmentId}`,
        providerMaxPageSize: OCI_MAX_PAGE_SIZE,
        key: (channel) => channel.id,
        fetchPage: async ({ token, pageSize }) => {
          const page = await target.mediaServices.listDistributionChannels({ compartmentId: target.compartmentId, limit: pageSize, page: token });
          return { items: page.items, nextToken: page.nextPage };
        },
      });
      for (const channel of (await distributionChannels(target)).slice(0, 2)) {
        expect(await target.mediaServices.getDistributionChannel(channel.id)).toMatchObject({ id: channel.id });
        await walkRelay<StreamPackagingConfigSummary>({
          listKey: `oci:packaging:${channel.id}`,
          providerMaxPageSize: OCI_MAX_PAGE_SIZE,
          key: (config) => config.id,
          fetchPage: async ({ token, pageSize }) => {
            const page = await target.mediaServices.listPackagingConfigs({ distributionChannelId: channel.id, limit: pageSize, page: token });
            return { items: page.items, nextToken: page.nextPage };
          },
        });
      }
    },
  },
  {
    title: 'answers NOT_FOUND for a media asset that does not exist',
    async run(target) {
      const absent = `ocid1.mediaasset.oc1.${target.regionKey}.${target.runId.replace(/-/g, '')}absent`;
      expect(await codeOf(target.mediaServices.getMediaAsset(absent))).toBe('NOT_FOUND');
    },
  },
];
