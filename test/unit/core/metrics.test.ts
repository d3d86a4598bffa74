import { afterEach, describe, expect, it } from 'vitest';
import {
  graphqlOperationDuration,
  liveFragmentsReceived,
  metricsRegistry,
  operationLabel,
  OTHER_LABEL,
  setKnownOperations,
  setLabelledStreams,
  streamLabel,
} from '../../../src/core/metrics.js';

async function seriesOf(name: string): Promise<number> {
  const metric = metricsRegistry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no family ${name}`);
  return (await metric.get()).values.length;
}

describe('metrics', () => {
  afterEach(() => {
    setKnownOperations([]);
    setLabelledStreams([]);
  });

  it('keeps the label sets bounded when 10,000 distinct operation and stream names are recorded', async () => {
    setKnownOperations(['ListObjects', 'ListStreams']);
    setLabelledStreams(['lobby-cam']);
    const operationsBefore = await seriesOf('media_graph_graphql_operation_duration_seconds');
    const streamsBefore = await seriesOf('media_graph_live_fragments_received_total');
    for (let i = 0; i < 10_000; i += 1) {
      graphqlOperationDuration.labels('query', operationLabel(`ClientOperation${String(i)}`), 'ok').observe(0.01);
      liveFragmentsReceived.labels(streamLabel(`stream-${String(i)}`)).inc();
    }
    graphqlOperationDuration.labels('query', operationLabel('ListObjects'), 'ok').observe(0.01);
    liveFragmentsReceived.labels(streamLabel('lobby-cam')).inc();
    // A histogram series is its buckets plus _sum and _count: count only new label sets (at most `other` + the known).
    const buckets = 12 + 1 + 2;
    expect((await seriesOf('media_graph_graphql_operation_duration_seconds')) - operationsBefore).toBeLessThanOrEqual(2 * buckets);
    expect((await seriesOf('media_graph_live_fragments_received_total')) - streamsBefore).toBeLessThanOrEqual(2);
    expect(operationLabel('ClientOperation42')).toBe(OTHER_LABEL);
    expect(operationLabel('ListObjects')).toBe('ListObjects');
    expect(operationLabel(undefined)).toBe('anonymous');
    expect(streamLabel('stream-7')).toBe(OTHER_LABEL);
    expect(streamLabel('lobby-cam')).toBe('lobby-cam');
  });
});
