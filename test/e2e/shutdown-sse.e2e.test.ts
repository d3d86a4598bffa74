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

  it('sends a retryable SHUTTING_DOWN result and a complete event, then ends the stream cleanly, when the gateway stops (R3)', async () => {
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
    const events = received.split('\n\n').filter((event) => event.startsWith('event:'));
    const last = events.slice(-2);
    expect(last[1]).toMatch(/^event: complete\n/);
    const final = JSON.parse(last[0]?.replace(/^event: next\ndata: /, '') ?? '') as { errors?: { extensions?: Record<string, unknown> }[] };
    expect(final.errors?.[0]?.extensions).toEqual({ code: 'SHUTTING_DOWN', retryable: true });
  });

  it('lets a graphql-sse client that subscribes again after SHUTTING_DOWN resume on another instance (R3)', async () => {
    const first = await gatewayWithStream();
    const second = await gatewayWithStream();
    let target = first.gateway.url;
    const client = createSseClient({ url: () => `${target}/graphql/stream`, retryAttempts: 0 });
    const events: { url: string; status: unknown }[] = [];
    const codes: unknown[] = [];
    let completions = 0;
    let failure: unknown;
    let onEvent = (): void => undefined;
    let dispose = (): void => undefined;
    // The documented client pattern: a subscription completed right after SHUTTING_DOWN is subscribed again.
    const subscribe = (): void => {
      let shutDown = false;
      dispose = client.subscribe<{ streamFragments: { status?: string } }>(
        { query: SUBSCRIPTION },
        {
          next: (result) => {
            const code = result.errors?.[0]?.extensions?.['code'];
            if (code !== undefined) codes.push(code);
            if (code === 'SHUTTING_DOWN') shutDown = true;
            else events.push({ url: target, status: result.data?.streamFragments.status });
            onEvent();
          },
          error: (error) => {
            failure = error;
            onEvent();
          },
          complete: () => {
            completions += 1;
            if (shutDown) subscribe();
            onEvent();
          },
        },
      );
    };
    const until = (done: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        onEvent = () => {
          if (done()) resolve();
        };
        onEvent();
      });
    try {
      subscribe();
      await until(() => events.length > 0 || failure !== undefined);
      expect(events[0]?.url).toBe(first.gateway.url);
      // The load balancer's view: the old instance is gone, the next connection reaches the other one.
      target = second.gateway.url;
      await first.close();
      await until(() => events.some((event) => event.url === second.gateway.url) || failure !== undefined);
      expect(failure).toBeUndefined();
      expect(codes).toEqual(['SHUTTING_DOWN']);
      expect(completions).toBe(1);
      expect(events.filter((event) => event.url === second.gateway.url).length).toBeGreaterThan(0);
    } finally {
      dispose();
      client.dispose();
    }
  });

  it('ends each operation of a single-connection stream with SHUTTING_DOWN and complete when the gateway stops (R3)', async () => {
    const t = await gatewayWithStream();
    const client = createSseClient({ url: `${t.gateway.url}/graphql/stream`, singleConnection: true, retryAttempts: 0 });
    const results: { code: unknown; status: unknown }[] = [];
    let completed = false;
    let failure: unknown;
    let onEvent = (): void => undefined;
    const until = (done: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        onEvent = () => {
          if (done()) resolve();
        };
        onEvent();
      });
    const dispose = client.subscribe<{ streamFragments: { status?: string } }>(
      { query: SUBSCRIPTION },
      {
        next: (result) => {
          results.push({ code: result.errors?.[0]?.extensions?.['code'], status: result.data?.streamFragments.status });
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
    try {
      await until(() => results.length > 0 || failure !== undefined || completed);
      await t.close();
      await until(() => completed || failure !== undefined);
      expect(failure).toBeUndefined();
      expect(results.at(-1)?.code).toBe('SHUTTING_DOWN');
    } finally {
      dispose();
      client.dispose();
    }
  });
});
