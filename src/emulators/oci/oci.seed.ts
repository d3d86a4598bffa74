import { generateOciApiKey } from './oci.api-keys.js';
import type { OciMediaEmulator } from './oci.emulator.js';

/**
 * Demo content for `npm start`: one compartment with a distribution channel, an HLS and a DASH packaging
 * configuration, and five media assets (four ACTIVE, one still CREATING). Resource ids and timestamps are
 * fixed so demos and snapshots stay stable; the API key is generated per run and kept in memory only.
 */

/** The demo resources and the credentials that can call them. */
export interface OciDemoSeed {
  readonly tenancyId: string;
  readonly userId: string;
  readonly compartmentId: string;
  readonly distributionChannelId: string;
  /** The channel's Media Streams domain (map it with `emulator.mediaStreamsEndpoint`). */
  readonly domainName: string;
  readonly hlsPackagingConfigId: string;
  readonly dashPackagingConfigId: string;
  /** The five assets, newest first (the default ListMediaAssets order). */
  readonly mediaAssetIds: readonly string[];
  /** A freshly generated, registered API key; the private key is for the embedded gateway only. */
  readonly apiKey: { readonly fingerprint: string; readonly privateKeyPem: string };
}

const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaamediagraphdemotenancy';
const USER = 'ocid1.user.oc1..aaaaaaaamediagraphdemouser';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaaaaaamediagraphdemo';
const CHANNEL = 'ocid1.streamdistributionchannel.oc1.iad.amaaaaaamediagraphdemochannel';
const HLS_CONFIG = 'ocid1.streampackagingconfig.oc1.iad.amaaaaaamediagraphdemohls';
const DASH_CONFIG = 'ocid1.streampackagingconfig.oc1.iad.amaaaaaamediagraphdemodash';
const DOMAIN = 'demo.dc.mediaservices.us-ashburn-1.oci.emulator.invalid';

/** Demo titles, oldest first: [id suffix, display name, duration in s, lifecycle state]. */
const TITLES: readonly (readonly [string, string, number, 'ACTIVE' | 'CREATING'])[] = [
  ['0001', 'Big Buck Bunny', 596, 'ACTIVE'],
  ['0002', 'Sintel', 888, 'ACTIVE'],
  ['0003', 'Tears of Steel', 734, 'ACTIVE'],
  ['0004', 'Elephants Dream', 653, 'ACTIVE'],
  ['0005', 'Cosmos Laundromat', 729, 'CREATING'],
];

/**
 * Stores the demo resources in `emulator` and registers a new API key for the demo user.
 *
 * @returns the ids and the credentials; the caller hands `apiKey.privateKeyPem` to the SDK clients and
 *   must never log or persist it.
 * @throws TypeError when the demo ids are already present (seeding twice).
 */
export function seedOciDemo(emulator: OciMediaEmulator): OciDemoSeed {
  const key = generateOciApiKey();
  emulator.registerApiKey({ tenancyId: TENANCY, userId: USER, publicKeyPem: key.publicKeyPem });
  const base = Date.UTC(2025, 0, 10, 9, 0, 0);
  emulator.addDistributionChannel({ id: CHANNEL, compartmentId: COMPARTMENT, displayName: 'media-graph demo channel', domainName: DOMAIN, timeCreated: new Date(base) });
  emulator.addPackagingConfig({
    id: HLS_CONFIG,
    distributionChannelId: CHANNEL,
    displayName: 'HLS 6s',
    streamPackagingFormat: 'HLS',
    segmentTimeInSeconds: 6,
    timeCreated: new Date(base + 60_000),
  });
  emulator.addPackagingConfig({
    id: DASH_CONFIG,
    distributionChannelId: CHANNEL,
    displayName: 'DASH 4s',
    streamPackagingFormat: 'DASH',
    segmentTimeInSeconds: 4,
    timeCreated: new Date(base + 120_000),
  });
  const ids: string[] = [];
  TITLES.forEach(([suffix, name, duration, state], index) => {
    const asset = emulator.addMediaAsset({
      id: `ocid1.mediaasset.oc1.iad.amaaaaaamediagraphdemo${suffix}`,
      compartmentId: COMPARTMENT,
      displayName: name,
      type: 'VIDEO',
      lifecycleState: state,
      durationSeconds: duration,
      bucketName: 'media-graph-demo',
      namespaceName: 'mediagraph',
      objectName: `titles/${name.toLowerCase().replaceAll(' ', '-')}.mp4`,
      timeCreated: new Date(base + (index + 1) * 3_600_000),
      freeformTags: { source: 'demo' },
    });
    ids.unshift(asset.id);
  });
  return {
    tenancyId: TENANCY,
    userId: USER,
    compartmentId: COMPARTMENT,
    distributionChannelId: CHANNEL,
    domainName: DOMAIN,
    hlsPackagingConfigId: HLS_CONFIG,
    dashPackagingConfigId: DASH_CONFIG,
    mediaAssetIds: ids,
    apiKey: { fingerprint: key.fingerprint, privateKeyPem: key.privateKeyPem },
  };
}
