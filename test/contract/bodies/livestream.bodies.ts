import { expect } from 'vitest';
import { DomainError } from '../../../src/core/domain-error.js';
import type { DvrSessionsDataSource } from '../../../src/datasources/livestream/dvr-sessions.datasource.js';
import type { LiveStreamDataSource } from '../../../src/datasources/livestream/livestream.datasource.js';
import { LIVESTREAM_MAX_PAGE_SIZE, type Asset, type Channel, type DvrSession } from '../../../src/datasources/livestream/livestream.types.js';
import type { Cleanup } from '../contract-env.js';
import type { ContractBody } from './contract-body.js';
import { walkRelay } from './relay-walk.js';

/** What the Live Stream bodies run against. */
export interface LiveStreamContractTarget {
  readonly live: LiveStreamDataSource;
  readonly dvr: DvrSessionsDataSource;
  /** `projects/{project}/locations/{location}`. */
  readonly parent: string;
  /** Names what a body creates (lower-case letters, digits and `-`). */
  readonly runId: string;
  /** A `gs://` URI of a video the project can read, for creating an asset (need `assetUri`). */
  readonly assetUri: string | undefined;
  /** How long a body waits for a long-running operation, in ms. */
  readonly operationTimeoutMs: number;
  readonly cleanup: Cleanup;
}

/** The `needs` a target provides when it has an asset URI. */
export const LIVESTREAM_NEEDS_ASSET_URI = 'assetUri';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).code;
}

/** Every channel of the location, in pages of `pageSize`, following next_page_token only. */
async function listChannels(target: LiveStreamContractTarget, pageSize: number): Promise<Channel[]> {
  const channels: Channel[] = [];
  let pageToken: string | undefined;
  for (let pages = 0; pages < 200; pages += 1) {
    const page = await target.live.listChannels(target.parent, { pageSize, pageToken });
    channels.push(...page.items);
    pageToken = page.nextPageToken;
    if (pageToken === undefined) break;
  }
  return channels;
}

/** The Live Stream contract: channels and assets over gRPC, DVR sessions over REST, long-running operations. */
export const LIVESTREAM_BODIES: readonly ContractBody<LiveStreamContractTarget>[] = [
  {
    title: 'lists channels with page_size 1 by next_page_token alone, each once, with their manifests and keys',
    async run(target) {
      const channels = await listChannels(target, 1);
      expect(new Set(channels.map((channel) => channel.name)).size).toBe(channels.length);
      for (const channel of channels) {
        expect(channel.name.startsWith(`${target.parent}/channels/`)).toBe(true);
        for (const manifest of channel.manifests) {
          expect(manifest.fileName).not.toBe('');
          expect(['HLS', 'DASH', 'MANIFEST_TYPE_UNSPECIFIED']).toContain(manifest.type);
          // Manifest.key is optional in the API: a string when the configuration gave one.
          if (manifest.key !== undefined) expect(manifest.key).toMatch(/^\S+$/);
        }
        const keys = channel.manifests.flatMap((manifest) => (manifest.key === undefined ? [] : [manifest.key]));
        expect(new Set(keys).size).toBe(keys.length);
      }
    },
  },
  {
    title: 'reads each of the first listed channels alike with GetChannel',
    async run(target) {
      for (const listed of (await listChannels(target, 10)).slice(0, 3)) {
        const read = await target.live.getChannel(listed.name);
        expect({ ...read, streamingState: listed.streamingState, updateTime: listed.updateTime }).toEqual(listed);
      }
    },
  },
  {
    title: 'gives each asset once through a Relay connection of first 2, whatever page size the service picks',
    async run(target) {
      await walkRelay<Asset>({
        listKey: `livestream-assets:${target.parent}`,
        providerMaxPageSize: LIVESTREAM_MAX_PAGE_SIZE,
        key: (asset) => asset.name,
        fetchPage: async ({ token, pageSize }) => {
          const page = await target.live.listAssets(target.parent, { pageSize, pageToken: token });
          return { items: page.items, nextToken: page.nextPageToken };
        },
      });
    },
  },
  {
    title: 'gives each DVR session of a channel with retention once through a Relay connection of first 2',
    async run(target) {
      const channels = (await listChannels(target, 100)).filter((channel) => channel.retentionWindowSeconds !== undefined).slice(0, 2);
      for (const channel of channels) {
        await walkRelay<DvrSession>({
          listKey: `livestream-dvr:${channel.name}`,
          providerMaxPageSize: LIVESTREAM_MAX_PAGE_SIZE,
          key: (session) => session.name,
          fetchPage: async ({ token, pageSize }) => {
            const page = await target.dvr.listDvrSessions(channel.name, { pageSize, pageToken: token });
            return { items: page.items, nextToken: page.nextPageToken };
          },
        });
      }
    },
  },
  {
    title: 'answers NOT_FOUND for an asset and a channel that do not exist',
    async run(target) {
      expect(await codeOf(target.live.getAsset(`${target.parent}/assets/${target.runId}-absent`))).toBe('NOT_FOUND');
      expect(await codeOf(target.live.getChannel(`${target.parent}/channels/${target.runId}-absent`))).toBe('NOT_FOUND');
    },
  },
  {
    title: 'creates an asset through its operation, reads it ACTIVE, then deletes it',
    writes: true,
    needs: [LIVESTREAM_NEEDS_ASSET_URI],
    async run(target) {
      const uri = target.assetUri;
      if (uri === undefined) throw new Error('no asset URI');
      const name = `${target.parent}/assets/${target.runId}-asset`;
      target.cleanup.add(`asset ${name}`, async () => {
        try {
          const deleting = await target.live.deleteAsset(name);
          await target.live.waitForOperation(deleting.name, { timeoutMs: target.operationTimeoutMs });
        } catch (error) {
          if (!(error instanceof DomainError && error.code === 'NOT_FOUND')) throw error;
        }
      });
      const created = await target.live.createAsset({ parent: target.parent, assetId: `${target.runId}-asset`, kind: 'video', uri, labels: { 'media-graph-contract': target.runId } });
      const done = await target.live.waitForOperation(created.name, { timeoutMs: target.operationTimeoutMs });
      expect(done.done).toBe(true);
      expect(done.error).toBeUndefined();
      const asset = await target.live.getAsset(name);
      expect(asset).toMatchObject({ name, state: 'ACTIVE', uri });
      const deleting = await target.live.deleteAsset(name);
      expect((await target.live.waitForOperation(deleting.name, { timeoutMs: target.operationTimeoutMs })).done).toBe(true);
      expect(await codeOf(target.live.getAsset(name))).toBe('NOT_FOUND');
    },
  },
];
