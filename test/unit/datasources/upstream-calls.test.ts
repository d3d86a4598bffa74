import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDomainError } from '../../../src/core/domain-error.js';
import { createLogger } from '../../../src/core/logger.js';
import { runInRequestScope } from '../../../src/core/request-scope.js';
import { setActiveTracer } from '../../../src/core/tracing.js';
import { awsAttempts, DEFAULT_BREAKER_SETTINGS, UpstreamEndpoint, UpstreamEndpoints } from '../../../src/datasources/upstream-calls.js';

const logger = createLogger('silent');

/** An AWS SDK error as the SDK throws it: a name and the response metadata. */
function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status, attempts: 2 } });
}

describe('UpstreamEndpoint spans', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

  beforeEach(() => {
    exporter.reset();
    setActiveTracer(provider.getTracer('test'));
  });

  afterEach(() => {
    setActiveTracer(undefined);
  });

  it('records one client span with provider, endpoint, operation, protocol, outcome and attempts when a call succeeds', async () => {
    const endpoint = new UpstreamEndpoints(DEFAULT_BREAKER_SETTINGS, logger).endpoint('kinesis', 'control', 'aws-sdk');
    // What the AWS SDK's middleware stack hands back at the initialize step: the output carries the metadata.
    const result = await endpoint.run('ListStreams', () => Promise.resolve({ output: { $metadata: { attempts: 3 } } }), awsAttempts);
    expect(result.output.$metadata.attempts).toBe(3);
    const [span, ...rest] = exporter.getFinishedSpans();
    expect(rest).toEqual([]);
    expect(span?.name).toBe('kinesis ListStreams');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).toEqual({
      'media_graph.upstream.provider': 'kinesis',
      'media_graph.upstream.endpoint': 'control',
      'media_graph.upstream.operation': 'ListStreams',
      'media_graph.upstream.protocol': 'aws-sdk',
      'media_graph.upstream.outcome': 'ok',
      'media_graph.upstream.attempts': 3,
      'rpc.system': 'aws-api',
      'rpc.method': 'ListStreams',
    });
  });

  it('marks the span failed with the SDK error name and never its message when the provider refuses the call', async () => {
    const endpoint = new UpstreamEndpoint('s3', 'bucket.example', DEFAULT_BREAKER_SETTINGS, logger);
    await expect(endpoint.run('GetObject', () => Promise.reject(awsError('NoSuchKey', 404)), awsAttempts)).rejects.toThrow('NoSuchKey happened');
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'client_error' });
    expect(span?.attributes).toMatchObject({ 'media_graph.upstream.outcome': 'client_error', 'error.type': 'NoSuchKey', 'media_graph.upstream.attempts': 2 });
    expect(JSON.stringify(span?.attributes)).not.toContain('happened');
    // An endpoint that is neither AWS nor gRPC: no RPC attributes.
    expect(span?.attributes['media_graph.upstream.protocol']).toBe('http');
    expect(span?.attributes['rpc.system']).toBeUndefined();
  });

  it('records a span for a call the open breaker refuses without calling when the endpoint keeps failing', async () => {
    const endpoint = new UpstreamEndpoint('livestream', 'grpc', { ...DEFAULT_BREAKER_SETTINGS, consecutiveFailures: 1 }, logger, 'grpc');
    const unavailable = Object.assign(new Error('unavailable'), { code: 14 });
    await expect(endpoint.run('getChannel', () => Promise.reject(unavailable))).rejects.toBe(unavailable);
    let called = false;
    const refused = await endpoint
      .run('getChannel', () => {
        called = true;
        return Promise.resolve('never');
      })
      .catch((error: unknown) => error);
    expect(called).toBe(false);
    expect(isDomainError(refused) && refused.code).toBe('UPSTREAM_UNAVAILABLE');
    const [failed, fast] = exporter.getFinishedSpans();
    expect(failed?.attributes).toMatchObject({ 'media_graph.upstream.outcome': 'server_error', 'rpc.system': 'grpc' });
    expect(fast?.name).toBe('livestream getChannel');
    expect(fast?.status.code).toBe(SpanStatusCode.ERROR);
    expect(fast?.attributes).toMatchObject({ 'media_graph.upstream.outcome': 'breaker_open', 'error.type': 'breaker_open' });
  });

  it('hangs the span under the request trace position when a request makes the call', async () => {
    const parent = provider.getTracer('test').startSpan('query ListStreams');
    const scope = { requestId: 'r-1', logger, upstreamCalls: 0, trace: { parent: () => trace.setSpan(ROOT_CONTEXT, parent) } };
    const endpoint = new UpstreamEndpoint('oci', 'mediaservices', DEFAULT_BREAKER_SETTINGS, logger);
    expect(await runInRequestScope(scope, () => endpoint.run('listMediaAssets', () => Promise.resolve('listed')))).toBe('listed');
    parent.end();
    const span = exporter.getFinishedSpans().find((finished) => finished.name === 'oci listMediaAssets');
    expect(span?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(span?.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(scope.upstreamCalls).toBe(1);
  });

  it('records nothing and still runs the call when traces are off', async () => {
    setActiveTracer(undefined);
    const endpoint = new UpstreamEndpoint('kinesis', 'control', DEFAULT_BREAKER_SETTINGS, logger, 'aws-sdk');
    expect(await endpoint.run('ListStreams', () => Promise.resolve('listed'))).toBe('listed');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('awsAttempts', () => {
  it('reads the attempts from an error, and from the output when the middleware stack returns a result', () => {
    expect(awsAttempts(awsError('ThrottlingException', 400))).toBe(2);
    expect(awsAttempts({ output: { $metadata: { attempts: 4 } }, response: {} })).toBe(4);
    expect(awsAttempts({ output: {} })).toBeUndefined();
    expect(awsAttempts(undefined)).toBeUndefined();
  });
});
