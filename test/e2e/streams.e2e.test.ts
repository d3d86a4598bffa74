import { print, type GraphQLFormattedError } from 'graphql';
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { compareFragmentNumbers } from '../../src/mkv/index.js';
import {
  GetStreamDocument,
  ListFragmentsDocument,
  ListStreamsDocument,
  StreamFragmentsDocument,
  type ListFragmentsQuery,
  type ListStreamsQuery,
  type StreamFragmentsSubscription,
} from '../generated/graphql.js';
import { errorCodes, execute, postGraphql, startTestGateway, type GraphqlResponse, type TestGateway } from '../helpers/gateway.js';
import { within } from '../helpers/within.js';

/*
 * The Streams API end to end: a gateway configured with KINESIS_ENDPOINT pointing at a Kinesis Video emulator
 * (accelerated producers, short idle end) and a short LIVE_LINGER_MS, queried over HTTP and subscribed to over
 * graphql-ws and graphql-sse.
 */

const LIVE = 'e2e-live';
const SHARED = 'e2e-shared';
const SSE_ONLY = 'e2e-sse';
const ARCHIVE = 'e2e-archive';
const EXTRA = ['e2e-idle-a', 'e2e-idle-b', 'e2e-idle-c', 'e2e-idle-d'];
const LINGER_MS = 150;
const PRODUCER = { fragmentIntervalMs: 50, fps: 20, frameBytes: 512 } as const;
/** Archived fragments: one a second from this time (inside the 24 h retention). */
const ARCHIVE_T0 = Math.floor(Date.now() / 1_000) * 1_000 - 60_000;

type StreamEvent = StreamFragmentsSubscription['streamFragments'];

interface Outcome<T> {
  readonly data?: T | null;
  readonly errors?: readonly GraphQLFormattedError[];
}

/**
 * Pulls a subscription's results in the background: fragments, events, and how it ended (an `error` message
 * rejects a graphql-ws iterator with the errors; a result with `errors` is how a failed subscribe arrives).
 */
class SubscriptionReader<T extends { readonly streamFragments: StreamEvent }> {
  readonly fragments: string[] = [];
  readonly events: StreamEvent[] = [];
  errors: readonly GraphQLFormattedError[] = [];
  private readonly listeners = new Set<() => void>();
  private done = false;
  private readonly finished: Promise<void>;

  constructor(private readonly results: AsyncIterableIterator<Outcome<T>>) {
    this.finished = this.pump();
  }

  /** Resolves once `condition` holds (or rejects when the subscription ends first, or after `ms`). */
  until(condition: (reader: this) => boolean, ms: number, what: string): Promise<void> {
    const waiting = new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (condition(this)) {
          this.listeners.delete(check);
          resolve();
        } else if (this.done) {
          this.listeners.delete(check);
          reject(new Error(`the subscription ended (${JSON.stringify(this.errors)}) before ${what}`));
        }
      };
      this.listeners.add(check);
      check();
    });
    return within(waiting, ms, what);
  }

  /** Resolves when the subscription has ended by itself. */
  ended(ms: number): Promise<void> {
    return within(this.finished, ms, 'the subscription to end');
  }

  /** Leaves the subscription. */
  async stop(): Promise<void> {
    await this.results.return?.();
    await within(this.finished, 5_000, 'the subscription to stop');
  }

  private async pump(): Promise<void> {
    try {
      for await (const result of this.results) {
        if (result.errors !== undefined) this.errors = result.errors;
        const event = result.data?.streamFragments;
        if (event !== undefined && event !== null) {
          this.events.push(event);
          if (event.__typename === 'FragmentEvent') this.fragments.push(event.fragment.fragmentNumber);
        }
        this.notify();
      }
    } catch (error) {
      // graphql-ws rejects with the GraphQL errors of an `error` message; anything else is a transport failure.
      if (!Array.isArray(error)) throw error;
      this.errors = error as GraphQLFormattedError[];
    } finally {
      this.done = true;
      this.notify();
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** The emulator's fragment numbers of `stream`, oldest first. */
function numbersOf(kinesis: KinesisVideoEmulator, stream: string): string[] {
  return kinesis.fragments(stream).map((fragment) => fragment.fragmentNumber);
}

describe('Streams API over HTTP, graphql-ws and SSE', () => {
  let kinesis: KinesisVideoEmulator;
  let t: TestGateway;
  let wsUrl: string;
  const stopProducers: (() => void)[] = [];

  beforeAll(async () => {
    kinesis = await KinesisVideoEmulator.start({ idleEndMs: 200 });
    kinesis.createStream(LIVE, { retentionHours: 24, mediaType: 'video/h264' });
    kinesis.createStream(SHARED, { retentionHours: 24, mediaType: 'video/h264' });
    kinesis.createStream(SSE_ONLY, { retentionHours: 24, mediaType: 'video/h264' });
    kinesis.createStream(ARCHIVE, { retentionHours: 24, mediaType: 'video/h264' });
    for (const name of EXTRA) kinesis.createStream(name, { retentionHours: 2 });
    for (let i = 0; i < 10; i += 1) {
      const at = ARCHIVE_T0 + i * 1_000;
      kinesis.addFragment(ARCHIVE, { serverTimestamp: at, producerTimestamp: at, durationMs: 1_000, fps: 2, frameBytes: 256 });
    }
    stopProducers.push(kinesis.startProducer(LIVE, PRODUCER), kinesis.startProducer(SHARED, PRODUCER), kinesis.startProducer(SSE_ONLY, PRODUCER));
    t = await startTestGateway({ KINESIS_ENDPOINT: kinesis.endpoint, LIVE_LINGER_MS: String(LINGER_MS), LIVE_IDLE_TIMEOUT_MS: '1000' });
    wsUrl = t.graphqlUrl.replace(/^http/, 'ws');
  });

  afterAll(async () => {
    for (const stop of stopProducers) stop();
    await t.close();
    await kinesis.close();
  });

  function wsClient(): WsClient {
    return createWsClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  }

  function sseClient(): SseClient {
    return createSseClient({ url: `${t.gateway.url}/graphql/stream`, retryAttempts: 0 });
  }

  it('visits every stream exactly once when paging streams with first: 2', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: GraphqlResponse<ListStreamsQuery> = await execute(t.graphqlUrl, ListStreamsDocument, { first: 2, after });
      expect(page.errors).toBeUndefined();
      const connection = page.data?.streams;
      if (connection === undefined) throw new Error('no data');
      expect(connection.edges.length).toBeLessThanOrEqual(2);
      seen.push(...connection.edges.map((edge) => edge.node.name));
      pages += 1;
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor ?? null;
    }
    expect([...seen].sort()).toEqual([LIVE, SHARED, SSE_ONLY, ARCHIVE, ...EXTRA].sort());
    expect(pages).toBe(4);
  });

  it('returns the same stream by name and by ARN, and null for an unknown name', async () => {
    const byName = await execute(t.graphqlUrl, GetStreamDocument, { name: ARCHIVE, arn: null });
    const stream = byName.data?.stream;
    expect(stream).toMatchObject({ name: ARCHIVE, status: 'ACTIVE', mediaType: 'video/h264', retentionHours: 24, kmsEncrypted: false });
    expect(stream?.arn).toBe(kinesis.streamInfo(ARCHIVE)?.arn);
    const byArn = await execute(t.graphqlUrl, GetStreamDocument, { name: null, arn: stream?.arn ?? '' });
    expect(byArn.data?.stream).toEqual(stream);
    const unknown = await execute(t.graphqlUrl, GetStreamDocument, { name: 'no-such-stream', arn: null });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data?.stream).toBeNull();
    const both = await execute(t.graphqlUrl, GetStreamDocument, { name: ARCHIVE, arn: stream?.arn ?? '' });
    expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
  });

  it('pages archived fragments and filters them by a time range', async () => {
    const expected = kinesis.fragments(ARCHIVE).map((fragment) => fragment.fragmentNumber);
    expect(expected).toHaveLength(10);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: GraphqlResponse<ListFragmentsQuery> = await execute(t.graphqlUrl, ListFragmentsDocument, { name: ARCHIVE, first: 3, after, from: null, to: null });
      expect(page.errors).toBeUndefined();
      const connection = page.data?.stream?.fragments;
      if (connection === undefined) throw new Error('no data');
      seen.push(...connection.edges.map((edge) => edge.node.fragmentNumber));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor ?? null;
    }
    expect([...seen].sort(compareFragmentNumbers)).toEqual(expected);

    // Fragments 2 to 5 start inside [t0 + 1.5 s, t0 + 5.5 s].
    const ranged = await execute(t.graphqlUrl, ListFragmentsDocument, {
      name: ARCHIVE,
      first: 100,
      after: null,
      from: new Date(ARCHIVE_T0 + 1_500).toISOString(),
      to: new Date(ARCHIVE_T0 + 5_500).toISOString(),
    });
    expect(ranged.errors).toBeUndefined();
    const nodes = ranged.data?.stream?.fragments.edges.map((edge) => edge.node) ?? [];
    expect(nodes.map((node) => node.fragmentNumber).sort(compareFragmentNumbers)).toEqual(expected.slice(2, 6));
    expect(nodes.map((node) => node.serverTimestamp).sort()).toEqual([2, 3, 4, 5].map((i) => new Date(ARCHIVE_T0 + i * 1_000).toISOString()));
    expect(nodes.every((node) => node.durationMs === 1_000)).toBe(true);
  });

  it('pages archived fragments with cursors when `to` or both bounds are left out', async () => {
    const expected = numbersOf(kinesis, ARCHIVE);
    const query = (args: string): string =>
      `query ($after: String) { stream(name: "${ARCHIVE}") { fragments(first: 3, after: $after${args}) { edges { node { fragmentNumber } } pageInfo { hasNextPage endCursor } } } }`;
    type Page = { stream: { fragments: { edges: { node: { fragmentNumber: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null };
    // No bounds at all; only `from` (so `to` is "now" at every request).
    for (const [args, want] of [
      ['', expected],
      [`, from: "${new Date(ARCHIVE_T0 + 3_500).toISOString()}"`, expected.slice(4)],
    ] as const) {
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: GraphqlResponse<Page> = await postGraphql<Page>(t.graphqlUrl, { query: query(args), variables: { after } });
        expect({ args, errors: page.errors }).toEqual({ args, errors: undefined });
        const connection = page.data?.stream?.fragments;
        if (connection === undefined) throw new Error('no data');
        seen.push(...connection.edges.map((edge) => edge.node.fragmentNumber));
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      expect([...seen].sort(compareFragmentNumbers)).toEqual(want);
    }
  });

  it('resolves a Stream through node(id) and through _entities', async () => {
    const stream = (await execute(t.graphqlUrl, GetStreamDocument, { name: ARCHIVE, arn: null })).data?.stream;
    if (stream === null || stream === undefined) throw new Error('no stream');
    const node = await postGraphql<{ node: { __typename: string; id: string; name?: string; arn?: string } | null }>(t.graphqlUrl, {
      query: 'query ($id: ID!) { node(id: $id) { __typename id ... on Stream { name arn } } }',
      variables: { id: stream.id },
    });
    expect(node.errors).toBeUndefined();
    expect(node.data?.node).toEqual({ __typename: 'Stream', id: stream.id, name: ARCHIVE, arn: stream.arn });
    const entities = await postGraphql<{ _entities: ({ __typename: string; id: string; name: string } | null)[] }>(t.graphqlUrl, {
      query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on Stream { id name } } }',
      variables: { representations: [{ __typename: 'Stream', id: stream.id }] },
    });
    expect(entities.errors).toBeUndefined();
    expect(entities.data?._entities).toEqual([{ __typename: 'Stream', id: stream.id, name: ARCHIVE }]);
  });

  it('delivers live fragments in order over graphql-ws', async () => {
    const client = wsClient();
    try {
      // An explicit `start: null` means NOW, like an omitted one.
      const r = new SubscriptionReader(client.iterate<StreamFragmentsSubscription>({ query: print(StreamFragmentsDocument), variables: { stream: LIVE, start: null } }));
      await r.until((x) => x.fragments.length >= 15, 10_000, '15 fragments over graphql-ws');
      await r.stop();
      expect(r.errors).toEqual([]);
      const all = numbersOf(kinesis, LIVE);
      const first = all.indexOf(r.fragments[0] ?? '');
      expect(first).toBeGreaterThanOrEqual(0);
      expect(r.fragments).toEqual(all.slice(first, first + r.fragments.length));
      expect(r.events.filter((event) => event.__typename === 'GapEvent')).toEqual([]);
      expect(r.events.find((event) => event.__typename === 'FragmentEvent')).toMatchObject({
        stream: LIVE,
        fragment: { frameCount: 1, keyframeCount: 1, tracks: [{ trackNumber: 1, codecId: 'V_MPEG4/ISO/AVC' }] },
      });
    } finally {
      await client.dispose();
    }
  });

  it('delivers live fragments in order over SSE when resuming after a fragment number', async () => {
    const client = sseClient();
    try {
      const from = numbersOf(kinesis, LIVE).at(-5) ?? '';
      const r = new SubscriptionReader(
        client.iterate<StreamFragmentsSubscription>({ query: print(StreamFragmentsDocument), variables: { stream: LIVE, start: { type: 'FRAGMENT_NUMBER', fragmentNumber: from } } }),
      );
      await r.until((x) => x.fragments.length >= 10, 10_000, '10 fragments over SSE');
      await r.stop();
      expect(r.errors).toEqual([]);
      const all = numbersOf(kinesis, LIVE);
      const start = all.indexOf(from) + 1;
      expect(r.fragments).toEqual(all.slice(start, start + r.fragments.length));
    } finally {
      client.dispose();
    }
  });

  it('fails a subscription to an unknown stream with NOT_FOUND and makes no GetMedia call', async () => {
    const client = wsClient();
    try {
      const r = new SubscriptionReader(client.iterate<StreamFragmentsSubscription>({ query: print(StreamFragmentsDocument), variables: { stream: 'no-such-stream' } }));
      await r.ended(5_000);
      expect(r.fragments).toEqual([]);
      expect(r.errors.map((error) => error.extensions?.['code'])).toEqual(['NOT_FOUND']);
      expect(kinesis.getMediaCalls('no-such-stream')).toEqual([]);
      expect(t.gateway.services.hub.stats('no-such-stream')).toMatchObject({ subscribers: 0, liveReaderRunning: false });
    } finally {
      await client.dispose();
    }
  });

  it('refuses a bad start position with BAD_USER_INPUT and makes no GetMedia call', async () => {
    const callsBefore = kinesis.getMediaCalls(ARCHIVE).length;
    const client = wsClient();
    const sse = sseClient();
    try {
      const starts = [
        { type: 'FRAGMENT_NUMBER' },
        { type: 'FRAGMENT_NUMBER', fragmentNumber: '12ab' },
        { type: 'SERVER_TIMESTAMP' },
        { type: 'FRAGMENT_NUMBER', fragmentNumber: null },
        { type: 'CONTINUATION_TOKEN', continuationToken: '' },
        { type: 'CONTINUATION_TOKEN', continuationToken: 'not a token!' },
        { type: 'YESTERDAY' },
      ];
      for (const start of starts) {
        const r = new SubscriptionReader(client.iterate<StreamFragmentsSubscription>({ query: print(StreamFragmentsDocument), variables: { stream: ARCHIVE, start } }));
        await r.ended(5_000);
        expect({ start, codes: r.errors.map((error) => error.extensions?.['code']) }).toEqual({ start, codes: ['BAD_USER_INPUT'] });
      }
      const overSse = new SubscriptionReader(
        sse.iterate<StreamFragmentsSubscription>({ query: print(StreamFragmentsDocument), variables: { stream: ARCHIVE, start: { type: 'FRAGMENT_NUMBER' } } }),
      );
      await overSse.ended(5_000);
      expect(overSse.errors.map((error) => error.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      expect(kinesis.getMediaCalls(ARCHIVE)).toHaveLength(callsBefore);
    } finally {
      await client.dispose();
      sse.dispose();
    }
  });

  it('ends a subscription with BAD_USER_INPUT after one GetMedia call when Kinesis refuses its continuation token', async () => {
    const tokenCalls = (): number =>
      kinesis.requests.filter((request) => {
        const selector = request.input?.['StartSelector'];
        return request.operation === 'GetMedia' && typeof selector === 'object' && selector !== null && 'ContinuationToken' in selector;
      }).length;
    const before = tokenCalls();
    const client = wsClient();
    try {
      // Well-formed for GetMedia, but not a token the service issued.
      const r = new SubscriptionReader(
        client.iterate<StreamFragmentsSubscription>({ query: print(StreamFragmentsDocument), variables: { stream: ARCHIVE, start: { type: 'CONTINUATION_TOKEN', continuationToken: 'unknown-token' } } }),
      );
      await r.ended(5_000);
      expect(r.errors.map((error) => error.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      // Tried once, not retried (the shared live reader the subscription started makes the other call).
      expect(tokenCalls()).toBe(before + 1);
    } finally {
      await client.dispose();
    }
  });

  it('shares one upstream GetMedia between clients subscribed at NOW and releases it after the linger when they leave', async () => {
    const hub = t.gateway.services.hub;
    await within(kinesis.waitForActiveGetMedia(SHARED, 0), 2_000, 'no session on the shared stream');
    const arn = kinesis.streamInfo(SHARED)?.arn ?? '';
    const first = wsClient();
    const second = wsClient();
    // Different documents and stream references (name, ARN), so only the hub can merge them.
    const byName = new SubscriptionReader(first.iterate<StreamFragmentsSubscription>({ query: print(StreamFragmentsDocument), variables: { stream: SHARED, start: { type: 'NOW' } } }));
    const byArn = new SubscriptionReader(
      second.iterate<{ readonly streamFragments: StreamEvent }>({
        query: 'subscription ($stream: String!) { streamFragments(stream: $stream, start: { type: NOW }) { __typename ... on FragmentEvent { stream fragment { fragmentNumber } } } }',
        variables: { stream: arn },
      }),
    );
    try {
      await Promise.all([byName, byArn].map((r) => r.until((x) => x.fragments.length >= 5, 5_000, '5 fragments on each client')));
      expect(hub.stats(SHARED)).toMatchObject({ subscribers: 2, liveReaderRunning: true, upstreamSessions: 1 });
      expect(kinesis.getMediaCalls(SHARED)).toHaveLength(1);
      expect(kinesis.activeGetMedia(SHARED)).toBe(1);
    } finally {
      await Promise.all([byName.stop(), byArn.stop()]);
      await Promise.all([first.dispose(), second.dispose()]);
    }
    // Both saw the same fragments, each reporting the stream the way it subscribed.
    const common = byArn.fragments.filter((n) => byName.fragments.includes(n));
    expect(common.length).toBeGreaterThanOrEqual(4);
    expect(byArn.events.find((event) => event.__typename === 'FragmentEvent')).toMatchObject({ stream: arn });
    expect(byName.events.find((event) => event.__typename === 'FragmentEvent')).toMatchObject({ stream: SHARED });

    const leftAt = Date.now();
    const closed = await within(kinesis.waitForGetMediaEnd((s) => s.stream === SHARED && s.reason === 'client-closed'), 3_000, 'the upstream session to close');
    await within(kinesis.waitForActiveGetMedia(SHARED, 0), 2_000, '0 active GetMedia');
    expect(closed.endedAt - leftAt).toBeGreaterThanOrEqual(LINGER_MS - 50);
    expect(hub.stats(SHARED)).toEqual({ subscribers: 0, upstreamSessions: 0, liveReaderRunning: false, windowSize: 0 });
    expect(kinesis.getMediaCalls(SHARED)).toHaveLength(1);
  });

  /** Subscribes to `StreamFragments` over one transport with its own client (the gateway sees one identity). */
  function subscribeOver(transport: 'graphql-ws' | 'sse', variables: Record<string, unknown>): { readonly reader: SubscriptionReader<StreamFragmentsSubscription>; close(): Promise<void> } {
    const request = { query: print(StreamFragmentsDocument), variables };
    if (transport === 'graphql-ws') {
      const client = wsClient();
      const reader = new SubscriptionReader(client.iterate<StreamFragmentsSubscription>(request));
      return { reader, close: async () => { await reader.stop(); await client.dispose(); } };
    }
    const client = sseClient();
    const reader = new SubscriptionReader(client.iterate<StreamFragmentsSubscription>(request));
    return { reader, close: async () => { await reader.stop(); client.dispose(); } };
  }

  it('gives an identical subscription that starts later every fragment from its own EARLIEST or FRAGMENT_NUMBER start, over graphql-ws and SSE', async () => {
    // Enough history that a start in it is well behind the live edge, however long the suite has run.
    let seen = 0;
    await within(kinesis.waitForFragment((fragment) => fragment.stream === LIVE && ++seen >= 12), 5_000, '12 fragments on the live stream');
    for (const transport of ['graphql-ws', 'sse'] as const) {
      const history = numbersOf(kinesis, LIVE);
      const plans = [
        { start: { type: 'EARLIEST' }, first: history[0] },
        { start: { type: 'FRAGMENT_NUMBER', fragmentNumber: history[4] }, first: history[5] },
      ];
      for (const plan of plans) {
        const variables = { stream: LIVE, start: plan.start };
        const early = subscribeOver(transport, variables);
        let late: ReturnType<typeof subscribeOver> | undefined;
        try {
          // The first one has caught up with the live stream, well past its start, before the second one arrives.
          const pastLiveEdge = numbersOf(kinesis, LIVE).length - history.indexOf(plan.first ?? '') + 2;
          await early.reader.until((x) => x.fragments.length >= pastLiveEdge, 10_000, `${transport} ${plan.start.type}: the first subscription to catch up`);
          // Same identity, same document, same variables: it asked for the same start, and must get it.
          late = subscribeOver(transport, variables);
          await late.reader.until((x) => x.fragments.length >= 12, 10_000, `${transport} ${plan.start.type}: the second subscription's fragments`);
          const all = numbersOf(kinesis, LIVE);
          const from = all.indexOf(plan.first ?? '');
          expect({ transport, start: plan.start.type, first: late.reader.fragments[0] }).toEqual({ transport, start: plan.start.type, first: plan.first });
          expect(late.reader.fragments).toEqual(all.slice(from, from + late.reader.fragments.length));
          expect(late.reader.events.filter((event) => event.__typename === 'GapEvent')).toEqual([]);
          expect(late.reader.errors).toEqual([]);
        } finally {
          await late?.close();
          await early.close();
        }
      }
    }
  });

  it('shares the running execution with an identical NOW subscription that starts later and tells it the current status first, over graphql-ws and SSE', async () => {
    const hub = t.gateway.services.hub;
    for (const transport of ['graphql-ws', 'sse'] as const) {
      const variables = { stream: LIVE, start: { type: 'NOW' } };
      const early = subscribeOver(transport, variables);
      let late: ReturnType<typeof subscribeOver> | undefined;
      try {
        await early.reader.until((x) => x.fragments.length >= 3, 10_000, `${transport}: the first NOW subscription's fragments`);
        const subscribers = hub.stats(LIVE).subscribers;
        late = subscribeOver(transport, variables);
        await late.reader.until((x) => x.fragments.length >= 3, 10_000, `${transport}: the second NOW subscription's fragments`);
        // One execution, so one hub subscriber for both; the newcomer first hears how the feed is doing, which is
        // the last status the first one heard (CONNECTED, unless the reader happened to be reconnecting).
        expect(hub.stats(LIVE).subscribers).toBe(subscribers);
        const [head] = late.reader.events;
        const earlyStatuses = early.reader.events.filter((event) => event.__typename === 'StatusEvent');
        expect(head?.__typename).toBe('StatusEvent');
        expect(earlyStatuses).toContainEqual(head);
        const all = numbersOf(kinesis, LIVE);
        const from = all.indexOf(late.reader.fragments[0] ?? '');
        expect(late.reader.fragments).toEqual(all.slice(from, from + late.reader.fragments.length));
      } finally {
        await late?.close();
        await early.close();
      }
    }
  });

  // graphql-sse only ends operations whose iterators have next, return AND throw; this pins that ours do.
  it('releases the upstream after the linger when an SSE client leaves', async () => {
    const hub = t.gateway.services.hub;
    const client = sseClient();
    const r = new SubscriptionReader(client.iterate<StreamFragmentsSubscription>({ query: print(StreamFragmentsDocument), variables: { stream: SSE_ONLY, start: { type: 'NOW' } } }));
    try {
      await r.until((x) => x.fragments.length >= 3, 5_000, '3 fragments over SSE');
      expect(hub.stats(SSE_ONLY)).toMatchObject({ subscribers: 1, liveReaderRunning: true });
    } finally {
      await r.stop();
      client.dispose();
    }
    await within(kinesis.waitForGetMediaEnd((s) => s.stream === SSE_ONLY && s.reason === 'client-closed'), 2_000, 'the upstream session to close');
    expect(hub.stats(SSE_ONLY)).toEqual({ subscribers: 0, upstreamSessions: 0, liveReaderRunning: false, windowSize: 0 });
  });
});
