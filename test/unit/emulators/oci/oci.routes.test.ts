import { describe, expect, it } from 'vitest';
import { hostName, routeRequest } from '../../../../src/emulators/oci/oci.routes.js';

const CHANNEL = 'abc.dc.mediaservices.us-ashburn-1.oci.emulator.invalid';
const isChannel = (name: string): boolean => name === CHANNEL;

describe('routeRequest', () => {
  it.each([
    ['GET', '/20211101/mediaAssets', 'ListMediaAssets', undefined],
    ['GET', '/20211101/mediaAssets/ocid1.mediaasset.oc1.iad.a', 'GetMediaAsset', 'ocid1.mediaasset.oc1.iad.a'],
    ['GET', '/20211101/streamPackagingConfigs', 'ListStreamPackagingConfigs', undefined],
    ['GET', '/20211101/streamPackagingConfigs/p%2F1', 'GetStreamPackagingConfig', 'p/1'],
    ['GET', '/20211101/streamDistributionChannels', 'ListStreamDistributionChannels', undefined],
    ['GET', '/20211101/streamDistributionChannels/ch', 'GetStreamDistributionChannel', 'ch'],
  ])('routes %s %s on the control plane to %s', (method, path, operation, resourceId) => {
    expect(routeRequest(method, path, '127.0.0.1:4000', isChannel)).toEqual({ operation, channelDomain: undefined, resourceId });
  });

  it('routes Media Streams actions when the channel domain is a path prefix', () => {
    expect(routeRequest('GET', `/dc/${CHANNEL}/20211101/actions/generatePlaylist`, '127.0.0.1:4000', isChannel)).toEqual({
      operation: 'GeneratePlaylist',
      channelDomain: CHANNEL,
      resourceId: undefined,
    });
    expect(routeRequest('POST', `/dc/${encodeURIComponent(CHANNEL.toUpperCase())}/20211101/actions/generateSessionToken`, undefined, isChannel)).toMatchObject({
      operation: 'GenerateSessionToken',
      channelDomain: CHANNEL,
    });
  });

  it('routes Media Streams actions when the Host header names a channel domain', () => {
    expect(routeRequest('GET', '/20211101/actions/generatePlaylist', `${CHANNEL}:443`, isChannel)).toMatchObject({
      operation: 'GeneratePlaylist',
      channelDomain: CHANNEL,
    });
  });

  it.each([
    ['POST', '/20211101/mediaAssets', '127.0.0.1'],
    ['GET', '/20200101/mediaAssets', '127.0.0.1'],
    ['GET', '/20211101/mediaAssets/a/b', '127.0.0.1'],
    ['GET', '/20211101/actions/generatePlaylist', '127.0.0.1'],
    ['POST', `/dc/${CHANNEL}/20211101/actions/generatePlaylist`, '127.0.0.1'],
    ['GET', `/dc/${CHANNEL}/20211101/mediaAssets`, '127.0.0.1'],
    ['GET', '/20211101/mediaAssets', CHANNEL],
    ['GET', '/20211101/mediaAssets/%E0%A4%A', '127.0.0.1'],
  ])('routes %s %s (Host %s) nowhere', (method, path, host) => {
    expect(routeRequest(method, path, host, isChannel).operation).toBe('Unknown');
  });
});

describe('hostName', () => {
  it('strips the port and lower-cases when the header is a host or an IPv6 literal', () => {
    expect(hostName('Media.Example:8443')).toBe('media.example');
    expect(hostName('[::1]:80')).toBe('[::1]');
  });

  it('returns undefined when the header is absent or unparsable', () => {
    expect(hostName(undefined)).toBeUndefined();
    expect(hostName('bad host name')).toBeUndefined();
  });
});
