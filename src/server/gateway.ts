import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { WebSocketServer, type VerifyClientCallbackAsync } from 'ws';
import type { Config } from '../config.js';
import { createMediaStoreClient } from '../datasources/mediastore/mediastore.client.js';
import { MediaStoreDataSource } from '../datasources/mediastore/mediastore.datasource.js';
import { OwnershipMemo } from '../auth/ownership-memo.js';
import { principalKey } from '../auth/principal.js';
import { Security } from '../auth/security.js';
import { deriveSigningKeys } from '../auth/signing-keys.js';
import { createKinesisClients } from '../datasources/kinesis/kinesis.clients.js';
import { KinesisArchivedMediaDataSource } from '../datasources/kinesis/kinesis-archived-media.datasource.js';
import { KinesisMediaDataSource } from '../datasources/kinesis/kinesis-media.datasource.js';
import { KinesisVideoDataSource } from '../datasources/kinesis/kinesis-video.datasource.js';
import {
  createOciClients,
  loadOciPrivateKey,
  ociEmulatorClientsOptions,
  type OciClients,
  type OciClientsOptions,
} from '../datasources/oci/oci.clients.js';
import { OciMediaServicesDataSource } from '../datasources/oci/oci-media-services.datasource.js';
import { DvrSessionsDataSource } from '../datasources/livestream/dvr-sessions.datasource.js';
import { createLiveStreamClients, type LiveStreamClients } from '../datasources/livestream/livestream.clients.js';
import { LiveStreamDataSource } from '../datasources/livestream/livestream.datasource.js';
import { DEMO_PARENT } from '../emulators/livestream/livestream.seed.js';
import { OciMediaStreamsDataSource } from '../datasources/oci/oci-media-streams.datasource.js';
import { DEFAULT_HUB_OPTIONS, LocalFragmentHub } from '../live/local-fragment-hub.js';
import { kinesisMediaOpener } from '../live/media-opener.js';
import { streamRef } from '../resolvers/streams/streams.resolver.js';
import { CursorCodec } from '../pagination/cursor-codec.js';
import { buildFederatedSchema } from '../schema/build-schema.js';
import { createRequestContext, type RequestContext, type Services } from '../auth/request-context.js';
import { startEmbeddedEmulators, EMULATOR_CREDENTIALS, type EmbeddedEmulators } from './embedded-emulators.js';
import { formatError, formatResult } from './format-error.js';
import { attachGraphqlWs } from './graphql-ws.js';
import { createSseRouter } from './graphql-sse.js';
import { createHealthRouter } from './health.js';
import { accessOf, authenticateRequests, guardOperations, persistedQueryGuard } from './http-security.js';
import { OperationGuard } from './operation-guard.js';
import { loadPersistedOperations } from './persisted-operations.js';
import { createIdeRouter } from './ide.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createObjectsRouter } from './objects-endpoint.js';
import { RelayGcPacer } from './relay-gc.js';
import { SharedSubscriptions } from './shared-subscriptions.js';
import { UrlSigner } from '../auth/signed-url.js';

/** GraphQL endpoint path (HTTP and graphql-ws). */
export const GRAPHQL_PATH = '/graphql';
/** Server-Sent Events endpoint path (graphql-sse). */
export const SSE_PATH = '/graphql/stream';

/** What the IDE opens with: a query a newcomer can run at once against the demo data. */
const IDE_DEFAULT_QUERY = `# media-graph: run this, then explore the schema in the docs panel.
query Demo {
  objects(path: "/", first: 10) {
    edges { node { __typename name path type } }
    pageInfo { hasNextPage endCursor }
  }
  streams(first: 5) { edges { node { name status retentionHours } } }
}
`;

/** A running gateway. */
export interface Gateway {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly services: Services;
  readonly emulators: EmbeddedEmulators;
  readonly schema: GraphQLSchema;
  /**
   * Graceful shutdown: readiness turns off, the listener closes, WebSockets close with 1001, in-flight HTTP
   * requests drain for up to `SHUTDOWN_GRACE_MS`, then clients and emulators close. Idempotent.
   */
  close(): Promise<void>;
}

/** Options for {@link startGateway}. */
export interface StartGatewayOptions {
  /** Seed embedded emulators with demo data (what `npm start` does). */
  readonly seedDemo?: boolean;
  /** Logger to use; defaults to JSON lines on stdout at `LOG_LEVEL`. */
  readonly logger?: Logger;
  /**
   * Leaves the operation guard (limits, safelist, router secret, scope pre-check) off the HTTP GraphQL endpoint.
   * Only for measuring what the guard costs (`npm run bench:security`'s open baseline); no configuration variable
   * sets it, and a deployment must never.
   */
  readonly withoutHttpOperationGuard?: boolean;
}

/**
 * Builds every dependency from `config`, starts embedded emulators where no cloud endpoint is configured, and
 * listens on `HOST:PORT`. Lifetime: until `close()`.
 * @throws when the schema cannot be built or the port cannot be bound.
 */
export async function startGateway(config: Config, options: StartGatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // Before anything starts: a server that may not run without authentication must not bind a port or emulators.
  const security = await Security.create(config, logger);
  const emulators = await startEmbeddedEmulators(config, { seedDemo: options.seedDemo ?? false, logger });
  const mediastoreEndpoint = config.mediastore.endpoint ?? emulators.mediastore?.endpoint;
  if (mediastoreEndpoint === undefined) {
    await emulators.close();
    throw new Error('MEDIASTORE_ENDPOINT is not set and EMULATORS=off: the Objects API has no store.');
  }
  const mediastoreClient = createMediaStoreClient({
    endpoint: mediastoreEndpoint,
    region: config.mediastore.region,
    maxAttempts: config.upstream.maxAttempts,
    credentials: emulators.mediastore === undefined ? undefined : EMULATOR_CREDENTIALS,
  });
  const kinesisEndpoint = config.kinesis.endpoint ?? emulators.kinesis?.endpoint;
  if (kinesisEndpoint === undefined && config.emulators === 'auto') {
    await emulators.close();
    throw new Error('Kinesis Video has no endpoint.');
  }
  const kinesisClients = createKinesisClients({
    endpoint: kinesisEndpoint,
    region: config.kinesis.region,
    maxAttempts: config.upstream.maxAttempts,
    credentials: emulators.kinesis === undefined ? undefined : EMULATOR_CREDENTIALS,
  });
  const kinesisControl = new KinesisVideoDataSource(kinesisClients.control, {
    timeoutMs: config.upstream.timeoutMs,
    endpointTtlMs: 10 * 60 * 1000,
  });
  const kinesisMedia = new KinesisMediaDataSource(kinesisControl, (endpoint) => kinesisClients.media(endpoint), {
    timeoutMs: config.upstream.timeoutMs,
  });
  const hub = new LocalFragmentHub(
    kinesisMediaOpener({
      getMedia: async (stream, start, signal) => (await kinesisMedia.getMedia(streamRef(stream), start, signal)).payload,
      invalidateEndpoint: (stream) => kinesisControl.invalidateEndpoint(streamRef(stream), 'GET_MEDIA'),
      refreshCredentials: () => kinesisClients.refreshCredentials(),
    }),
    {
      ...DEFAULT_HUB_OPTIONS,
      reader: { ...DEFAULT_HUB_OPTIONS.reader, idleTimeoutMs: config.live.idleTimeoutMs },
      windowSize: config.live.windowFragments,
      lingerMs: config.live.lingerMs,
      subscriberBuffer: config.live.subscriberBuffer,
      overflow: config.live.overflow,
    },
  );
  const oci = await createOciServices(config, emulators, logger);
  const livestream = createLiveStreamServices(config, emulators, logger);
  const keys = deriveSigningKeys(config.signingSecret);
  if (keys.ephemeral) logger.warn('SIGNING_SECRET is not set: cursors and signed URLs are valid only until this process exits');

  let baseUrl = config.publicBaseUrl ?? '';
  const services: Services = {
    config,
    logger,
    objectStore: new MediaStoreDataSource(mediastoreClient, {
      timeoutMs: config.upstream.timeoutMs,
      idleTimeoutMs: config.upstream.idleTimeoutMs,
    }),
    cursors: new CursorCodec(keys.cursor),
    owners: new OwnershipMemo(config.auth.ownerMemo),
    urls: new UrlSigner(keys.url, () => baseUrl),
    kinesis: {
      control: kinesisControl,
      archived: new KinesisArchivedMediaDataSource(kinesisControl, (endpoint) => kinesisClients.archived(endpoint), {
        timeoutMs: config.upstream.timeoutMs,
      }),
    },
    hub,
    oci: oci?.services,
    livestream: livestream?.services,
  };

  const schema = await buildFederatedSchema();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const httpServer = createServer(app);
  let shuttingDown = false;

  const guard = new OperationGuard(
    schema,
    config.limits,
    config.limits.persistedOperationsOnly ? loadPersistedOperations() : undefined,
    config.auth.routerSecret,
    config.pageSizeMax,
  );
  const ws = new WebSocketServer({
    server: httpServer,
    path: GRAPHQL_PATH,
    maxPayload: config.websocket.maxPayloadBytes,
    verifyClient: originCheck(config.websocket.allowedOrigins, logger),
  });
  const shared = new SharedSubscriptions({
    memberBuffer: config.live.subscriberBuffer,
    overflow: config.live.overflow,
    createContext: (signal, member) => createRequestContext(services, signal, (member as RequestContext).access),
    // Members share an execution only when they are authorized identically.
    identityOf: (member) => principalKey((member as RequestContext).access.principal),
    serialize: (result) => Buffer.from(JSON.stringify(formatResult(result, { development: config.env === 'development', logger }))),
  });
  const wsHandle = attachGraphqlWs(ws, schema, services, shared, {
    security,
    guard,
    maxSubscriptionsPerSocket: config.websocket.maxSubscriptionsPerSocket,
    keepAliveMs: config.websocket.keepAliveMs,
  });

  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: config.limits.batchMax > 0,
    csrfPrevention: true,
    // Signals belong to the process owner (`media-graph serve` calls close()). Apollo's own handler would stop the
    // server and then re-send the signal to the process, which `serve` takes for a second signal and exits with 1.
    stopOnTerminationSignals: false,
    logger,
    formatError: (_formatted, error) =>
      formatError(error instanceof GraphQLError ? error : new GraphQLError('Internal server error.', { originalError: toError(error) }), {
        development: config.env === 'development',
        logger,
      }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceMs }),
      ApolloServerPluginLandingPageDisabled(),
      ...(options.withoutHttpOperationGuard === true ? [] : [persistedQueryGuard(guard)]),
      { serverWillStart: async () => ({ drainServer: () => wsHandle.dispose() }) },
    ],
  });
  await apollo.start();

  app.use(
    createHealthRouter(
      [
        { name: 'mediastore', check: (signal) => services.objectStore.checkReachable({ signal }) },
        { name: 'kinesis', check: async (signal) => void (await kinesisControl.listStreams({ pageSize: 1, token: undefined }, { signal })) },
      ],
      { timeoutMs: 2_000, isShuttingDown: () => shuttingDown },
    ),
  );
  app.use(createIdeRouter({ graphqlPath: GRAPHQL_PATH, subscriptionsPath: GRAPHQL_PATH, title: 'media-graph', defaultQuery: IDE_DEFAULT_QUERY }));
  app.get('/', (_req, res) => res.redirect(302, '/graphiql'));
  const sse = createSseRouter(SSE_PATH, schema, services, shared, { security, guard });
  app.use(sse.router);
  app.use(createObjectsRouter(services, security, RelayGcPacer.create(config.relayGcIntervalBytes)));
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: config.graphqlBodyLimitBytes, type: ['application/json', 'application/graphql-response+json'] }),
    authenticateRequests(security, logger, config.limits.batchMax),
    ...(options.withoutHttpOperationGuard === true ? [] : [guardOperations(guard, config.limits.batchMax, config.env === 'development', logger)]),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => createRequestContext(services, requestSignal(req, res), accessOf(req)),
    }),
  );
  app.use(bodyErrorHandler);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  if (baseUrl === '') baseUrl = url;
  logger.info({ listen: `${url}${GRAPHQL_PATH}` }, 'media-graph listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      // WebSocket clients first, while their subscriptions are still live: they get only 1001 (going away) and
      // resubscribe elsewhere (RELIABILITY R3). Closing the hub first would send them `complete`, which a
      // graphql-ws client takes as the end of the subscription. SSE streams are cut for the same reason, which
      // also keeps the HTTP drain in apollo.stop() from waiting out the grace period for them.
      await wsHandle.dispose();
      sse.dropStreams();
      await hub.close();
      await apollo.stop();
      await closeServer(httpServer);
      mediastoreClient.destroy();
      kinesisClients.destroy();
      oci?.clients.close();
      await livestream?.clients.close();
      await emulators.close();
      await security.close();
      logger.info('media-graph stopped');
    })();
    return closing;
  };
  return { url, services, emulators, schema, close };
}

/** Builds the Live Stream clients and datasources for the embedded emulator or Google Cloud; undefined when neither. */
function createLiveStreamServices(
  config: Config,
  emulators: EmbeddedEmulators,
  logger: Logger,
): { readonly clients: LiveStreamClients; readonly services: NonNullable<Services['livestream']> } | undefined {
  let clients: LiveStreamClients;
  let parent: string;
  if (emulators.livestream !== undefined) {
    const emulator = emulators.livestream;
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
    return undefined;
  }
  const api = new LiveStreamDataSource(clients.grpc, { timeoutMs: config.upstream.timeoutMs });
  // DVR sessions come without their channel: the derived retention fields read it through the request's channel
  // loader, so a request reads each channel once and a failed channel read costs only those fields.
  const dvr = new DvrSessionsDataSource(clients.rest, { timeoutMs: config.upstream.timeoutMs });
  return { clients, services: { api, dvr, defaultParent: parent } };
}

/** Builds the OCI clients and datasources for the embedded emulator or real OCI; undefined when neither. */
async function createOciServices(
  config: Config,
  emulators: EmbeddedEmulators,
  logger: Logger,
): Promise<{ readonly clients: OciClients; readonly services: NonNullable<Services['oci']> } | undefined> {
  let options: OciClientsOptions;
  let compartmentId = config.oci.compartmentId;
  if (emulators.oci !== undefined) {
    const embedded = emulators.oci;
    options = ociEmulatorClientsOptions(
      embedded.emulator,
      { tenancyId: embedded.tenancyId, userId: embedded.userId, fingerprint: embedded.fingerprint, privateKeyPem: embedded.privateKeyPem },
      config.upstream.maxAttempts,
    );
    compartmentId ??= embedded.compartmentId;
  } else if (config.oci.credentials !== undefined) {
    const credentials = config.oci.credentials;
    options = {
      credentials: {
        tenancyId: credentials.tenancyId,
        userId: credentials.userId,
        fingerprint: credentials.fingerprint,
        privateKeyPem: await loadOciPrivateKey({ path: credentials.privateKeyFile }, credentials.passphrase),
        passphrase: credentials.passphrase,
      },
      region: config.oci.region,
      endpoint: config.oci.endpoint,
      maxAttempts: config.upstream.maxAttempts,
    };
  } else {
    logger.warn('OCI is not configured (OCI_TENANCY_ID) and emulators are off: the playback API is unavailable');
    return undefined;
  }
  const clients = createOciClients(options);
  const settings = { timeoutMs: config.upstream.timeoutMs, logger, keyFingerprint: clients.keyFingerprint };
  const mediaServices = new OciMediaServicesDataSource(clients.mediaServices, settings);
  const mediaStreams = new OciMediaStreamsDataSource(
    { channels: mediaServices, endpointFor: (domain) => clients.mediaStreamsEndpoint(domain), clientFor: (endpoint) => clients.mediaStream(endpoint) },
    settings,
  );
  return { clients, services: { mediaServices, mediaStreams, defaultCompartmentId: compartmentId } };
}

/**
 * WebSocket upgrades from a browser page of another origin are refused with 403 (RELIABILITY.md W8): a page the
 * user visits must not ride on their cookies or network position. Requests without `Origin` (non-browser
 * clients) and from the server's own origin pass, as do the configured `WS_ALLOWED_ORIGINS`.
 */
function originCheck(allowed: readonly string[], logger: Logger): VerifyClientCallbackAsync {
  const extra = new Set(allowed);
  return (info, callback) => {
    const origin = info.origin;
    if (origin === undefined || origin === '' || extra.has(origin)) {
      callback(true);
      return;
    }
    let sameOrigin = false;
    try {
      // Host only, not scheme: behind a TLS-terminating proxy the page is https while this server sees plain http.
      // A cross-site page cannot choose the Host its browser sends, so the host alone tells same-site from foreign.
      sameOrigin = new URL(origin).host === info.req.headers.host;
    } catch {
      // An Origin that is not a URL is foreign by definition.
      sameOrigin = false;
    }
    if (!sameOrigin) logger.info({ origin }, 'WebSocket upgrade from a foreign origin refused');
    callback(sameOrigin, sameOrigin ? undefined : 403, sameOrigin ? undefined : 'Forbidden origin');
  };
}

function requestSignal(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  req.once('aborted', () => controller.abort());
  return controller.signal;
}

function bodyErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  const type = typeof error === 'object' && error !== null && 'type' in error ? (error as { type: unknown }).type : undefined;
  if (res.headersSent) {
    next(error);
    return;
  }
  if (type === 'entity.too.large') {
    res.status(413).json({ errors: [{ message: 'Request body too large.', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    return;
  }
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    res.status(400).json({ errors: [{ message: 'Malformed request body.', extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  res.status(500).json({ errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    server.closeIdleConnections();
  });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
