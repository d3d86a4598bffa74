import { createClient as createSseClient } from 'graphql-sse';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const STREAM = 'sse-shutdown';
const SUBSCRIPTION = `subscription { streamFragments(stream: "${STREAM}") { __typename ... on StatusEvent { status } } }`;

describe('gateway shutdown with open SSE subscriptions', () => {
  const started: TestGateway[] = [];

  /** A gateway whose Kinesis emulator holds the subscribed stream; closed after the tests if a test did not. */
  async function gatewayWithStream(): Promise<TestGateway> {
    const t = await startTestGateway({ SHUTDOWN_GRACE_MS: '5000' });
    started.push(t);
    t.gateway.emulators.kinesis?.createStream(STREAM);
    return t;
  }

  afterAll(async () => {
    for (const t of started) await t.close();
  });

  it('ends the event stream cleanly with a shutdown comment and no complete event when the gateway stops (R3)', async () => {
    const t = await gatewayWithStream();
    const response = await fetch(`${t.gateway.url}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: SUBSCRIPTION }),
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
    const stopping = t.close();
    // A clean end of the response: the read loop finishes instead of failing on a reset connection.
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      received += decoder.decode(chunk.value);
    }
    await stopping;
    expect(received).toContain(': server shutting down; reconnect to resume\n\n');
    expect(received).not.toContain('event: complete');
  });

  it('lets a graphql-sse client resubscribe on another instance instead of completing when its gateway stops (R3)', async () => {
    const first = await gatewayWithStream();
    const second = await gatewayWithStream();
    let target = first.gateway.url;
    const client = createSseClient({
      url: () => `${target}/graphql/stream`,
      retryAttempts: 3,
      // No backoff: the test waits on the reconnection itself.
      retry: () => Promise.resolve(),
    });
    const events: { url: string; status: unknown }[] = [];
    let completed = false;
    let failure: unknown;
    let onEvent = (): void => undefined;
    const dispose = client.subscribe<{ streamFragments: { status?: string } }>(
      { query: SUBSCRIPTION },
      {
        next: (result) => {
          events.push({ url: target, status: result.data?.streamFragments.status });
          onEvent();
        },
        error: (error) => {
          failure = error;
          onEvent();
        },
        complete: () => {
          completed = true;
          onEvent();
        },
      },
    );
    const until = (done: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        onEvent = () => {
          if (done()) resolve();
        };
        onEvent();
      });
    try {
      await until(() => events.length > 0 || failure !== undefined || completed);
      expect(events[0]?.url).toBe(first.gateway.url);
      // The load balancer's view: the old instance is gone, the next connection reaches the other one.
      target = second.gateway.url;
      await first.close();
      await until(() => events.some((event) => event.url === second.gateway.url) || failure !== undefined || completed);
      expect(completed).toBe(false);
      expect(failure).toBeUndefined();
      expect(events.filter((event) => event.url === second.gateway.url).length).toBeGreaterThan(0);
    } finally {
      dispose();
      client.dispose();
    }
  });
});
