import { createKinesisClients } from '../../datasources/kinesis/kinesis.clients.js';
import { KinesisArchivedMediaDataSource } from '../../datasources/kinesis/kinesis-archived-media.datasource.js';
import { KinesisMediaDataSource } from '../../datasources/kinesis/kinesis-media.datasource.js';
import { KinesisVideoDataSource } from '../../datasources/kinesis/kinesis-video.datasource.js';
import { UpstreamEndpoints, endpointName } from '../../datasources/upstream-calls.js';
import { KinesisVideoEmulator } from '../../emulators/kinesis/kinesis.emulator.js';
import { seedKinesisDemo } from '../../emulators/kinesis/kinesis.seed.js';
import { ConfigError, type Config } from '../../config.js';
import type { Logger } from '../../core/logger.js';
import { redisConnector } from '../../live/fleet/redis-connection.js';
import { RedisFragmentHub } from '../../live/fleet/redis-fragment-hub.js';
import { DEFAULT_HUB_OPTIONS, LocalFragmentHub, type LocalHubOptions } from '../../live/local-fragment-hub.js';
import type { MediaOpener } from '../../live/media-reader.js';
import { kinesisMediaOpener } from '../../live/media-opener.js';
import { streamRef } from '../../resolvers/streams/streams.resolver.js';
import { EMULATOR_CREDENTIALS } from './emulator-credentials.js';
import type { ProviderWiring } from './provider.js';

/** How long a stream's GetMedia data endpoint (GetDataEndpoint) is reused before it is asked again. */
const DATA_ENDPOINT_TTL_MS = 10 * 60 * 1000;

/**
 * AWS Kinesis Video Streams: control plane, archived media, and the live fragment hub over GetMedia. Without
 * `KINESIS_ENDPOINT` and with emulators off, the SDK's regional endpoint is used (the normal case in AWS).
 */
export const kinesisWiring: ProviderWiring<'kinesis' | 'hub', KinesisVideoEmulator> = {
  name: 'kinesis',
  emulated: (config) => config.kinesis.endpoint === undefined && config.emulators === 'auto',
  async startEmulator({ config, logger }, { seedDemo, ports }) {
    const emulator = await KinesisVideoEmulator.start({ host: '127.0.0.1', port: ports?.['kinesis'] ?? 0 });
    if (seedDemo) seedKinesisDemo(emulator, { fragmentIntervalMs: config.emulator.demoFragmentMs });
    logger.info({ provider: 'kinesis', endpoint: emulator.endpoint }, 'embedded emulator started');
    return { emulator, endpoints: { kinesis: emulator.endpoint }, close: () => emulator.close() };
  },
  async wire({ config, logger, upstream = new UpstreamEndpoints(config.upstream.breaker, logger) }, emulator) {
    const clients = createKinesisClients({
      endpoint: config.kinesis.endpoint ?? emulator?.endpoint,
      region: config.kinesis.region,
      maxAttempts: config.upstream.maxAttempts,
      credentials: emulator === undefined ? undefined : EMULATOR_CREDENTIALS,
    });
    // Every client runs through its endpoint's metrics and breaker; data endpoints are per region, so few.
    upstream.awsClient(clients.control, 'kinesis', 'control');
    const control = new KinesisVideoDataSource(clients.control, { timeoutMs: config.upstream.timeoutMs, endpointTtlMs: DATA_ENDPOINT_TTL_MS });
    const media = new KinesisMediaDataSource(control, (endpoint) => upstream.awsClient(clients.media(endpoint), 'kinesis', `media ${endpointName(endpoint)}`), { timeoutMs: config.upstream.timeoutMs });
    const archived = new KinesisArchivedMediaDataSource(control, (endpoint) => upstream.awsClient(clients.archived(endpoint), 'kinesis', `archived ${endpointName(endpoint)}`), { timeoutMs: config.upstream.timeoutMs });
    const open = kinesisMediaOpener({
      getMedia: async (stream, start, signal) => (await media.getMedia(streamRef(stream), start, signal)).payload,
      invalidateEndpoint: (stream) => control.invalidateEndpoint(streamRef(stream), 'GET_MEDIA'),
      refreshCredentials: () => clients.refreshCredentials(),
    });
    const hubOptions: LocalHubOptions = {
      ...DEFAULT_HUB_OPTIONS,
      reader: { ...DEFAULT_HUB_OPTIONS.reader, idleTimeoutMs: config.live.idleTimeoutMs },
      windowSize: config.live.windowFragments,
      lingerMs: config.live.lingerMs,
      subscriberBuffer: config.live.subscriberBuffer,
      overflow: config.live.overflow,
      logger,
    };
    const hub = config.live.hub === 'redis' ? fleetHub(config, open, hubOptions, logger) : new LocalFragmentHub(open, hubOptions);
    return {
      services: { kinesis: { control, archived }, hub },
      readiness: [{ name: 'kinesis', check: async (signal) => void (await control.listStreams({ pageSize: 1, token: undefined }, { signal })) }],
      close: async () => {
        await hub.close();
        clients.destroy();
      },
    };
  },
};

/**
 * The fleet hub (`LIVE_HUB=redis`) over `REDIS_URL`. Commands time out after half a lease, so a dead connection is
 * replaced while the holder's lease is still confirmed (the lease's own deadline, not this timeout, stops its reader).
 * @throws ConfigError when `REDIS_URL` is missing (loadConfig already refuses that).
 */
function fleetHub(config: Config, open: MediaOpener, options: LocalHubOptions, logger: Logger): RedisFragmentHub {
  const redis = config.redis;
  if (redis === undefined) throw new ConfigError('invalid configuration: REDIS_URL: required when LIVE_HUB=redis');
  const ttl = config.live.leaseTtlMs;
  const connect = redisConnector(redis.target, { commandTimeoutMs: Math.max(250, Math.floor(ttl / 2)), blockMs: 2_000 });
  return new RedisFragmentHub(connect, open, { ...options, leaseTtlMs: ttl, keyPrefix: redis.keyPrefix, tailBlockMs: 2_000, replyTimeoutMs: Math.max(250, Math.floor(ttl / 2)) }, logger);
}
