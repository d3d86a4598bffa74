import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import { metricsRegistry } from '../core/metrics.js';

/** Path of the Prometheus exposition, on the metrics listener and (with `METRICS_TOKEN`) on the main port. */
export const METRICS_PATH = '/metrics';

/** A running metrics listener. Lifetime: until `close()` (idempotent). */
export interface MetricsListener {
  /** e.g. `http://127.0.0.1:9464`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Answers one scrape: 401 without the bearer `token` (when one is set), else the exposition of every family in the
 * text format. Compares tokens in constant time over their digests, so neither content nor length leaks.
 */
export function serveMetrics(req: IncomingMessage, res: ServerResponse, token: string | undefined): void {
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    res.statusCode = 401;
    res.setHeader('www-authenticate', 'Bearer realm="metrics"');
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end('metrics need the bearer token (METRICS_TOKEN)\n');
    return;
  }
  metricsRegistry.metrics().then(
    (text) => {
      res.statusCode = 200;
      res.setHeader('content-type', metricsRegistry.contentType);
      res.setHeader('cache-control', 'no-store');
      res.end(text);
    },
    (error: unknown) => {
      res.statusCode = 500;
      res.end();
      // A collector that throws is our bug; the scrape fails visibly and the cause is logged once per scrape.
      res.emit('metrics-error', error);
    },
  );
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  const given = createHash('sha256').update(match[1]).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected);
}

/**
 * Starts the separate metrics listener on `HOST:METRICS_PORT` when configured, serving only `GET /metrics`.
 * Resolves `undefined` when metrics have no listener, or when development's default port is taken (another local
 * gateway has it): then metrics stay off for this process with a warning rather than the gateway failing.
 * @throws the listen error (`EADDRINUSE`, `EACCES`) for a port the operator chose.
 */
export async function startMetricsListener(config: Config, logger: Logger): Promise<MetricsListener | undefined> {
  const { port, token, byDefault } = config.metrics;
  if (port === undefined) return undefined;
  const server = createServer((req, res) => {
    res.once('metrics-error', (error: unknown) => logger.error({ err: error }, 'metrics collection failed'));
    const path = (req.url ?? '').split('?')[0];
    if (path !== METRICS_PATH) {
      res.statusCode = 404;
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('allow', 'GET, HEAD');
      res.end();
      return;
    }
    serveMetrics(req, res, token);
  });
  try {
    await listen(server, port, config.host);
  } catch (error) {
    if (byDefault && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      logger.warn({ port }, 'metrics port taken (development default): metrics are off for this process; set METRICS_PORT to choose another');
      return undefined;
    }
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${String(address.port)}`;
  logger.info({ listen: `${url}${METRICS_PATH}`, bearerRequired: token !== undefined }, 'metrics listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
