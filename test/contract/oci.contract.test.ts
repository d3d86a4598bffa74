import { afterAll, beforeAll, describe } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { OciMediaServicesDataSource } from '../../src/datasources/oci/oci-media-services.datasource.js';
import { createOciClients, loadOciPrivateKey, type OciClients } from '../../src/datasources/oci/oci.clients.js';
import { runContractBodies } from './bodies/contract-body.js';
import { OCI_BODIES, type OciContractTarget } from './bodies/oci.bodies.js';
import { CONTRACT_ALLOW_WRITES, CONTRACT_RUN_ID, CONTRACT_TIMEOUT_MS, env, skipUnless } from './contract-env.js';

/*
 * The OCI contract bodies against a real tenancy: OCI_TENANCY_ID, OCI_USER_ID, OCI_FINGERPRINT,
 * OCI_PRIVATE_KEY_FILE (OCI_PRIVATE_KEY_PASSPHRASE), OCI_REGION and OCI_COMPARTMENT_ID as for the gateway, and
 * CONTRACT_OCI_REGION_KEY (the region key in OCIDs, default `iad`). Read-only: the bodies create nothing.
 */

const skip = skipUnless('oci', ['OCI_TENANCY_ID', 'OCI_COMPARTMENT_ID'], 'an API key of a tenancy with Media Services, and the compartment to read');

describe.skipIf(skip)('OCI Media Services contract (real tenancy)', () => {
  let clients: OciClients | undefined;
  let target: OciContractTarget | undefined;

  beforeAll(async () => {
    const config = loadConfig();
    const credentials = config.oci.credentials;
    if (credentials === undefined) throw new Error('OCI_TENANCY_ID is set but the OCI credentials are incomplete');
    clients = createOciClients({
      credentials: {
        tenancyId: credentials.tenancyId,
        userId: credentials.userId,
        fingerprint: credentials.fingerprint,
        privateKeyPem: await loadOciPrivateKey({ path: credentials.privateKeyFile }, credentials.passphrase),
        passphrase: credentials.passphrase,
      },
      region: config.oci.region,
      endpoint: config.oci.endpoint,
      maxAttempts: config.upstream.maxAttempts,
    });
    const mediaServices = new OciMediaServicesDataSource(clients.mediaServices, {
      timeoutMs: config.upstream.timeoutMs,
      logger: createLogger('warn'),
      keyFingerprint: clients.keyFingerprint,
    });
    target = { mediaServices, compartmentId: config.oci.compartmentId ?? '', runId: CONTRACT_RUN_ID, regionKey: env('CONTRACT_OCI_REGION_KEY') ?? 'iad' };
  });

  afterAll(() => {
    clients?.close();
  });

  runContractBodies(OCI_BODIES, {
    writes: CONTRACT_ALLOW_WRITES,
    timeoutMs: CONTRACT_TIMEOUT_MS,
    target: () => {
      if (target === undefined) throw new Error('no target');
      return target;
    },
  });
});
