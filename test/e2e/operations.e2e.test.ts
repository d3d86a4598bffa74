import { Writable } from 'node:stream';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { MediaStoreEmulator } from '../../src/emulators/mediastore/mediastore.emulator.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { GetObjectDocument, ListObjectsDocument, ListStreamsDocument } from '../generated/graphql.js';
import { errorCodes, execute, postGraphql, TEST_SIGNING_SECRET } from '../helpers/gateway.js';
import { LiveSubscription } from '../helpers/live-subscription.js';

/*
 * Operations end to end: the Prometheus exposition after traffic on every path (parsed strictly), request ids and
 * access-log lines, and the circuit breaker of a provider endpoint under emulator faults.
 */

const LIVE = 'ops-live';

/** One sample of the text exposition format. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * A strict parser of the Prometheus text format (version 0.0.4): every line is a `# HELP`, a `# TYPE` or a sample
 * of a declared family; label values are quoted with `\\`, `\"` and `\n` escapes; values are floats, `+Inf`,
 * `-Inf` or `NaN`. Throws on anything else.
 */
function parseExposition(text: string): { readonly types: Map<string, string>; readonly samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleLine = new RegExp(`^(${name})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
  const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/;
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${name}) (.*)$`).exec(line);
    if (meta !== null) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3]);
        expect(types.has(meta[2] ?? '')).toBe(false);
        types.set(meta[2] ?? '', meta[3] ?? '');
      }
      continue;
    }
    const match = sampleLine.exec(line);
    if (match === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    let rest = match[2] ?? '';
    while (rest !== '') {
      const pair = label.exec(rest);
      if (pair === null) throw new Error(`bad labels in: ${line}`);
      labels[pair[1] ?? ''] = (pair[2] ?? '').replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      rest = rest.slice(pair[0].length);
    }
    const raw = match[3] ?? '';
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    // Prometheus parses sample values with Go's strconv.ParseFloat, which takes NaN in any case; prom-client
    // writes `Nan` (the event-loop lag gauges before their first sample), so any casing of NaN is valid here.
    if (Number.isNaN(value) && raw.toLowerCase() !== 'nan') throw new Error(`bad value in: ${line}`);
    const sampleName = match[1] ?? '';
    const family = [sampleName, sampleName.replace(/_(bucket|sum|count)$/, '')].find((candidate) => types.has(candidate));
    if (family === undefined) throw new Error(`sample of an undeclared family: ${line}`);
    samples.push({ name: sampleName, labels, value });
  }
  return { types, samples };
}

/** Sum of the samples named `name` whose labels include `where`. */
function total(samples: readonly Sample[], name: string, where: Readonly<Record<string, string>> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(where).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text()).samples;
}

interface Started {
  readonly gateway: Gateway;
  readonly mediastore: MediaStoreEmulator;
  readonly logs: string[];
  readonly graphqlUrl: string;
  close(): Promise<void>;
}

async function start(env: Record<string, string>, kinesisEndpoint: string): Promise<Started> {
  process.env['AWS_ACCESS_KEY_ID'] ??= 'AKIDTESTGATEWAY';
  process.env['AWS_SECRET_ACCESS_KEY'] ??= 'test-secret';
  const mediastore = await MediaStoreEmulator.start();
  mediastore.putObjectDirect('ops/a.txt', 'hello', { contentType: 'text/plain' });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    SIGNING_SECRET: TEST_SIGNING_SECRET,
    MEDIASTORE_ENDPOINT: mediastore.endpoint,
    KINESIS_ENDPOINT: kinesisEndpoint,
    UPSTREAM_MAX_ATTEMPTS: '1',
    SHUTDOWN_GRACE_MS: '2000',
    LIVE_LINGER_MS: '100',
    ...env,
  });
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, { logger: createLogger('info', sink) });
  } catch (error) {
    await mediastore.close();
    throw error;
  }
  return {
    gateway,
    mediastore,
    logs,
    graphqlUrl: `${gateway.url}/graphql`,
    close: async () => {
      await gateway.close();
      await mediastore.close();
    },
  };
}

describe('operations', () => {
  let kinesis: KinesisVideoEmulator;
  let stopProducer: () => void;

  beforeAll(async () => {
    kinesis = await KinesisVideoEmulator.start({ idleEndMs: 200 });
    kinesis.createStream(LIVE, { retentionHours: 24, mediaType: 'video/h264' });
    stopProducer = kinesis.startProducer(LIVE, { fragmentIntervalMs: 50, fps: 20, frameBytes: 256 });
  });

  afterAll(async () => {
    stopProducer();
    await kinesis.close();
  });

  describe('metrics', () => {
    let t: Started;
    beforeAll(async () => {
      t = await start({ METRICS_PORT: '0', METRICS_STREAM_LABELS: LIVE }, kinesis.endpoint);
    });
    afterAll(async () => t.close());

    it('exposes every family in a valid exposition and each one moves when traffic crosses its path', async () => {
      const metricsUrl = t.gateway.metricsUrl;
      expect(metricsUrl).toBeDefined();
      const before = await scrape(metricsUrl ?? '');

      expect(errorCodes(await execute(t.graphqlUrl, ListObjectsDocument, { path: '/ops', first: 5 }))).toEqual([]);
      expect(errorCodes(await execute(t.graphqlUrl, ListStreamsDocument, { first: 5 }))).toEqual([]);
      // Bytes through the byte endpoint.
      const object = await execute(t.graphqlUrl, GetObjectDocument, { path: 'ops/a.txt' });
      expect(await (await fetch(object.data?.object?.url ?? '')).text()).toBe('hello');
      // Live Stream's REST side (DVR sessions): a lookup of a session that does not exist is answered null.
      const dvr = await postGraphql(t.graphqlUrl, { query: '{ dvrSession(name: "projects/p/locations/l/channels/c/dvrSessions/none") { name } }' });
      expect(errorCodes(dvr)).toEqual([]);
      // A name outside the persisted set, and an error with a code.
      await postGraphql(t.graphqlUrl, { query: 'query SomethingClientMade { streams(first: 1) { edges { cursor } } }' });
      expect(errorCodes(await postGraphql(t.graphqlUrl, { query: print(ListObjectsDocument), variables: { path: '/ops', first: 100_000 } }))).toEqual(['BAD_USER_INPUT']);
      // Live: a subscriber that receives fragments from the labelled stream.
      const live = await LiveSubscription.open(t.graphqlUrl.replace(/^http/, 'ws'), LIVE);
      try {
        await live.until(() => live.fragments.length >= 3, 10_000, 'three live fragments');
        const during = await scrape(metricsUrl ?? '');
        expect(total(during, 'media_graph_live_subscribers', { stream: LIVE })).toBeGreaterThanOrEqual(1);
        expect(total(during, 'media_graph_live_streams_watched')).toBeGreaterThanOrEqual(1);
        expect(total(during, 'media_graph_live_getmedia_sessions')).toBeGreaterThanOrEqual(1);
        expect(total(during, 'media_graph_graphql_subscriptions_active', { transport: 'ws' })).toBeGreaterThanOrEqual(1);
      } finally {
        await live.close();
      }
      const after = await scrape(metricsUrl ?? '');
      const moved = (name: string, where: Record<string, string> = {}): number => total(after, name, where) - total(before, name, where);

      expect(moved('media_graph_graphql_operation_duration_seconds_count', { type: 'query', operation: 'ListObjects', outcome: 'ok' })).toBe(1);
      expect(moved('media_graph_graphql_operation_duration_seconds_count', { type: 'query', operation: 'ListStreams', outcome: 'ok' })).toBe(1);
      expect(moved('media_graph_graphql_operation_duration_seconds_count', { operation: 'other' })).toBe(1);
      expect(moved('media_graph_graphql_errors_total', { code: 'BAD_USER_INPUT' })).toBeGreaterThanOrEqual(1);
      expect(moved('media_graph_graphql_subscriptions_started_total', { operation: 'StreamFragments', transport: 'ws' })).toBe(1);
      expect(moved('media_graph_http_requests_total', { route: 'graphql', status: '2xx' })).toBeGreaterThanOrEqual(3);
      expect(moved('media_graph_upstream_request_duration_seconds_count', { provider: 'mediastore', operation: 'ListItems', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(moved('media_graph_upstream_request_duration_seconds_count', { provider: 'kinesis', operation: 'ListStreams', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(moved('media_graph_upstream_request_duration_seconds_count', { provider: 'kinesis', operation: 'GetMedia', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(moved('media_graph_upstream_request_duration_seconds_count', { provider: 'livestream', operation: 'getDvrSession', outcome: 'client_error' })).toBe(1);
      expect(moved('media_graph_object_bytes_relayed_total', { direction: 'download' })).toBe(5);
      expect(moved('media_graph_live_fragments_received_total', { stream: LIVE })).toBeGreaterThanOrEqual(3);
      expect(moved('media_graph_live_fragments_delivered_total', { stream: LIVE })).toBeGreaterThanOrEqual(3);
      expect(moved('media_graph_live_behind_now_seconds_count')).toBeGreaterThanOrEqual(3);
      expect(moved('media_graph_live_delivery_latency_seconds_count')).toBeGreaterThanOrEqual(3);
      expect(total(after, 'media_graph_circuit_breaker_state', { provider: 'mediastore' })).toBe(0);
      // Node process and event-loop metrics.
      expect(total(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(after.some((sample) => sample.name.startsWith('nodejs_eventloop_lag'))).toBe(true);
    }, 30_000);

    it('serves only /metrics on the metrics listener', async () => {
      expect((await fetch(`${t.gateway.metricsUrl ?? ''}/graphql`)).status).toBe(404);
      expect((await fetch(`${t.gateway.url}/metrics`)).status).toBe(404);
    });
  });

  describe('metrics on the main port', () => {
    const token = 'metrics-token-0123456789abcdef';
    let t: Started;
    beforeAll(async () => {
      t = await start({ METRICS_TOKEN: token }, kinesis.endpoint);
    });
    afterAll(async () => t.close());

    it('answers /metrics only with the bearer token', async () => {
      expect(t.gateway.metricsUrl).toBeUndefined();
      expect((await fetch(`${t.gateway.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${t.gateway.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const samples = await scrape(t.gateway.url, { authorization: `Bearer ${token}` });
      expect(samples.length).toBeGreaterThan(0);
    });
  });

  describe('request ids and access logs', () => {
    let t: Started;
    beforeAll(async () => {
      t = await start({}, kinesis.endpoint);
    });
    afterAll(async () => t.close());

    const lines = (): Record<string, unknown>[] => t.logs.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

    it('echoes a valid x-request-id and puts it on the access lines of the request and its operation', async () => {
      const response = await fetch(t.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'router-abc-123' },
        body: JSON.stringify({ query: print(ListObjectsDocument), variables: { path: '/ops', first: 5 } }),
      });
      expect(response.headers.get('x-request-id')).toBe('router-abc-123');
      await response.text();
      await expect.poll(() => lines().filter((line) => line['reqId'] === 'router-abc-123').map((line) => line['access'])).toEqual(['graphql', 'http']);
      const operation = lines().find((line) => line['reqId'] === 'router-abc-123' && line['access'] === 'graphql');
      expect(operation).toMatchObject({ operationName: 'ListObjects', operationType: 'query', status: 200, errorCodes: [], upstreamCalls: 1 });
      const http = lines().find((line) => line['reqId'] === 'router-abc-123' && line['access'] === 'http');
      expect(http).toMatchObject({ method: 'POST', path: '/graphql', status: 200, upstreamCalls: 1 });
      // Never the variables, the document or the headers.
      const text = t.logs.join('');
      expect(text).not.toContain('"variables"');
      expect(text).not.toContain('edges');
    });

    it('counts the events a graphql-ws subscription delivered on its access line when it ends', async () => {
      const live = await LiveSubscription.open(t.graphqlUrl.replace(/^http/, 'ws'), LIVE);
      let delivered = 0;
      try {
        await live.until(() => live.fragments.length >= 3, 10_000, 'three live fragments');
      } finally {
        await live.close();
        delivered = live.fragments.length;
      }
      const ended = (): Record<string, unknown> | undefined => lines().find((line) => line['access'] === 'subscription' && line['transport'] === 'ws');
      await expect.poll(ended).toBeDefined();
      // Fragments written after the client stopped counting may add to the server's figure, never take from it.
      expect(ended()?.['events']).toBeGreaterThanOrEqual(delivered);
      expect(ended()).toMatchObject({ operationName: 'StreamFragments', operationType: 'subscription' });
    });

    it('replaces a request id that is too long or has unsafe characters', async () => {
      for (const given of ['x'.repeat(129), 'bad id with spaces', 'quote"inside']) {
        const response = await fetch(`${t.gateway.url}/healthz`, { headers: { 'x-request-id': given } });
        const id = response.headers.get('x-request-id');
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(id).not.toBe(given);
      }
    });

    it('logs the error codes of a failed operation and the query string of no URL', async () => {
      const response = await fetch(`${t.graphqlUrl}?query=${encodeURIComponent('{ objects(path: "/ops", first: 100000) { edges { cursor } } }')}`, { headers: { 'x-request-id': 'get-1', 'apollo-require-preflight': 'true' } });
      await response.text();
      await expect.poll(() => lines().filter((line) => line['reqId'] === 'get-1')).toContainEqual(expect.objectContaining({ access: 'graphql', errorCodes: ['BAD_USER_INPUT'] }));
      expect(lines().find((line) => line['reqId'] === 'get-1' && line['access'] === 'http')?.['path']).toBe('/graphql');
    });
  });

  describe('circuit breaker', () => {
    let t: Started;
    beforeAll(async () => {
      t = await start({ UPSTREAM_BREAKER_FAILURES: '3', UPSTREAM_BREAKER_HALF_OPEN_MS: '300' }, kinesis.endpoint);
    });
    afterAll(async () => t.close());

    const list = async (): Promise<Awaited<ReturnType<typeof execute>>> => execute(t.graphqlUrl, ListObjectsDocument, { path: '/ops', first: 5 });

    it('opens after consecutive failures, fails fast without an upstream call, and closes after a successful probe', async () => {
      t.mediastore.injectFault({ kind: 'error', status: 500 });
      for (let i = 0; i < 3; i += 1) expect(errorCodes(await list())).toEqual(['UPSTREAM_UNAVAILABLE']);
      const calls = t.mediastore.count();

      const fast = await list();
      expect(errorCodes(fast)).toEqual(['UPSTREAM_UNAVAILABLE']);
      expect(fast.errors?.[0]?.extensions).toMatchObject({ retryable: true });
      expect(fast.errors?.[0]?.extensions?.['retryAfterMs']).toBeGreaterThan(0);
      expect(t.mediastore.count()).toBe(calls);
      const ready = (await (await fetch(`${t.gateway.url}/readyz`)).json()) as { checks: Record<string, string>; breakers: Record<string, string> };
      expect(ready.checks['mediastore']).toBe('unreachable');
      expect(Object.entries(ready.breakers).find(([name]) => name.startsWith('mediastore/'))?.[1]).toBe('open');
      // One warning for the outage, not one per failed request.
      expect(t.logs.join('').split('upstream circuit breaker open').length - 1).toBe(1);

      t.mediastore.clearFaults();
      // The breaker lets a probe through once the half-open delay has passed; until then every call fails fast.
      await expect.poll(async () => errorCodes(await list()), { timeout: 5_000, interval: 100 }).toEqual([]);
      const healthy = (await (await fetch(`${t.gateway.url}/readyz`)).json()) as { breakers: Record<string, string> };
      expect(Object.entries(healthy.breakers).find(([name]) => name.startsWith('mediastore/'))?.[1]).toBe('closed');
      expect(t.logs.join('')).toContain('upstream circuit breaker closed');
    }, 20_000);
  });
});
