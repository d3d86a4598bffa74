import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request, type Response } from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import type { Config } from '../config.js';
import { createOwnershipMemo } from '../auth/owner-share.js';
import { principalKey } from '../auth/principal.js';
import { createRequestContext } from '../auth/request-context.js';
import { Security } from '../auth/security.js';
import type { RequestContext, Services } from '../auth/services.js';
import { UrlSigner } from '../auth/signed-url.js';
import { deriveSigningKeys } from '../auth/signing-keys.js';
import { createLogger, type Logger } from '../core/logger.js';
import { setKnownOperations, setLabelledStreams, startProcessMetrics } from '../core/metrics.js';
import { UpstreamEndpoints } from '../datasources/upstream-calls.js';
import { CursorCodec } from '../pagination/cursor-codec.js';
import { buildFederatedSchema } from '../schema/build-schema.js';
import { accessLog, observeSubscription, operationAccessLog, reenterRequestScope } from './access-log.js';
import { bodyErrorHandler } from './body-errors.js';
import { createConsoleRouter } from './console.js';
import { formatError, formatResult } from './format-error.js';
import { attachGraphqlWs } from './graphql-ws.js';
import { createSseRouter } from './graphql-sse.js';
import { createHealthRouter } from './health.js';
import { accessOf, authenticateRequests, chargeRequests, guardOperations, persistedQueryGuard, subscriptionsNeedStreamingTransport, tenantOfRequest } from './http-security.js';
import { jsonBody } from './json-body.js';
import { METRICS_PATH, serveMetrics, startMetricsListener } from './metrics-endpoint.js';
import { createIdeRouter } from './ide.js';
import { IDE_TABS } from './ide-examples.js';
import { createObjectsRouter } from './objects-endpoint.js';
import { OperationGuard } from './operation-guard.js';
import { originCheck } from './origin-check.js';
import { loadPersistedOperations } from './persisted-operations.js';
import { startEmbeddedEmulators, wireProviders, type EmbeddedEmulators } from './providers/registry.js';
import { RelayGcPacer } from './relay-gc.js';
import { SharedSubscriptions } from './shared-subscriptions.js';
import { operationTracing, startTracing, traceRequests, traceSubscription, type Tracing } from './tracing.js';
import { uncacheableResponses } from './uncacheable-responses.js';

/** GraphQL endpoint path (HTTP and graphql-ws). */
export const GRAPHQL_PATH = '/graphql';
/** Server-Sent Events endpoint path (graphql-sse). */
export const SSE_PATH = '/graphql/stream';

/** How long one readiness check may take before `/readyz` counts its provider unreachable. */
const READINESS_TIMEOUT_MS = 2_000;

/** A running gateway. */
export interface Gateway {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly services: Services;
  readonly emulators: EmbeddedEmulators;
  readonly schema: GraphQLSchema;
  /** Base URL of the separate metrics listener (`METRICS_PORT`), e.g. `http://127.0.0.1:9464`; undefined when none. */
  readonly metricsUrl: string | undefined;
  /**
   * Graceful shutdown: readiness turns off, WebSockets close with 1001, SSE subscriptions end with `SHUTTING_DOWN`
   * and `complete`, the live hub stops, the listener closes while in-flight HTTP requests drain for up to
   * `SHUTDOWN_GRACE_MS`, then clients and emulators close, and the spans still queued are exported. Idempotent.
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
  /** Directory of the built web console; defaults to the package's `dist/console/` (what `npm run build` writes). */
  readonly consoleDirectory?: string;
}

/**
 * Builds every dependency from `config`, starts embedded emulators where no cloud endpoint is configured, and
 * listens on `HOST:PORT`. Lifetime: until `close()`. Whatever it started before a failure is closed again.
 * @throws ConfigError when a provider cannot be configured; the listen error (`EADDRINUSE`, `EACCES`) when the
 * port cannot be bound.
 */
export async function startGateway(config: Config, options: StartGatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const upstream = new UpstreamEndpoints(config.upstream.breaker, logger);
  const context = { config, logger, upstream };
  // Before anything starts: a server that may not run without authentication must not bind a port or emulators.
  const security = await Security.create(config, logger);
  const cleanup: (() => Promise<void>)[] = [() => security.close()];
  const unwind = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    // No auto-instrumentation to load first (see tracing.ts), so the SDK can start here, and only when configured.
    const tracing = await startTracing(config.tracing, logger);
    if (tracing !== undefined) cleanup.unshift(() => tracing.close());
    const emulators = await startEmbeddedEmulators(context, { seedDemo: options.seedDemo ?? false });
    cleanup.push(() => emulators.close());
    const providers = await wireProviders(context, emulators);
    cleanup.push(() => providers.close());
    return await serve(config, options, logger, security, emulators, providers, upstream, tracing, cleanup);
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** The HTTP/WebSocket app over wired providers; `cleanup` runs (last step first) when the gateway closes. */
async function serve(
  config: Config,
  options: StartGatewayOptions,
  logger: Logger,
  security: Security,
  emulators: EmbeddedEmulators,
  providers: Awaited<ReturnType<typeof wireProviders>>,
  upstream: UpstreamEndpoints,
  tracing: Tracing | undefined,
  cleanup: (() => Promise<void>)[],
): Promise<Gateway> {
  const keys = deriveSigningKeys(config.signingSecret);
  if (keys.ephemeral) logger.warn('SIGNING_SECRET is not set: cursors and signed URLs are valid only until this process exits');

  let baseUrl = config.publicBaseUrl ?? '';
  const services: Services = {
    config,
    logger,
    ...providers.services,
    cursors: new CursorCodec(keys.cursor),
    owners: createOwnershipMemo(config, logger),
    urls: new UrlSigner(keys.url, () => baseUrl),
  };
  cleanup.push(() => services.owners.close());

  const schema = await buildFederatedSchema();
  // Operation names outside the persisted set count as `other`, so clients cannot grow the label set.
  const persisted = knownOperations(config, logger);
  setKnownOperations(persisted?.names ?? []);
  setLabelledStreams(config.metrics.streamLabels);
  const metricsOn = config.metrics.port !== undefined || config.metrics.token !== undefined;
  if (metricsOn) startProcessMetrics();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(accessLog(logger, tenantOfRequest));
  if (tracing !== undefined) app.use(traceRequests());
  if (config.metrics.port === undefined && config.metrics.token !== undefined) {
    const token = config.metrics.token;
    app.get(METRICS_PATH, (req, res) => serveMetrics(req, res, token));
  }
  const httpServer = createServer(app);
  let shuttingDown = false;

  const guard = new OperationGuard(
    schema,
    config.limits,
    config.limits.persistedOperationsOnly ? persisted : undefined,
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
    observe: (args, transport, result, sinkWrites) => {
      const observed = observeSubscription(args, transport, result, logger, sinkWrites);
      return tracing === undefined ? observed : traceSubscription(args, transport, observed, sinkWrites);
    },
  });
  const wsHandle = attachGraphqlWs(ws, schema, services, shared, {
    security,
    guard,
    maxSubscriptionsPerSocket: config.websocket.maxSubscriptionsPerSocket,
    keepAliveMs: config.websocket.keepAliveMs,
    maxJsonDepth: config.limits.jsonMaxDepth,
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
      ...uncacheableResponses(),
      ...(options.withoutHttpOperationGuard === true ? [] : [persistedQueryGuard(guard)]),
      subscriptionsNeedStreamingTransport(GRAPHQL_PATH, SSE_PATH),
      operationAccessLog(logger),
      ...(tracing === undefined ? [] : [operationTracing()]),
      { serverWillStart: async () => ({ drainServer: () => wsHandle.dispose() }) },
    ],
  });
  await apollo.start();

  app.use(createHealthRouter(providers.readiness, { timeoutMs: READINESS_TIMEOUT_MS, isShuttingDown: () => shuttingDown, breakers: () => upstream.states() }));
  app.use(createIdeRouter({ graphqlPath: GRAPHQL_PATH, subscriptionsPath: GRAPHQL_PATH, title: 'media-graph', defaultTabs: IDE_TABS }));
  app.get('/', (_req, res) => res.redirect(302, '/graphiql'));
  app.use(createConsoleRouter({ enabled: config.console, logger, ...(options.consoleDirectory === undefined ? {} : { directory: options.consoleDirectory }) }));
  const sse = createSseRouter(SSE_PATH, schema, services, shared, { security, guard });
  app.use(sse.router);
  app.use(createObjectsRouter(services, security, RelayGcPacer.create(config.relayGcIntervalBytes), { isShuttingDown: () => shuttingDown }));
  app.use(
    GRAPHQL_PATH,
    // Credentials first, from the headers alone: a caller without them costs no body read (RELIABILITY.md S16).
    authenticateRequests(security, logger),
    jsonBody({
      limitBytes: config.graphqlBodyLimitBytes,
      maxDepth: config.limits.jsonMaxDepth,
      types: ['application/json', 'application/graphql-response+json'],
      queryParameters: ['variables', 'extensions'],
    }),
    reenterRequestScope(),
    chargeRequests(security, logger, config.limits.batchMax),
    ...(options.withoutHttpOperationGuard === true ? [] : [guardOperations(guard, config.limits.batchMax, config.env === 'development', logger)]),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => createRequestContext(services, requestSignal(req, res), accessOf(req)),
    }),
  );
  app.use(bodyErrorHandler(logger));

  cleanup.push(async () => {
    await apollo.stop();
    await closeServer(httpServer);
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const metricsListener = await startMetricsListener(config, logger);
  cleanup.push(async () => metricsListener?.close());
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
      // graphql-ws client takes as the end of the subscription. SSE subscriptions end with a coded SHUTTING_DOWN
      // result before the hub closes, for the same reason; ending their streams also keeps the HTTP drain in
      // apollo.stop() from waiting out the grace period for them.
      await wsHandle.dispose();
      await sse.endStreams();
      await services.hub.close();
      await apollo.stop();
      await closeServer(httpServer);
      await providers.close();
      await emulators.close();
      await security.close();
      await services.owners.close();
      await metricsListener?.close();
      // Last, so the spans of everything above are among those exported.
      await tracing?.close();
      logger.info('media-graph stopped');
    })();
    return closing;
  };
  return { url, services, emulators, schema, metricsUrl: metricsListener?.url, close };
}

/**
 * The persisted operations: the safelist under `PERSISTED_OPERATIONS_ONLY` (a failure to load them is then fatal),
 * and otherwise only the names metrics keep, which the gateway can do without.
 */
function knownOperations(config: Config, logger: Logger): ReturnType<typeof loadPersistedOperations> | undefined {
  if (config.limits.persistedOperationsOnly) return loadPersistedOperations();
  try {
    return loadPersistedOperations();
  } catch (error) {
    logger.warn({ err: error }, 'schema/operations not loaded: every operation name counts as other in metrics');
    return undefined;
  }
}

function requestSignal(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  req.once('aborted', () => controller.abort());
  return controller.signal;
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
