import type { Config } from '../config.js';
import { MediaStoreEmulator } from '../emulators/mediastore/mediastore.emulator.js';
import { seedMediaStoreDemo } from '../emulators/mediastore/mediastore.seed.js';
import { KinesisVideoEmulator } from '../emulators/kinesis/kinesis.emulator.js';
import { seedKinesisDemo } from '../emulators/kinesis/kinesis.seed.js';
import type { Logger } from './logger.js';

/** Static credentials the SDK clients use against embedded emulators (never real credentials). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' } as const;

/** Emulators started in-process for providers without a configured endpoint. */
export interface EmbeddedEmulators {
  readonly mediastore: MediaStoreEmulator | undefined;
  readonly kinesis: KinesisVideoEmulator | undefined;
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
  let closed: Promise<void> | undefined;
  return {
    mediastore,
    kinesis,
    close: () => {
      closed ??= Promise.all([mediastore?.close(), kinesis?.close()]).then(() => undefined);
      return closed;
    },
  };
}

