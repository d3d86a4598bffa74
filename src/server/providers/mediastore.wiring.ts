import { ConfigError } from '../../config.js';
import { createMediaStoreClient } from '../../datasources/mediastore/mediastore.client.js';
import { MediaStoreDataSource } from '../../datasources/mediastore/mediastore.datasource.js';
import { MediaStoreEmulator } from '../../emulators/mediastore/mediastore.emulator.js';
import { seedMediaStoreDemo } from '../../emulators/mediastore/mediastore.seed.js';
import { UpstreamEndpoints, endpointName } from '../../datasources/upstream-calls.js';
import { EMULATOR_CREDENTIALS } from './emulator-credentials.js';
import type { ProviderWiring } from './provider.js';

/** AWS Elemental MediaStore Data (legacy object store: AWS retired the service on 2025-11-13). */
export const mediaStoreWiring: ProviderWiring<'objectStore', MediaStoreEmulator> = {
  name: 'mediastore',
  enabled: (config) => config.objects.store === 'mediastore',
  emulated: (config) => config.mediastore.endpoint === undefined && config.emulators === 'auto',
  async startEmulator({ logger }, { seedDemo, ports }) {
    const emulator = await MediaStoreEmulator.start({ host: '127.0.0.1', port: ports?.['mediastore'] ?? 0 });
    if (seedDemo) seedMediaStoreDemo(emulator);
    logger.info({ provider: 'mediastore', endpoint: emulator.endpoint }, 'embedded emulator started');
    return { emulator, endpoints: { mediastore: emulator.endpoint }, close: () => emulator.close() };
  },
  async wire({ config, logger, upstream = new UpstreamEndpoints(config.upstream.breaker, logger) }, emulator) {
    const endpoint = config.mediastore.endpoint ?? emulator?.endpoint;
    if (endpoint === undefined) {
      throw new ConfigError('MEDIASTORE_ENDPOINT is not set and EMULATORS=off: the Objects API has no store (set MEDIASTORE_ENDPOINT or EMULATORS=auto).');
    }
    const client = createMediaStoreClient({
      endpoint,
      region: config.mediastore.region,
      maxAttempts: config.upstream.maxAttempts,
      credentials: emulator === undefined ? undefined : EMULATOR_CREDENTIALS,
    });
    upstream.awsClient(client, 'mediastore', endpointName(endpoint));
    const objectStore = new MediaStoreDataSource(client, { timeoutMs: config.upstream.timeoutMs, idleTimeoutMs: config.upstream.idleTimeoutMs });
    return {
      services: { objectStore },
      readiness: [{ name: 'mediastore', check: (signal) => objectStore.checkReachable({ signal }) }],
      close: async () => client.destroy(),
    };
  },
};
