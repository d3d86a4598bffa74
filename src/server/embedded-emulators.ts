import type { Config } from '../config.js';
import { MediaStoreEmulator } from '../emulators/mediastore/mediastore.emulator.js';
import { seedMediaStoreDemo } from '../emulators/mediastore/mediastore.seed.js';
import { KinesisVideoEmulator } from '../emulators/kinesis/kinesis.emulator.js';
import { seedKinesisDemo } from '../emulators/kinesis/kinesis.seed.js';
import { LiveStreamEmulator } from '../emulators/livestream/livestream.emulator.js';
import { seedLiveStreamDemo } from '../emulators/livestream/livestream.seed.js';
import { generateOciApiKey } from '../emulators/oci/oci.api-keys.js';
import { OciMediaEmulator } from '../emulators/oci/oci.emulator.js';
import { seedOciDemo } from '../emulators/oci/oci.seed.js';
import type { Logger } from '../core/logger.js';

/** Static credentials the SDK clients use against embedded emulators (never real credentials). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' } as const;

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

/** Emulators started in-process for providers without a configured endpoint. */
export interface EmbeddedEmulators {
  readonly mediastore: MediaStoreEmulator | undefined;
  readonly kinesis: KinesisVideoEmulator | undefined;
  readonly livestream: LiveStreamEmulator | undefined;
  /** The OCI emulator and the API key registered with it (generated at startup, held only in memory). */
  readonly oci: EmbeddedOci | undefined;
  /** Stops every started emulator; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an emulator for each provider whose endpoint is not configured, when `EMULATORS=auto`.
 * `seedDemo` fills them with the demo data `npm start` shows. Emulators listen on ephemeral loopback ports.
 */
export async function startEmbeddedEmulators(config: Config, options: { readonly seedDemo: boolean; readonly logger: Logger }): Promise<EmbeddedEmulators> {
  let mediastore: MediaStoreEmulator | undefined;
  if (config.mediastore.endpoint === undefined && config.emulators === 'auto') {
    mediastore = await MediaStoreEmulator.start({ host: '127.0.0.1', port: 0 });
    if (options.seedDemo) seedMediaStoreDemo(mediastore);
    options.logger.info({ provider: 'mediastore', endpoint: mediastore.endpoint }, 'embedded emulator started');
  }
  let kinesis: KinesisVideoEmulator | undefined;
  if (config.kinesis.endpoint === undefined && config.emulators === 'auto') {
    kinesis = await KinesisVideoEmulator.start({ host: '127.0.0.1', port: 0 });
    if (options.seedDemo) seedKinesisDemo(kinesis);
    options.logger.info({ provider: 'kinesis', endpoint: kinesis.endpoint }, 'embedded emulator started');
  }
  let livestream: LiveStreamEmulator | undefined;
  if (config.livestream.project === undefined && config.emulators === 'auto') {
    livestream = await LiveStreamEmulator.start({ host: '127.0.0.1' });
    if (options.seedDemo) seedLiveStreamDemo(livestream);
    options.logger.info({ provider: 'livestream', grpcPort: livestream.grpcPort, rest: livestream.restEndpoint }, 'embedded emulator started');
  }
  let oci: EmbeddedOci | undefined;
  if (config.oci.credentials === undefined && config.oci.endpoint === undefined && config.emulators === 'auto') {
    const emulator = await OciMediaEmulator.start({ host: '127.0.0.1', port: 0 });
    if (options.seedDemo) {
      const demo = seedOciDemo(emulator);
      oci = { emulator, tenancyId: demo.tenancyId, userId: demo.userId, ...demo.apiKey, compartmentId: demo.compartmentId };
    } else {
      const key = generateOciApiKey();
      emulator.registerApiKey({ tenancyId: EMBEDDED_OCI_TENANCY, userId: EMBEDDED_OCI_USER, publicKeyPem: key.publicKeyPem });
      oci = {
        emulator,
        tenancyId: EMBEDDED_OCI_TENANCY,
        userId: EMBEDDED_OCI_USER,
        fingerprint: key.fingerprint,
        privateKeyPem: key.privateKeyPem,
        compartmentId: undefined,
      };
    }
    options.logger.info({ provider: 'oci', endpoint: emulator.endpoint }, 'embedded emulator started');
  }
  let closed: Promise<void> | undefined;
  return {
    mediastore,
    kinesis,
    livestream,
    oci,
    close: () => {
      closed ??= Promise.all([mediastore?.close(), kinesis?.close(), livestream?.close(), oci?.emulator.close()]).then(() => undefined);
      return closed;
    },
  };
}

