import { ConfigError } from '../../config.js';
import { createS3Client } from '../../datasources/s3/s3.client.js';
import { S3ObjectStore } from '../../datasources/s3/s3.datasource.js';
import { NoSuchBucketError } from '../../datasources/s3/s3.errors.js';
import { S3DirectTransfers } from '../../datasources/s3/s3.presign.js';
import { S3_EMULATOR_DEFAULT_BUCKET, S3Emulator } from '../../emulators/s3/s3.emulator.js';
import { seedS3Demo } from '../../emulators/s3/s3.seed.js';
import { UpstreamEndpoints, endpointName } from '../../datasources/upstream-calls.js';
import { EMULATOR_CREDENTIALS } from './emulator-credentials.js';
import type { ProviderWiring } from './provider.js';

/** How long startup waits for S3 to say whether the bucket exists before it goes on (readiness keeps checking). */
const STARTUP_BUCKET_CHECK_MS = 3_000;

/**
 * Amazon S3 (or an S3-compatible store at `S3_ENDPOINT`): the default object store. Without `S3_BUCKET` and
 * `S3_ENDPOINT`, and with emulators allowed, the embedded S3 emulator serves the demo objects. Credentials come from
 * the SDK's default provider chain (environment, shared files, container or instance roles).
 */
export const s3Wiring: ProviderWiring<'objectStore', S3Emulator> = {
  name: 's3',
  enabled: (config) => config.objects.store === 's3',
  emulated: (config) => config.s3.endpoint === undefined && config.s3.bucket === undefined && config.emulators === 'auto',
  async startEmulator({ config, logger }, { seedDemo, ports }) {
    const emulator = await S3Emulator.start({ host: '127.0.0.1', port: ports?.['s3'] ?? 0, buckets: [config.s3.bucket ?? S3_EMULATOR_DEFAULT_BUCKET] });
    if (seedDemo) seedS3Demo(emulator, config.s3.prefix);
    logger.info({ provider: 's3', endpoint: emulator.endpoint, bucket: emulator.bucket }, 'embedded emulator started');
    return { emulator, endpoints: { s3: emulator.endpoint }, close: () => emulator.close() };
  },
  async wire({ config, logger, upstream = new UpstreamEndpoints(config.upstream.breaker, logger) }, emulator) {
    const bucket = config.s3.bucket ?? emulator?.bucket;
    if (bucket === undefined) {
      throw new ConfigError('S3_BUCKET is not set and EMULATORS=off: the Objects API has no store (set S3_BUCKET, or EMULATORS=auto for the embedded emulator).');
    }
    if (config.mediastore.endpoint !== undefined) {
      logger.warn('MEDIASTORE_ENDPOINT is set but OBJECT_STORE=s3: MediaStore is not used');
    }
    const client = createS3Client({
      endpoint: config.s3.endpoint ?? emulator?.endpoint,
      region: config.s3.region,
      forcePathStyle: emulator === undefined ? config.s3.forcePathStyle : true,
      maxAttempts: config.upstream.maxAttempts,
      credentials: emulator === undefined ? undefined : EMULATOR_CREDENTIALS,
    });
    upstream.awsClient(client, 's3', endpointName(config.s3.endpoint ?? emulator?.endpoint ?? `https://s3.${config.s3.region}.amazonaws.com`));
    const presigner =
      config.objects.urls === 'direct'
        ? createS3Client({
            endpoint: config.s3.endpoint ?? emulator?.endpoint,
            region: config.s3.region,
            forcePathStyle: emulator === undefined ? config.s3.forcePathStyle : true,
            maxAttempts: 1,
            credentials: emulator === undefined ? undefined : EMULATOR_CREDENTIALS,
            purpose: 'presign',
          })
        : undefined;
    const objectStore = new S3ObjectStore(client, {
      bucket,
      prefix: config.s3.prefix,
      timeoutMs: config.upstream.timeoutMs,
      idleTimeoutMs: config.upstream.idleTimeoutMs,
      logger,
      direct: presigner === undefined ? undefined : new S3DirectTransfers(presigner, { bucket, prefix: config.s3.prefix }),
    });
    if (emulator === undefined) {
      try {
        await objectStore.checkReachable({ signal: AbortSignal.timeout(STARTUP_BUCKET_CHECK_MS) });
      } catch (error) {
        if (error instanceof NoSuchBucketError) {
          client.destroy();
          presigner?.destroy();
          throw new ConfigError(`S3_BUCKET: the bucket "${bucket}" does not exist (S3 answered NoSuchBucket).`);
        }
        // Unreachable or refused for now: readiness reports it until S3 answers.
        logger.warn({ err: error, bucket }, 'S3 bucket not reachable at startup; /readyz reports it until it is');
      }
    }
    return {
      services: { objectStore },
      readiness: [{ name: 's3', check: (signal) => objectStore.checkReachable({ signal }) }],
      close: async () => {
        client.destroy();
        presigner?.destroy();
      },
    };
  },
};
