import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { countOtlpSpans, spanTotal } from '../../../bench/support/ops-otlp.js';
import { stopMetricRecording } from '../../../bench/support/ops-recording.js';
import { missedTargets, targetChecks, OPS_CONFIGS, type OpsConfig, type OpsRequestResults, type OpsResults, type OpsRound } from '../../../bench/support/ops-report.js';

describe('ops-recording stopMetricRecording', () => {
  function families(registry: Registry): { counter: Counter<'code'>; gauge: Gauge<'transport'>; histogram: Histogram<'outcome'> } {
    return {
      counter: new Counter({ name: 'c_total', help: 'c', labelNames: ['code'] as const, registers: [registry] }),
      gauge: new Gauge({ name: 'g', help: 'g', labelNames: ['transport'] as const, registers: [registry] }),
      histogram: new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['outcome'] as const, buckets: [1], registers: [registry] }),
    };
  }

  function record(metrics: ReturnType<typeof families>): void {
    metrics.counter.labels('OK').inc();
    metrics.counter.inc({ code: 'OK' }, 2);
    const active = metrics.gauge.labels('ws');
    active.inc();
    active.dec();
    metrics.gauge.set({ transport: 'sse' }, 5);
    metrics.histogram.labels('ok').observe(0.5);
    metrics.histogram.labels('ok').startTimer()();
    metrics.histogram.observe({ outcome: 'error' }, 2);
  }

  it('records samples when recording was not stopped', async () => {
    const registry = new Registry();
    record(families(registry));
    const values = (await registry.getMetricsAsJSON()).flatMap((family) => family.values);
    expect(values.length).toBeGreaterThan(0);
  });

  it('records no sample through the families or their labelled children when recording was stopped', async () => {
    const registry = new Registry();
    const metrics = families(registry);
    expect(stopMetricRecording(registry)).toBe(3);
    record(metrics);
    const values = (await registry.getMetricsAsJSON()).flatMap((family) => family.values);
    expect(values).toEqual([]);
  });
});

/** Protobuf encoding of the few shapes an OTLP export needs, for building bodies by hand. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

function field(number: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(varint(number * 8 + 2)), Buffer.from(varint(bytes.length)), bytes]);
}

function span(name: string): Buffer {
  // trace_id (bytes), name, kind (varint), start_time_unix_nano (fixed64): every wire type a span uses.
  return Buffer.concat([
    field(1, Buffer.alloc(16, 1)),
    field(5, Buffer.from(name)),
    Buffer.from([6 * 8, 2]),
    Buffer.concat([Buffer.from([7 * 8 + 1]), Buffer.alloc(8, 0xff)]),
  ]);
}

function exportRequest(scopes: readonly (readonly string[])[]): Buffer {
  const resource = field(1, field(1, Buffer.from('attributes')));
  const scopeSpans = scopes.map((names) => field(2, Buffer.concat([field(1, Buffer.from('scope')), ...names.map((name) => field(2, span(name)))])));
  return field(1, Buffer.concat([resource, ...scopeSpans]));
}

describe('ops-otlp countOtlpSpans', () => {
  it('counts the spans of every scope by name when the body is protobuf', () => {
    const body = exportRequest([['POST /graphql', 'query ListObjects'], ['s3 ListObjectsV2', 'POST /graphql']]);
    const spans = countOtlpSpans(body, 'application/x-protobuf');
    expect(spans).toEqual({ 'POST /graphql': 2, 'query ListObjects': 1, 's3 ListObjectsV2': 1 });
    expect(spanTotal(spans)).toBe(4);
  });

  it('counts the spans by name when the body is JSON', () => {
    const body = Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a' }, { name: 'b' }] }, { spans: [{ name: 'a' }] }] }] }));
    expect(countOtlpSpans(body, 'application/json; charset=utf-8')).toEqual({ a: 2, b: 1 });
  });

  it('throws when a protobuf field runs past the end of the body', () => {
    const body = exportRequest([['POST /graphql']]);
    expect(() => countOtlpSpans(body.subarray(0, body.length - 3), 'application/x-protobuf')).toThrow(RangeError);
  });
});

/** A request part whose every configuration costs `cpuUs[config]` per request in every round. */
function requestPart(cpuUs: Readonly<Record<OpsConfig, readonly number[]>>): OpsRequestResults {
  const rounds = cpuUs.bare.length;
  const runs: OpsRound[] = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const config of OPS_CONFIGS) {
      const requests = 1_000;
      const cost = cpuUs[config][round] as number;
      runs.push({ config, round, scrapes: 0, windowMs: 2_000, requests, gatewayUserUs: cost * requests, gatewaySystemUs: 0, emulatorCpuUs: 0, clientCpuUs: 0, otherCpuUs: 0, p50Ms: 1, p99Ms: 2 });
    }
  }
  return {
    concurrency: 16,
    firstWarmupMs: 3_000,
    roundWarmupMs: 500,
    windowMs: 2_000,
    rounds,
    scrapeIntervalMs: 2_000,
    operation: 'ListObjects',
    variables: '{}',
    folderObjects: 100,
    otlpProtocol: 'http/protobuf',
    runs,
    tracing: { answered: 0, spansPerAnswer: [], received: { exports: 0, spans: {}, bytes: 0, refused: 0, firstRefusal: null } },
    scrapes: { count: 0, medianMs: 0, medianBytes: 0, answered: 0, recorded: null },
  };
}

function results(requests: OpsRequestResults): OpsResults {
  return {
    date: '2026-12-07',
    machine: 'test',
    loadAverageStart: 1,
    loadAverageEnd: 1,
    command: 'npm run bench:ops',
    requests,
    fanout: null,
    targets: { metricsCpu: 0.03, tracingCpu: 0.1, fanoutCpu: 0.05 },
  };
}

describe('ops-report targetChecks', () => {
  const noise = [0.98, 1.01, 0.99, 1.02, 1.0, 0.97, 1.03, 1.0, 0.99, 1.01, 1.02, 0.98];
  const times = (factor: number): number[] => noise.map((value) => 1_000 * value * factor);
  const flat = (value: number): number[] => noise.map(() => value);

  it('meets every request target when off matches bare within noise, metrics costs 2% and tracing 8% over off', () => {
    const part = requestPart({ bare: flat(1_000), off: times(1), metrics: flat(1_020), tracing: flat(1_080), both: flat(1_100) });
    expect(targetChecks(results(part)).map((check) => [check.comparison, check.met])).toEqual([
      ['off / bare, CPU per request', true],
      ['metrics / bare, CPU per request', true],
      ['tracing / off, CPU per request', true],
    ]);
    expect(missedTargets(results(part))).toEqual([]);
  });

  it('misses the both-off target when off costs 2% more than bare in every round', () => {
    const part = requestPart({ bare: flat(1_000), off: flat(1_020), metrics: flat(1_020), tracing: flat(1_100), both: flat(1_100) });
    expect(missedTargets(results(part))).toEqual(['both off ≈ 0 (within noise): off / bare, CPU per request 1.020 (1.020 – 1.020) (target: interval holds 1.000)']);
  });

  it('misses the metrics target when metrics costs 4% more than bare', () => {
    const part = requestPart({ bare: flat(1_000), off: times(1), metrics: flat(1_040), tracing: times(1), both: flat(1_040) });
    expect(missedTargets(results(part))).toEqual(['metrics < 3.0% CPU per request: metrics / bare, CPU per request 1.040 (1.040 – 1.040) (target: median < 1.030)']);
  });
});
