import { TenantConfigError } from '../auth/tenants.js';
import { ConfigError, loadConfig } from '../config.js';
import type { CliIo } from './cli-io.js';
import { startGateway } from '../server/gateway.js';

/**
 * `media-graph serve`: starts the gateway (embedded, demo-seeded emulators for unconfigured providers) and
 * resolves with the exit code after SIGTERM/SIGINT triggered a graceful shutdown. A second signal forces exit.
 */
export async function runServe(_args: readonly string[], io: CliIo): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`media-graph: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  let gateway;
  try {
    gateway = await startGateway(config, { seedDemo: true });
  } catch (error) {
    // Security settings are read at startup: a missing auth setup or a bad tenants/keys file is a usage error.
    if (error instanceof ConfigError || error instanceof TenantConfigError) {
      io.stderr.write(`media-graph: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  io.stdout.write(`media-graph: GraphQL at ${gateway.url}/graphql, IDE at ${gateway.url}/graphiql\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  gateway.services.logger.info({ signal }, 'shutting down');
  const force = (): void => {
    io.stderr.write('media-graph: second signal, exiting now\n');
    process.exit(1);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  await gateway.close();
  return 0;
}
