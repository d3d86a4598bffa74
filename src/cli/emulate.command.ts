import { ConfigError, loadConfig } from '../config.js';
import type { CliIo } from './cli-io.js';
import { startEmbeddedEmulators } from '../server/providers/registry.js';
import { createLogger } from '../core/logger.js';

/**
 * `media-graph emulate`: starts only the embedded emulators (seeded with demo data), prints their endpoints as
 * JSON, and stops them on SIGTERM/SIGINT. Useful for pointing other tools or the AWS CLI at them.
 */
export async function runEmulate(_args: readonly string[], io: CliIo): Promise<number> {
  let config;
  try {
    config = loadConfig({ ...process.env, MEDIASTORE_ENDPOINT: undefined, KINESIS_ENDPOINT: undefined, OCI_ENDPOINT: undefined, OCI_TENANCY_ID: undefined, LIVESTREAM_PROJECT: undefined, EMULATORS: 'auto' });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`media-graph: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const emulators = await startEmbeddedEmulators({ config, logger }, { seedDemo: true });
  io.stdout.write(`${JSON.stringify(emulators.endpoints)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await emulators.close();
  return 0;
}
