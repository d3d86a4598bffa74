/**
 * What recording and exporting the spans of one traced `ListObjects` request costs by itself, without the gateway:
 * the calls `src/server/tracing.ts` and the upstream observer make for one request (the W3C extraction, the HTTP
 * server span, the GraphQL operation span, the upstream client span, their attributes and ends), repeated in this
 * process with the SDK started by `startTracing` from the OTEL_* variables (OTLP/HTTP protobuf, always_on) and
 * exporting to `ops-otlp-receiver.child.ts`. Requests go in slices of 100 with a pause between them
 * (`MICRO_PAUSE_MS`, default 40: about 2,500 requests/s), so the batch processor keeps up and drops nothing: a
 * faster loop fills its queue and measures less than the export costs. Prints CPU per request of five runs of
 * `MICRO_REQUESTS` (default 10,000), with traces on, and with `MICRO_MODE=off` the loop alone.
 *
 * Run: `node --import tsx bench/support/ops-tracing-micro.ts`.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { activeTracer } from '../../src/core/tracing.js';
import { startTracing } from '../../src/server/tracing.js';
import { startBenchChild, positiveInteger } from './children.js';
import { requireLoopback, runSupervised, type ChildServer } from './ipc.js';
import type { OtlpReceiverCommands, OtlpReceiverReady } from './ops-commands.js';
import { spanTotal } from './ops-otlp.js';

const HEADERS = { host: '127.0.0.1', 'content-type': 'application/json', authorization: 'Bearer x' };

/** The span calls of one request, as the server and the upstream observer make them. */
function oneRequest(): void {
  const tracer = activeTracer();
  if (tracer === undefined) return;
  const parent = propagation.extract(ROOT_CONTEXT, HEADERS);
  const http = tracer.startSpan(
    'POST /graphql',
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'POST', 'url.scheme': 'http', 'url.path': '/graphql', 'network.protocol.version': '1.1', 'http.route': '/graphql', 'media_graph.request_id': 'a-request-id' },
    },
    parent,
  );
  const request = trace.setSpan(parent, http);
  const operation = tracer.startSpan('GraphQL Operation', { kind: SpanKind.INTERNAL }, request);
  operation.setAttribute('graphql.operation.name', 'ListObjects');
  const inOperation = trace.setSpan(request, operation);
  operation.setAttribute('graphql.operation.type', 'query');
  operation.updateName('query ListObjects');
  const upstream = tracer.startSpan(
    's3 ListObjectsV2',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'media_graph.upstream.provider': 's3',
        'media_graph.upstream.endpoint': 'control',
        'media_graph.upstream.operation': 'ListObjectsV2',
        'media_graph.upstream.protocol': 'aws-sdk',
        'rpc.system': 'aws-api',
        'rpc.method': 'ListObjectsV2',
      },
    },
    inOperation,
  );
  context.with(trace.setSpan(context.active(), upstream), () => undefined);
  upstream.setAttribute('media_graph.upstream.outcome', 'ok');
  upstream.setAttribute('media_graph.upstream.attempts', 1);
  upstream.end();
  operation.end();
  http.setAttribute('http.response.status_code', 200);
  http.end();
}


const children = new Set<ChildServer<OtlpReceiverCommands>>();

async function run(): Promise<boolean> {
  const requests = positiveInteger('MICRO_REQUESTS', 10_000);
  const pauseMs = positiveInteger('MICRO_PAUSE_MS', 40);
  const on = process.env['MICRO_MODE'] !== 'off';
  const { server: receiver, info } = await startBenchChild<OtlpReceiverCommands>({ name: 'otlp-receiver', entry: 'ops-otlp-receiver.child.ts', env: {} });
  children.add(receiver);
  const endpoint = requireLoopback('otlp receiver', (info as OtlpReceiverReady).endpoint);
  // The SDK reads the process environment; the configuration only decides whether it starts.
  Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_SAMPLER: 'always_on' });
  const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
  const tracing = on ? await startTracing(config.tracing, createLogger('warn', process.stderr)) : undefined;
  const slices = async (count: number): Promise<void> => {
    for (let done = 0; done < count; done += 100) {
      for (let index = 0; index < 100; index += 1) oneRequest();
      await sleep(pauseMs);
    }
  };
  await slices(requests / 2);
  const perRequest: number[] = [];
  for (let runIndex = 0; runIndex < 5; runIndex += 1) {
    const before = process.cpuUsage();
    await slices(requests);
    const used = process.cpuUsage(before);
    perRequest.push((used.user + used.system) / requests);
  }
  await tracing?.close();
  const received = await receiver.request('received', {});
  process.stdout.write(
    `traces ${on ? 'on' : 'off'}: CPU per request (µs) ${perRequest.map((value) => value.toFixed(1)).join(', ')}; spans received ${spanTotal(received.spans)}, refused ${received.refused}\n`,
  );
  return true;
}

await runSupervised(children, 10 * 60_000, run, async () => {
  for (const child of children) await child.stop();
});
