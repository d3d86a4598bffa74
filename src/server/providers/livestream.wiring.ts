import { DvrSessionsDataSource } from '../../datasources/livestream/dvr-sessions.datasource.js';
import { createLiveStreamClients, liveStreamRestOperation, type AuthorizedRequester, type LiveStreamClients } from '../../datasources/livestream/livestream.clients.js';
import { LiveStreamDataSource } from '../../datasources/livestream/livestream.datasource.js';
import { LiveStreamEmulator } from '../../emulators/livestream/livestream.emulator.js';
import { DEMO_PARENT, seedLiveStreamDemo } from '../../emulators/livestream/livestream.seed.js';
import { UpstreamEndpoints, observeClientMethods } from '../../datasources/upstream-calls.js';
import type { ProviderWiring } from './provider.js';

/** The gRPC methods the Live Stream datasource calls: each one is an upstream call with its own metrics label. */
const LIVESTREAM_OPERATIONS: ReadonlySet<string> = new Set(['listAssets', 'getAsset', 'createAsset', 'deleteAsset', 'listChannels', 'getChannel', 'getOperation', 'listOperations']);

/** Google Cloud Live Stream: gRPC for assets, channels and operations; REST for DVR sessions. */
export const liveStreamWiring: ProviderWiring<'livestream', LiveStreamEmulator> = {
  name: 'livestream',
  emulated: (config) => config.livestream.project === undefined && config.emulators === 'auto',
  async startEmulator({ logger }, { seedDemo, ports }) {
    const emulator = await LiveStreamEmulator.start({ host: '127.0.0.1', grpcPort: ports?.['livestreamGrpc'] ?? 0, restPort: ports?.['livestreamRest'] ?? 0 });
    if (seedDemo) seedLiveStreamDemo(emulator);
    logger.info({ provider: 'livestream', grpcPort: emulator.grpcPort, rest: emulator.restEndpoint }, 'embedded emulator started');
    return {
      emulator,
      endpoints: { livestreamGrpc: `${emulator.host}:${emulator.grpcPort}`, livestreamRest: emulator.restEndpoint },
      close: () => emulator.close(),
    };
  },
  async wire({ config, logger, upstream = new UpstreamEndpoints(config.upstream.breaker, logger) }, emulator) {
    let clients: LiveStreamClients;
    let parent: string;
    if (emulator !== undefined) {
      clients = createLiveStreamClients({ mode: 'emulator', host: emulator.host, grpcPort: emulator.grpcPort, restEndpoint: emulator.restEndpoint });
      parent = DEMO_PARENT;
    } else if (config.livestream.project !== undefined) {
      clients = createLiveStreamClients({
        mode: 'google',
        apiEndpoint: config.livestream.apiEndpoint,
        restEndpoint: config.livestream.restEndpoint,
        keyFilename: config.livestream.keyFile,
        projectId: config.livestream.project,
      });
      parent = `projects/${config.livestream.project}/locations/${config.livestream.location}`;
    } else {
      logger.warn('Live Stream is not configured (LIVESTREAM_PROJECT) and emulators are off: the Live Stream API is unavailable');
      return { services: { livestream: undefined }, readiness: [], close: async () => undefined };
    }
    const api = new LiveStreamDataSource(observeClientMethods(clients.grpc, upstream.endpoint('livestream', 'grpc'), LIVESTREAM_OPERATIONS), { timeoutMs: config.upstream.timeoutMs });
    // DVR sessions come without their channel: the derived retention fields read it through the request's channel
    // loader, so a request reads each channel once and a failed channel read costs only those fields.
    // The REST side (DVR sessions) has no SDK client to proxy: its requests join the same metrics and a breaker of their own.
    const restEndpoint = upstream.endpoint('livestream', 'rest');
    const auth: AuthorizedRequester = {
      request: (options) => restEndpoint.run(liveStreamRestOperation(options.method, String(options.url ?? '')), () => clients.rest.auth.request(options)),
    };
    const rest = { ...clients.rest, auth };
    const dvr = new DvrSessionsDataSource(rest, { timeoutMs: config.upstream.timeoutMs });
    return {
      services: { livestream: { api, dvr, defaultParent: parent } },
      readiness: [{ name: 'livestream', check: async (signal) => void (await api.listChannels(parent, { pageSize: 1 }, { signal })) }],
      close: () => clients.close(),
    };
  },
};
