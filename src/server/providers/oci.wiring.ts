import {
  createOciClients,
  loadOciPrivateKey,
  ociEmulatorClientsOptions,
  type OciClientsOptions,
} from '../../datasources/oci/oci.clients.js';
import { OciMediaServicesDataSource } from '../../datasources/oci/oci-media-services.datasource.js';
import { OciMediaStreamsDataSource } from '../../datasources/oci/oci-media-streams.datasource.js';
import { generateOciApiKey } from '../../emulators/oci/oci.api-keys.js';
import { OciMediaEmulator } from '../../emulators/oci/oci.emulator.js';
import { seedOciDemo } from '../../emulators/oci/oci.seed.js';
import { UpstreamEndpoints, endpointName, observeClientMethods } from '../../datasources/upstream-calls.js';
import type { ProviderWiring } from './provider.js';

/** The OCI SDK methods the datasources call: each one is an upstream call with its own metrics label. */
const OCI_OPERATIONS: ReadonlySet<string> = new Set([
  'listMediaAssets',
  'getMediaAsset',
  'listStreamPackagingConfigs',
  'getStreamPackagingConfig',
  'listStreamDistributionChannels',
  'getStreamDistributionChannel',
  'generatePlaylist',
  'generateSessionToken',
]);

/** The embedded OCI emulator plus the identity the gateway signs with. */
export interface EmbeddedOci {
  readonly emulator: OciMediaEmulator;
  readonly tenancyId: string;
  readonly userId: string;
  readonly fingerprint: string;
  /** A secret for this process only: never logged, never written anywhere. */
  readonly privateKeyPem: string;
  /** The demo compartment when seeded. */
  readonly compartmentId: string | undefined;
}

const EMBEDDED_OCI_TENANCY = 'ocid1.tenancy.oc1..embeddedgateway';
const EMBEDDED_OCI_USER = 'ocid1.user.oc1..embeddedgateway';

/** OCI Media Services (control plane) and Media Streams (playlists, session tokens), signed with an API key. */
export const ociWiring: ProviderWiring<'oci', EmbeddedOci> = {
  name: 'oci',
  emulated: (config) => config.oci.credentials === undefined && config.oci.endpoint === undefined && config.emulators === 'auto',
  async startEmulator({ logger }, { seedDemo, ports }) {
    const emulator = await OciMediaEmulator.start({ host: '127.0.0.1', port: ports?.['oci'] ?? 0 });
    let embedded: EmbeddedOci;
    if (seedDemo) {
      const demo = seedOciDemo(emulator);
      embedded = { emulator, tenancyId: demo.tenancyId, userId: demo.userId, ...demo.apiKey, compartmentId: demo.compartmentId };
    } else {
      // The key is generated per process and registered with the emulator only: it never leaves memory.
      const key = generateOciApiKey();
      emulator.registerApiKey({ tenancyId: EMBEDDED_OCI_TENANCY, userId: EMBEDDED_OCI_USER, publicKeyPem: key.publicKeyPem });
      embedded = { emulator, tenancyId: EMBEDDED_OCI_TENANCY, userId: EMBEDDED_OCI_USER, fingerprint: key.fingerprint, privateKeyPem: key.privateKeyPem, compartmentId: undefined };
    }
    logger.info({ provider: 'oci', endpoint: emulator.endpoint }, 'embedded emulator started');
    return { emulator: embedded, endpoints: { oci: emulator.endpoint }, close: () => emulator.close() };
  },
  async wire({ config, logger, upstream = new UpstreamEndpoints(config.upstream.breaker, logger) }, embedded) {
    let options: OciClientsOptions;
    let compartmentId = config.oci.compartmentId;
    let tenancyId: string;
    if (embedded !== undefined) {
      options = ociEmulatorClientsOptions(
        embedded.emulator,
        { tenancyId: embedded.tenancyId, userId: embedded.userId, fingerprint: embedded.fingerprint, privateKeyPem: embedded.privateKeyPem },
        config.upstream.maxAttempts,
      );
      compartmentId ??= embedded.compartmentId;
      tenancyId = embedded.tenancyId;
    } else if (config.oci.credentials !== undefined) {
      const credentials = config.oci.credentials;
      options = {
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
      };
      tenancyId = credentials.tenancyId;
    } else {
      logger.warn('OCI is not configured (OCI_TENANCY_ID) and emulators are off: the OCI API is unavailable');
      return { services: { oci: undefined }, readiness: [], close: async () => undefined };
    }
    const clients = createOciClients(options);
    const settings = { timeoutMs: config.upstream.timeoutMs, logger, keyFingerprint: clients.keyFingerprint };
    const mediaServices = new OciMediaServicesDataSource(observeClientMethods(clients.mediaServices, upstream.endpoint('oci', 'mediaservices'), OCI_OPERATIONS), settings);
    const mediaStreams = new OciMediaStreamsDataSource(
      { channels: mediaServices, endpointFor: (domain) => clients.mediaStreamsEndpoint(domain), clientFor: (endpoint) => observeClientMethods(clients.mediaStream(endpoint), upstream.endpoint('oci', `mediastreams ${endpointName(endpoint)}`), OCI_OPERATIONS) },
      settings,
    );
    // The root compartment is the tenancy: listing one asset there proves the key signs and the service answers.
    const probeCompartment = compartmentId ?? tenancyId;
    return {
      services: { oci: { mediaServices, mediaStreams, defaultCompartmentId: compartmentId } },
      readiness: [{ name: 'oci', check: async (signal) => void (await mediaServices.listMediaAssets({ compartmentId: probeCompartment, limit: 1, page: undefined }, { signal })) }],
      close: async () => clients.close(),
    };
  },
};
