import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('gateway shutdown with open SSE subscriptions', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ SHUTDOWN_GRACE_MS: '5000' });
    t.gateway.emulators.kinesis?.createStream('sse-shutdown');
  });

  afterAll(async () => {
    await t.close();
  });

  it('cuts the event stream without a complete event so the client resumes elsewhere when the gateway stops', async () => {
    const response = await fetch(`${t.gateway.url}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: 'subscription { streamFragments(stream: "sse-shutdown") { __typename ... on StatusEvent { status } } }',
      }),
    });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    const decoder = new TextDecoder();
    let received = '';
    // The first event (the upstream status) proves the subscription is live.
    while (!received.includes('event: next')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`stream ended early: ${received}`);
      received += decoder.decode(chunk.value);
    }
    const stopping = t.gateway.close();
    let cut = false;
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        received += decoder.decode(chunk.value);
      }
    } catch {
      // The expected outcome: the connection was terminated under the reader.
      cut = true;
    }
    await stopping;
    expect(received).not.toContain('event: complete');
    expect(cut).toBe(true);
  });
});
