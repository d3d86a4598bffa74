/**
 * Entry point of the security benchmark's gateway processes (started by `bench/security.bench.ts` with
 * `node --import tsx`). Like `gateway.child.ts`, configured only through its environment, except that
 * {@link CONFIG_NODE_ENV_VARIABLE} may give the configuration another `NODE_ENV` than the process has: both
 * servers run with `NODE_ENV=production`, as a deployment does (graphql-js, for one, adds checks to every type
 * test outside production), while the open server's configuration says development, without which the gateway
 * refuses to run unauthenticated, and {@link OPERATION_GUARD_VARIABLE} may turn the operation guard off. The benchmark reads this process's CPU from `/proc`, so it serves nothing
 * else: no RSS sampler thread, nothing that could run during a window besides the gateway.
 */
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/core/logger.js';
import { describeError, sampleUsage, serveCommands } from './ipc.js';
import { CONFIG_NODE_ENV_VARIABLE, OPERATION_GUARD_VARIABLE, type SecurityGatewayCommands, type SecurityGatewayReady } from './security-commands.js';

const configEnv = process.env[CONFIG_NODE_ENV_VARIABLE];
const config = loadConfig(configEnv === undefined ? process.env : { ...process.env, NODE_ENV: configEnv });
// Logs go to stderr: the benchmark routes this process's output there and keeps its own stdout for the report.
const operationGuard = process.env[OPERATION_GUARD_VARIABLE] !== 'off';
const gateway = await startGateway(config, { logger: createLogger(config.logLevel, process.stderr), withoutHttpOperationGuard: !operationGuard });

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), Math.max(config.shutdownGraceMs, 0) + 3_000).unref();
  gateway.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`gateway close failed: ${describeError(error)}`);
      process.exit(1);
    },
  );
}

serveCommands<SecurityGatewayCommands>(
  { url: gateway.url, configEnv: config.env, operationGuard } satisfies SecurityGatewayReady,
  { usage: async () => sampleUsage() },
  shutdown,
);
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
