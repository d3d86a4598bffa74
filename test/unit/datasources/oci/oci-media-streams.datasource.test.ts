import type { MediaStreamClient } from 'oci-mediaservices';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../../src/core/domain-error.js';
import { createLogger } from '../../../../src/core/logger.js';
import { OciMediaStreamsDataSource, type MediaStreamsDependencies } from '../../../../src/datasources/oci/oci-media-streams.datasource.js';
import type { StreamDistributionChannel } from '../../../../src/datasources/oci/oci.types.js';

/*
 * The channel-endpoint cache of OciMediaStreamsDataSource, through its injected dependencies: a channel directory
 * that counts lookups, and a client factory that records the endpoint it is asked for and stops the call there
 * (the Media Streams calls themselves are covered against the emulator in test/integration/oci.int.test.ts).
 */

const STOP = 'stopped before the Media Streams call';

function harness(maxCachedChannels: number): { streams: OciMediaStreamsDataSource; lookups: string[]; endpoints: string[] } {
  const lookups: string[] = [];
  const endpoints: string[] = [];
  const dependencies: MediaStreamsDependencies = {
    channels: {
      getDistributionChannel: (id: string): Promise<StreamDistributionChannel> => {
        lookups.push(id);
        return Promise.resolve({
          id,
          compartmentId: 'ocid1.compartment.oc1..c',
          displayName: id,
          domainName: `${id}.dc.example`,
          lifecycleState: 'ACTIVE',
          timeCreated: undefined,
          timeUpdated: undefined,
        });
      },
    },
    endpointFor: (domainName) => `https://${domainName}`,
    clientFor: (endpoint): MediaStreamClient => {
      endpoints.push(endpoint);
      throw new DomainError('UPSTREAM_UNAVAILABLE', STOP);
    },
  };
  const streams = new OciMediaStreamsDataSource(dependencies, { timeoutMs: 1_000, logger: createLogger('silent'), maxCachedChannels });
  return { streams, lookups, endpoints };
}

async function tokenFor(streams: OciMediaStreamsDataSource, channel: string): Promise<void> {
  await expect(streams.generateSessionToken({ distributionChannelId: channel, packagingConfigId: 'config', scopes: ['PLAYLIST'] })).rejects.toThrow(STOP);
}

describe('OciMediaStreamsDataSource channel endpoints', () => {
  it('keeps the channel in use and forgets the least recently used one when the cache is full', async () => {
    const { streams, lookups, endpoints } = harness(2);
    await tokenFor(streams, 'in-use');
    await tokenFor(streams, 'idle');
    // The oldest entry, but the most recently used.
    await tokenFor(streams, 'in-use');
    await tokenFor(streams, 'newcomer');
    await tokenFor(streams, 'in-use');
    expect(lookups).toEqual(['in-use', 'idle', 'newcomer']);
    await tokenFor(streams, 'idle');
    expect(lookups).toEqual(['in-use', 'idle', 'newcomer', 'idle']);
    expect(endpoints).toEqual(['https://in-use.dc.example', 'https://idle.dc.example', 'https://in-use.dc.example', 'https://newcomer.dc.example', 'https://in-use.dc.example', 'https://idle.dc.example']);
  });

  it('looks a channel up again when it was forgotten on purpose', async () => {
    const { streams, lookups } = harness(10);
    await tokenFor(streams, 'recreated');
    streams.forgetChannel('recreated');
    await tokenFor(streams, 'recreated');
    expect(lookups).toEqual(['recreated', 'recreated']);
  });
});
