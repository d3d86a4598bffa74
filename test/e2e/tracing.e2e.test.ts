import { randomBytes } from 'node:crypto';
import { print, type ExecutionResult } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activeTracer } from '../../src/core/tracing.js';
import { DEMO_LIVE_STREAM } from '../../src/emulators/kinesis/kinesis.seed.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { startTracing } from '../../src/server/tracing.js';
import { ListObjectsDocument, ListStreamsDocument, PutObjectDocument, StreamFragmentsDocument } from '../generated/graphql.js';
import { quietLogger, testGatewayConfig } from '../helpers/gateway.js';
import { LiveSubscription } from '../helpers/live-subscription.js';
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from '../helpers/otlp-receiver.js';

/*
 * OpenTelemetry traces end to end: a gateway on its embedded emulators exports over OTLP/HTTP (JSON) to a receiver on
 * loopback. A request that carries a router's W3C `traceparent` must continue that trace through the HTTP server
 * span, the GraphQL operation span and the upstream call spans, each under the one before; a subscription is one
 * span with its events counted; nothing is exported (no SDK at all) when traces are not configured.
 */

/** A W3C `traceparent` of a sampled trace, with its trace id and parent span id. */
function traceparent(): { readonly header: string; readonly traceId: string; readonly parentId: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

/** Sets `env` in the process environment, where the SDK reads it (restored by `vi.unstubAllEnvs`). */
function stubEnv(env: Record<string, string>): void {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

function only(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found.map((span) => span.name), `spans named ${name} among ${spans.map((span) => span.name).join(', ')}`).toEqual([name]);
  return found[0] as ReceivedSpan;
}

/** The one result of a query or mutation over graphql-ws (a refusal before execution arrives as an error list). */
async function overWs(client: WsClient, request: { readonly query: string; readonly variables?: Record<string, unknown> }): Promise<ExecutionResult> {
  const results: ExecutionResult[] = [];
  for await (const result of client.iterate(request)) results.push(result as ExecutionResult);
  expect(results).toHaveLength(1);
  return results[0] as ExecutionResult;
}

describe('tracing', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await receiver.close();
  });

  describe('with an OTLP endpoint', () => {
    let gateway: Gateway;
    let env: Record<string, string>;

    beforeAll(async () => {
      env = {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'media-graph-e2e',
      };
      // The batch goes out 50 ms after a span ends instead of 5 s, so the tests wait on exports, not on a timer.
      stubEnv({ ...env, OTEL_BSP_SCHEDULE_DELAY: '50' });
      gateway = await startGateway(testGatewayConfig({ EMULATOR_DEMO_FRAGMENT_MS: '50', ...env }), { seedDemo: true, logger: quietLogger() });
    });

    afterAll(async () => {
      await gateway.close();
      vi.unstubAllEnvs();
    });

    it('continues the caller trace through the HTTP, GraphQL operation and upstream spans when a request carries a traceparent', async () => {
      const caller = traceparent();
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: caller.header, 'apollo-federation-include-trace': 'ftv1' },
        body: JSON.stringify({ query: print(ListStreamsDocument), operationName: 'ListStreams', variables: { first: 5 } }),
      });
      const body = (await response.json()) as { data?: { streams: { edges: unknown[] } }; errors?: unknown[]; extensions?: { ftv1?: unknown } };
      expect(body.errors).toBeUndefined();
      expect(body.data?.streams.edges.length).toBeGreaterThan(0);
      // Apollo's inline federated trace still answers the router.
      expect(typeof body.extensions?.ftv1).toBe('string');
      expect(String(body.extensions?.ftv1).length).toBeGreaterThan(0);

      await receiver.until(
        () => ['POST /graphql', 'query ListStreams', 'kinesis ListStreams'].every((name) => receiver.trace(caller.traceId).some((span) => span.name === name)),
        10_000,
        'the HTTP, operation and upstream spans of the trace',
      );
      const spans = receiver.trace(caller.traceId);
      const http = only(spans, 'POST /graphql');
      const operation = only(spans, 'query ListStreams');
      const upstream = spans.filter((span) => span.name === 'kinesis ListStreams');

      expect(http).toMatchObject({ parentSpanId: caller.parentId, kind: SPAN_KIND.server, statusCode: 0, scope: 'media-graph' });
      expect(http.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/graphql',
        'url.path': '/graphql',
        'url.scheme': 'http',
        'http.response.status_code': 200,
        'media_graph.request_id': response.headers.get('x-request-id'),
      });
      expect(http.resource['service.name']).toBe('media-graph-e2e');

      expect(operation).toMatchObject({ parentSpanId: http.spanId, kind: SPAN_KIND.internal, statusCode: 0 });
      expect(operation.attributes).toEqual({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'ListStreams' });

      expect(upstream.length).toBeGreaterThanOrEqual(1);
      for (const call of upstream) {
        expect(call).toMatchObject({ parentSpanId: operation.spanId, kind: SPAN_KIND.client, statusCode: 0 });
        expect(call.attributes).toMatchObject({
          'media_graph.upstream.provider': 'kinesis',
          'media_graph.upstream.endpoint': 'control',
          'media_graph.upstream.operation': 'ListStreams',
          'media_graph.upstream.protocol': 'aws-sdk',
          'media_graph.upstream.outcome': 'ok',
          'media_graph.upstream.attempts': 1,
          'rpc.system': 'aws-api',
          'rpc.method': 'ListStreams',
        });
      }
    });

    it('records an upstream failure on the upstream span when the provider refuses a call', async () => {
      const caller = traceparent();
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: caller.header },
        body: JSON.stringify({ query: 'query MissingStream { stream(name: "no-such-stream") { name } }' }),
      });
      // A stream that does not exist is answered null: the operation succeeds, the upstream call did not.
      expect(await response.json()).toEqual({ data: { stream: null } });
      await receiver.until(() => receiver.trace(caller.traceId).some((span) => span.name === 'POST /graphql'), 10_000, 'the spans of the lookup');
      const spans = receiver.trace(caller.traceId);
      const operation = only(spans, 'query MissingStream');
      expect(operation.statusCode).toBe(0);
      const calls = spans.filter((span) => span.kind === SPAN_KIND.client);
      expect(calls.length).toBeGreaterThanOrEqual(1);
      expect(calls.map((call) => call.parentSpanId)).toEqual(calls.map(() => operation.spanId));
      const failed = calls.filter((call) => call.attributes['media_graph.upstream.outcome'] === 'client_error');
      expect(failed.map((call) => [call.statusCode, call.attributes['error.type']])).toEqual([[2, 'ResourceNotFoundException']]);
    });

    it('puts the error codes on the operation span and marks it failed when the operation answers an error', async () => {
      const caller = traceparent();
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: caller.header },
        body: JSON.stringify({ query: 'query NoStreamNamed { stream { name } }' }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      await receiver.until(() => receiver.trace(caller.traceId).some((span) => span.name === 'POST /graphql'), 10_000, 'the request span');
      const operation = only(receiver.trace(caller.traceId), 'query NoStreamNamed');
      expect(operation.statusCode).toBe(2);
      expect(operation.attributes['media_graph.graphql.error_codes']).toEqual(['BAD_USER_INPUT']);
    });

    it('never exports variables or the document when an operation carries them', async () => {
      const caller = traceparent();
      const marker = `secret-marker-${randomBytes(6).toString('hex')}`;
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: caller.header },
        body: JSON.stringify({ query: print(ListObjectsDocument), variables: { path: `/${marker}`, first: 5 } }),
      });
      expect(response.status).toBe(200);
      await receiver.until(() => receiver.trace(caller.traceId).some((span) => span.name === 'POST /graphql'), 10_000, 'the request span');
      const operation = only(receiver.trace(caller.traceId), 'query ListObjects');
      expect(Object.keys(operation.attributes).sort()).toEqual(['graphql.operation.name', 'graphql.operation.type']);
      expect(receiver.bodies.some((text) => text.includes(marker))).toBe(false);
      expect(receiver.bodies.some((text) => text.includes('edges'))).toBe(false);
    });

    it('traces a subscription as one span from start to end with its delivered events counted when it runs over SSE', async () => {
      const caller = traceparent();
      const aborter = new AbortController();
      const response = await fetch(`${gateway.url}/graphql/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', traceparent: caller.header },
        body: JSON.stringify({ query: print(StreamFragmentsDocument), variables: { stream: DEMO_LIVE_STREAM, start: { type: 'NOW' } } }),
        signal: aborter.signal,
      });
      expect(response.status).toBe(200);
      const reader = response.body?.getReader();
      if (reader === undefined) throw new Error('no body');
      const decoder = new TextDecoder();
      let received = '';
      const nextEvents = (): number => received.split('event: next').length - 1;
      while (nextEvents() < 6) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`stream ended early: ${received}`);
        received += decoder.decode(chunk.value);
      }
      const seen = nextEvents();
      aborter.abort();
      await reader.cancel().catch(() => undefined);

      await receiver.until(
        () => receiver.trace(caller.traceId).some((span) => span.name === 'subscription StreamFragments'),
        10_000,
        'the subscription span after the client went away',
      );
      const spans = receiver.trace(caller.traceId);
      const subscription = only(spans, 'subscription StreamFragments');
      await receiver.until(() => receiver.trace(caller.traceId).some((span) => span.name === 'POST /graphql/stream'), 10_000, 'the SSE request span');
      const http = only(receiver.trace(caller.traceId), 'POST /graphql/stream');
      expect(http.parentSpanId).toBe(caller.parentId);
      expect(subscription).toMatchObject({ parentSpanId: http.spanId, kind: SPAN_KIND.internal });
      expect(subscription.attributes).toMatchObject({
        'graphql.operation.type': 'subscription',
        'graphql.operation.name': 'StreamFragments',
        'media_graph.subscription.transport': 'sse',
        'media_graph.subscription.outcome': 'closed',
      });
      expect(subscription.attributes['media_graph.subscription.events']).toBeGreaterThanOrEqual(seen);
      // Events are counted, not traced: besides the request and the subscription, the trace holds only the upstream
      // calls of the subscription's start (under the request), fewer than the events.
      const others = receiver.trace(caller.traceId).filter((span) => span.spanId !== http.spanId && span.spanId !== subscription.spanId);
      expect(others.filter((span) => span.kind !== SPAN_KIND.client || span.parentSpanId !== http.spanId)).toEqual([]);
      expect(others.length).toBeLessThan(seen);
      // The live reader the subscription started serves every subscriber: its GetMedia is a trace of its own.
      expect(receiver.trace(caller.traceId).some((span) => span.attributes['media_graph.upstream.operation'] === 'GetMedia')).toBe(false);
    });

    it('continues the trace of the upgrade request in a graphql-ws subscription span when the socket carried a traceparent', async () => {
      const caller = traceparent();
      const live = await LiveSubscription.open(`${gateway.url.replace(/^http/, 'ws')}/graphql`, DEMO_LIVE_STREAM, { traceparent: caller.header });
      try {
        await live.until(() => live.fragments.length >= 2, 15_000, 'two live fragments');
      } finally {
        await live.close();
      }
      await receiver.until(() => receiver.trace(caller.traceId).some((span) => span.name === 'subscription StreamFragments'), 10_000, 'the graphql-ws subscription span');
      const subscription = only(receiver.trace(caller.traceId), 'subscription StreamFragments');
      expect(subscription.parentSpanId).toBe(caller.parentId);
      expect(subscription.kind).toBe(SPAN_KIND.server);
      expect(subscription.attributes).toMatchObject({ 'media_graph.subscription.transport': 'ws', 'media_graph.subscription.outcome': 'closed' });
      expect(subscription.attributes['media_graph.subscription.events']).toBeGreaterThanOrEqual(2);
    });

    it('traces each query and mutation over graphql-ws as an operation span continuing the upgrade request trace, with its upstream calls under it', async () => {
      const caller = traceparent();
      // graphql-ws's client takes no headers; the router's traceparent rides on the upgrade request.
      class TracedSocket extends WebSocket {
        constructor(address: string | URL, protocols?: string | string[]) {
          super(address, protocols, { headers: { traceparent: caller.header } });
        }
      }
      const client = createWsClient({ url: `${gateway.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: TracedSocket, retryAttempts: 0, lazy: true });
      const path = `traced/${randomBytes(4).toString('hex')}.txt`;
      try {
        const listed = await overWs(client, { query: print(ListStreamsDocument), variables: { first: 5 } });
        expect(listed.errors).toBeUndefined();
        const put = await overWs(client, { query: print(PutObjectDocument), variables: { input: { path, body: 'traced over ws', contentType: 'text/plain' } } });
        expect(put.errors).toBeUndefined();
        const failed = await overWs(client, { query: 'query NoStreamNamed { stream { name } }' });
        expect(failed.errors?.map((error) => error.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      } finally {
        await client.dispose();
      }

      const names = ['query ListStreams', 'mutation PutObject', 'query NoStreamNamed'];
      await receiver.until(() => names.every((name) => receiver.trace(caller.traceId).some((span) => span.name === name)), 10_000, 'the graphql-ws operation spans');
      const spans = receiver.trace(caller.traceId);
      const query = only(spans, 'query ListStreams');
      const mutation = only(spans, 'mutation PutObject');
      const failedOperation = only(spans, 'query NoStreamNamed');
      // No HTTP span is around them: each is where the work enters the gateway, under the router's span.
      for (const operation of [query, mutation, failedOperation]) expect(operation).toMatchObject({ parentSpanId: caller.parentId, kind: SPAN_KIND.server, scope: 'media-graph' });
      expect(query.attributes).toEqual({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'ListStreams' });
      expect(query.statusCode).toBe(0);
      expect(mutation.attributes).toEqual({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'PutObject' });
      expect(mutation.statusCode).toBe(0);
      expect(failedOperation.statusCode).toBe(2);
      expect(failedOperation.attributes['media_graph.graphql.error_codes']).toEqual(['BAD_USER_INPUT']);

      // Each upstream call hangs under the operation that made it; no HTTP span, and nothing carries the body.
      const listCalls = spans.filter((span) => span.name === 'kinesis ListStreams');
      expect(listCalls.length).toBeGreaterThanOrEqual(1);
      expect(listCalls.map((call) => call.parentSpanId)).toEqual(listCalls.map(() => query.spanId));
      const putCalls = spans.filter((span) => span.kind === SPAN_KIND.client && span.parentSpanId === mutation.spanId);
      expect(putCalls.length).toBeGreaterThanOrEqual(1);
      expect(putCalls.every((call) => call.attributes['media_graph.upstream.outcome'] === 'ok')).toBe(true);
      expect(spans.filter((span) => span.attributes['http.request.method'] !== undefined)).toEqual([]);
      expect(receiver.bodies.some((text) => text.includes('traced over ws'))).toBe(false);
    });

    it('gives probes and scrapes no span when they are requested with a traceparent', async () => {
      const caller = traceparent();
      const before = receiver.spans.length;
      expect((await fetch(`${gateway.url}/healthz`, { headers: { traceparent: caller.header } })).status).toBe(200);
      expect((await fetch(`${gateway.url}/readyz`, { headers: { traceparent: caller.header } })).status).toBe(200);
      // A traced request after them: once its span arrives, anything the probes had produced would have too.
      const after = traceparent();
      await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: after.header },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      await receiver.until(() => receiver.trace(after.traceId).some((span) => span.name === 'POST /graphql'), 10_000, 'the span of the request after the probes');
      expect(receiver.trace(caller.traceId)).toEqual([]);
      // Nor do the readiness checks' upstream calls, in a trace of their own or any other.
      const readinessCalls = ['ListStreams', 'listChannels', 'listMediaAssets', 'HeadBucket', 'ListObjectsV2'];
      expect(receiver.spans.slice(before).filter((span) => readinessCalls.includes(String(span.attributes['media_graph.upstream.operation'])))).toEqual([]);
    });
  });

  describe('without traces configured', () => {
    it('starts no SDK and exports nothing when OTEL_SDK_DISABLED is true, even with an endpoint in the environment', async () => {
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SDK_DISABLED: 'true' };
      stubEnv(env);
      const config = testGatewayConfig(env);
      expect(config.tracing.enabled).toBe(false);
      expect(await startTracing(config.tracing, quietLogger())).toBeUndefined();
      const exportsBefore = receiver.bodies.length;
      const gateway = await startGateway(config, { logger: quietLogger() });
      try {
        expect(activeTracer()).toBeUndefined();
        const response = await fetch(`${gateway.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: traceparent().header },
          body: JSON.stringify({ query: print(ListStreamsDocument), variables: { first: 5 } }),
        });
        expect(response.status).toBe(200);
      } finally {
        // With traces on, close() would have flushed every queued span before returning.
        await gateway.close();
        vi.unstubAllEnvs();
      }
      expect(receiver.bodies.length).toBe(exportsBefore);
      expect(receiver.unexpected).toBe(0);
    });

    it('starts no SDK when no OTLP endpoint is set', async () => {
      const config = testGatewayConfig({ OTEL_SERVICE_NAME: 'media-graph-e2e' });
      expect(config.tracing).toMatchObject({ enabled: false, ignored: ['OTEL_SERVICE_NAME'] });
      expect(await startTracing(config.tracing, quietLogger())).toBeUndefined();
      expect(activeTracer()).toBeUndefined();
    });
  });
});
