import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { OciMediaServicesDataSource } from '../../src/datasources/oci/oci-media-services.datasource.js';
import { createOciClients, ociEmulatorClientsOptions, type OciClients } from '../../src/datasources/oci/oci.clients.js';
import { OciMediaEmulator, type OciPageSizePolicy } from '../../src/emulators/oci/oci.emulator.js';
import { seedOciDemo } from '../../src/emulators/oci/oci.seed.js';
import { runContractBodies } from '../contract/bodies/contract-body.js';
import { OCI_BODIES, type OciContractTarget } from '../contract/bodies/oci.bodies.js';

/*
 * The OCI contract bodies (test/contract/bodies) against the emulator, as `npm run test:contract` runs them against
 * a real tenancy. The reference calls `limit` only "The maximum number of items to return", so they run three
 * times: pages as asked, pages of one item, and pages longer than asked (a client must page on opc-next-page alone).
 */

const PAGE_SIZES: readonly (readonly [string, OciPageSizePolicy | undefined])[] = [
  ['as asked', undefined],
  ['of one item whatever is asked', () => 1],
  ['longer than asked', (requested) => (requested ?? 100) * 2 + 1],
];

describe.each(PAGE_SIZES)('OCI contract bodies against the emulator answering pages %s', (_label, pageSizes) => {
  let emulator: OciMediaEmulator | undefined;
  let clients: OciClients | undefined;
  let target: OciContractTarget | undefined;

  beforeAll(async () => {
    emulator = await OciMediaEmulator.start(pageSizes === undefined ? {} : { pageSizes });
    const seed = seedOciDemo(emulator);
    for (let i = 0; i < 6; i += 1) {
      emulator.addMediaAsset({ compartmentId: seed.compartmentId, displayName: `clip ${i}`, timeCreated: new Date(Date.UTC(2025, 2, 1, i)) });
    }
    for (let i = 0; i < 3; i += 1) {
      emulator.addPackagingConfig({ distributionChannelId: seed.distributionChannelId, displayName: `HLS ${i}`, streamPackagingFormat: 'HLS', segmentTimeInSeconds: 4 });
    }
    clients = createOciClients(
      ociEmulatorClientsOptions(emulator, { tenancyId: seed.tenancyId, userId: seed.userId, fingerprint: seed.apiKey.fingerprint, privateKeyPem: seed.apiKey.privateKeyPem }),
    );
    const logger = createLogger('silent', new Writable({ write: (_chunk: Buffer, _encoding, callback) => callback() }));
    const mediaServices = new OciMediaServicesDataSource(clients.mediaServices, { timeoutMs: 10_000, logger, keyFingerprint: clients.keyFingerprint });
    target = { mediaServices, compartmentId: seed.compartmentId, runId: 'mgc-emulator', regionKey: 'iad' };
  });

  afterAll(async () => {
    clients?.close();
    await emulator?.close();
  });

  runContractBodies(OCI_BODIES, {
    writes: true,
    target: () => {
      if (target === undefined) throw new Error('no target');
      return target;
    },
  });
});
