import { randomBytes } from 'node:crypto';
import type { BenchAuth } from './bench-auth.js';
import { BENCH_AWS_ENV } from './children.js';

/**
 * The environment of a benchmark's gateway child, configured as a deployment is: production mode with the JWT
 * settings of `auth`, 127.0.0.1 on an ephemeral port, `warn` logs (an access-log line per request would be measured
 * too), a fresh `SIGNING_SECRET`, no embedded emulators, a 2 s shutdown grace, and {@link BENCH_AWS_ENV}. The
 * caller adds the providers' endpoints.
 */
export function benchGatewayEnv(auth: BenchAuth): Record<string, string> {
  return {
    NODE_ENV: 'production',
    ...auth.env,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    SIGNING_SECRET: randomBytes(32).toString('hex'),
    EMULATORS: 'off',
    SHUTDOWN_GRACE_MS: '2000',
    ...BENCH_AWS_ENV,
  };
}

/** The Objects API of a live fan-out gateway is not exercised: its endpoint is a port nothing listens on, so no emulator runs in the gateway process. */
const UNUSED_MEDIASTORE_ENDPOINT = 'http://127.0.0.1:9';

/** {@link benchGatewayEnv} for a live fan-out gateway reading Kinesis Video from the emulator at `kinesisEndpoint`. */
export function kinesisGatewayEnv(auth: BenchAuth, kinesisEndpoint: string): Record<string, string> {
  return { ...benchGatewayEnv(auth), KINESIS_ENDPOINT: kinesisEndpoint, KINESIS_REGION: 'us-east-1', MEDIASTORE_ENDPOINT: UNUSED_MEDIASTORE_ENDPOINT };
}
