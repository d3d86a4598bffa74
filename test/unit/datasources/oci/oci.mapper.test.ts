import type { models } from 'oci-mediaservices';
import { describe, expect, it } from 'vitest';
import {
  toDate,
  toDistributionChannel,
  toMediaAsset,
  toMediaAssetSummary,
  toMediaStreamsEndpoint,
  toNextPage,
  toPackagingConfig,
  toPackagingConfigSummary,
  toPackagingFormat,
  toSessionTokenDetails,
} from '../../../../src/datasources/oci/oci.mapper.js';

/** An SDK model as the deserializer really delivers it: timestamps are the wire's RFC 3339 strings. */
function wire<T>(value: Record<string, unknown>): T {
  return value as T;
}

const ASSET = wire<models.MediaAsset>({
  id: 'ocid1.mediaasset.oc1.iad.a',
  compartmentId: 'ocid1.compartment.oc1..c',
  displayName: 'Sintel',
  type: 'VIDEO',
  lifecycleState: 'ACTIVE',
  timeCreated: '2025-01-10T11:00:00.000Z',
  timeUpdated: '2025-01-11T08:30:00Z',
  bucketName: 'bucket',
  namespaceName: 'ns',
  objectName: 'titles/sintel.mp4',
  masterMediaAssetId: 'ocid1.mediaasset.oc1.iad.master',
  freeformTags: { source: 'demo' },
  definedTags: { Operations: { CostCenter: '42' } },
  systemTags: {},
});

describe('toDate', () => {
  it('parses RFC 3339 strings when the SDK passes them through', () => {
    expect(toDate('2025-01-10T11:00:00.123Z')).toEqual(new Date(Date.UTC(2025, 0, 10, 11, 0, 0, 123)));
    expect(toDate('2025-01-10T12:00:00+01:00')).toEqual(new Date(Date.UTC(2025, 0, 10, 11, 0, 0)));
  });

  it('copies Date values when the SDK did convert them', () => {
    const original = new Date(Date.UTC(2025, 0, 1));
    const copy = toDate(original);
    expect(copy).toEqual(original);
    expect(copy).not.toBe(original);
  });

  it('returns undefined when the value is absent or not a date', () => {
    expect(toDate(undefined)).toBeUndefined();
    expect(toDate('yesterday')).toBeUndefined();
  });
});

describe('toMediaAssetSummary', () => {
  it('keeps the summary fields and drops defined and system tags', () => {
    expect(toMediaAssetSummary(ASSET)).toEqual({
      id: 'ocid1.mediaasset.oc1.iad.a',
      compartmentId: 'ocid1.compartment.oc1..c',
      displayName: 'Sintel',
      type: 'VIDEO',
      lifecycleState: 'ACTIVE',
      timeCreated: new Date(Date.UTC(2025, 0, 10, 11)),
      timeUpdated: new Date(Date.UTC(2025, 0, 11, 8, 30)),
      parentMediaAssetId: undefined,
      masterMediaAssetId: 'ocid1.mediaasset.oc1.iad.master',
      freeformTags: { source: 'demo' },
    });
  });

  it('gives empty tags when the service omits them', () => {
    const summary = toMediaAssetSummary(wire<models.MediaAssetSummary>({ id: 'x', compartmentId: 'c', type: 'AUDIO', lifecycleState: 'FAILED' }));
    expect(summary.freeformTags).toEqual({});
    expect(summary.displayName).toBeUndefined();
    expect(summary.timeCreated).toBeUndefined();
  });
});

describe('toMediaAsset', () => {
  it('adds the source object location to the summary', () => {
    expect(toMediaAsset(ASSET)).toMatchObject({ bucketName: 'bucket', namespaceName: 'ns', objectName: 'titles/sintel.mp4', displayName: 'Sintel' });
  });
});

describe('toPackagingConfig', () => {
  const base = {
    id: 'ocid1.streampackagingconfig.oc1.iad.p',
    compartmentId: 'c',
    distributionChannelId: 'ch',
    displayName: 'HLS 6s',
    segmentTimeInSeconds: 6,
    lifecycleState: 'ACTIVE',
    timeCreated: '2025-01-10T09:01:00Z',
  };

  it('reads the format, segment time and encryption algorithm when the config is HLS with AES-128', () => {
    const config = toPackagingConfig(wire<models.StreamPackagingConfig>({ ...base, streamPackagingFormat: 'HLS', encryption: { algorithm: 'AES128', kmsKeyId: 'ocid1.key.secret' } }));
    expect(config).toEqual({
      id: base.id,
      compartmentId: 'c',
      distributionChannelId: 'ch',
      displayName: 'HLS 6s',
      lifecycleState: 'ACTIVE',
      timeCreated: new Date(Date.UTC(2025, 0, 10, 9, 1)),
      timeUpdated: undefined,
      format: 'HLS',
      segmentTimeInSeconds: 6,
      encryption: 'AES128',
    });
    expect(JSON.stringify(config)).not.toContain('ocid1.key');
  });

  it('leaves the format and encryption undefined when the service sends an unknown format and no encryption', () => {
    const config = toPackagingConfig(wire<models.StreamPackagingConfig>({ ...base, streamPackagingFormat: 'CMAF' }));
    expect(config.format).toBeUndefined();
    expect(config.encryption).toBeUndefined();
  });

  it('maps a list item without the format fields', () => {
    expect(toPackagingConfigSummary(wire<models.StreamPackagingConfigSummary>(base))).not.toHaveProperty('format');
  });
});

describe('toPackagingFormat', () => {
  it('accepts exactly HLS and DASH', () => {
    expect([toPackagingFormat('HLS'), toPackagingFormat('DASH'), toPackagingFormat('hls'), toPackagingFormat(undefined)]).toEqual(['HLS', 'DASH', undefined, undefined]);
  });
});

describe('toDistributionChannel', () => {
  it('keeps the domain name when the channel has one', () => {
    const channel = toDistributionChannel(
      wire<models.StreamDistributionChannel>({ id: 'ch', compartmentId: 'c', displayName: 'Main', domainName: 'abc.dc.example', lifecycleState: 'ACTIVE' }),
    );
    expect(channel).toMatchObject({ id: 'ch', displayName: 'Main', domainName: 'abc.dc.example', lifecycleState: 'ACTIVE' });
  });

  it('reports no domain when the service sends an empty one', () => {
    expect(toDistributionChannel(wire<models.StreamDistributionChannelSummary>({ id: 'ch', compartmentId: 'c', displayName: 'Main', domainName: '' })).domainName).toBeUndefined();
  });
});

describe('toNextPage', () => {
  it('treats absent, null and empty headers as the last page', () => {
    expect([toNextPage(undefined), toNextPage(null), toNextPage(''), toNextPage('abc')]).toEqual([undefined, undefined, undefined, 'abc']);
  });
});

describe('toSessionTokenDetails', () => {
  const expiresAt = new Date(Date.UTC(2025, 5, 1));

  it('sends the expiry and asset ids when assets are given', () => {
    expect(
      toSessionTokenDetails({ distributionChannelId: 'ch', packagingConfigId: 'p', mediaAssetIds: ['a', 'b'], scopes: ['PLAYLIST', 'EDGE'] }, expiresAt),
    ).toEqual({ packagingConfigId: 'p', scopes: ['PLAYLIST', 'EDGE'], assetIds: ['a', 'b'], timeExpires: expiresAt });
  });

  it('omits assetIds when the token covers every asset', () => {
    expect(toSessionTokenDetails({ distributionChannelId: 'ch', packagingConfigId: 'p', mediaAssetIds: [], scopes: ['EDGE'] }, expiresAt)).not.toHaveProperty('assetIds');
  });
});

describe('toMediaStreamsEndpoint', () => {
  it('builds an https base URL when given a bare domain name', () => {
    expect(toMediaStreamsEndpoint('abc.dc.mediaservices.us-ashburn-1.oci.oraclecloud.com')).toBe('https://abc.dc.mediaservices.us-ashburn-1.oci.oraclecloud.com');
    expect(toMediaStreamsEndpoint('ABC.example.com:8443')).toBe('https://abc.example.com:8443');
  });

  it('keeps an absolute URL without its trailing slash when the domain already has a scheme', () => {
    expect(toMediaStreamsEndpoint('http://127.0.0.1:4321/dc/x/')).toBe('http://127.0.0.1:4321/dc/x');
  });

  it('throws TypeError when the domain name carries a path or credentials', () => {
    expect(() => toMediaStreamsEndpoint('abc.example.com/evil')).toThrow(TypeError);
    expect(() => toMediaStreamsEndpoint('user@abc.example.com')).toThrow(TypeError);
    expect(() => toMediaStreamsEndpoint('')).toThrow(TypeError);
  });
});
