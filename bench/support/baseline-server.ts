import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLNullableType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
} from 'graphql';
import { DateTimeISOResolver, SafeIntResolver } from 'graphql-scalars';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

/**
 * The baseline of the live fan-out benchmark: what a stock subscription server does with the same
 * subscription. graphql-ws `useServer` with its defaults (graphql-js `parse`, `validate`, `subscribe`), a
 * graphql-js schema whose `Subscription.streamFragments` has our field's name, arguments and result shape (the
 * `StreamEvent` union and the types it selects, with the same scalars), and an in-process timer producing one
 * fragment-metadata event every `intervalMs`. Every subscription gets its own unbounded event queue (the shape
 * of a typical PubSub async iterator) and graphql-js executes the selection once per subscriber per event. No
 * sharing, no hub: this is the per-subscriber cost our gateway is compared with.
 */

/** Fragment metadata the timer produces: the fields our hub's fragments carry for the selected ones. */
interface BaselineFragment {
  readonly fragmentNumber: string;
  /** Epoch ms the event was due at the source (see the timer in `startBaselineServer`): the clients' latency reference. */
  readonly serverTimestamp: number;
  readonly producerTimestamp: number;
  readonly millisBehindNow: number;
  readonly continuationToken: string;
  readonly clusterTimecode: number;
  readonly timecodeScale: number;
  readonly frameCount: number;
  readonly keyframeCount: number;
  readonly payloadBytes: number;
  readonly tracks: readonly BaselineTrack[];
  readonly complete: boolean;
}

interface BaselineTrack {
  readonly trackNumber: number;
  readonly trackType: number | null;
  readonly codecId: string | null;
  readonly pixelWidth: number | null;
  readonly pixelHeight: number | null;
  readonly samplingFrequency: number | null;
  readonly channels: number | null;
}

/** One source event, shaped like our hub's `LiveEvent` of kind `fragment`. */
interface BaselineEvent {
  readonly kind: 'fragment';
  readonly stream: string;
  readonly fragment: BaselineFragment;
}

/** The GraphQL value of one event, built per execution as a resolver of a stock server does. */
interface FragmentEventValue {
  readonly __typename: 'FragmentEvent';
  readonly stream: string;
  readonly fragment: Omit<BaselineFragment, 'serverTimestamp' | 'producerTimestamp' | 'tracks'> & {
    readonly serverTimestamp: Date;
    readonly producerTimestamp: Date;
    readonly tracks: readonly BaselineTrack[];
  };
}

/** Options of {@link startBaselineServer}. */
export interface BaselineServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The only stream name subscriptions accept. */
  readonly stream: string;
  /** Milliseconds between events (100 = 10 events/s). */
  readonly intervalMs: number;
}

/** A running baseline server. */
export interface BaselineServer {
  /** graphql-ws URL, e.g. `ws://127.0.0.1:43211/graphql`. */
  readonly wsUrl: string;
  /** Per-subscriber event queues alive now (one per active subscription). */
  readonly subscriptions: number;
  /** Events are due at `firstDueAtMs + k * intervalMs` (k = 0, 1, 2, ...), each stamped with its due time. */
  readonly firstDueAtMs: number;
  /** Stops the timer, closes every socket and the listener. Idempotent. */
  close(): Promise<void>;
}

// The shape of real (and of our emulator's) 47-digit fragment numbers: a captured number as base, 2^92 apart.
const FRAGMENT_BASE = 91343852333181432392682062607743920146159169392n;
const FRAGMENT_STEP = 2n ** 92n;
const TRACK: BaselineTrack = {
  trackNumber: 1,
  trackType: 1,
  codecId: 'V_MPEG4/ISO/AVC',
  pixelWidth: 1280,
  pixelHeight: 720,
  samplingFrequency: null,
  channels: null,
};

/**
 * An unbounded per-subscriber queue with an async iterator, as PubSub implementations hand to graphql-js.
 * Unbounded on purpose: a stock server that falls behind queues events (and latency) rather than dropping.
 */
class EventQueue implements AsyncIterableIterator<BaselineEvent> {
  private readonly buffer: BaselineEvent[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<BaselineEvent>) => void) | undefined;
  private done = false;

  constructor(private readonly onDone: (queue: EventQueue) => void) {}

  push(event: BaselineEvent): void {
    if (this.done) return;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      waiting({ value: event, done: false });
      return;
    }
    this.buffer.push(event);
  }

  next(): Promise<IteratorResult<BaselineEvent>> {
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head] as BaselineEvent;
      this.head += 1;
      if (this.head === this.buffer.length) {
        this.buffer.length = 0;
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<BaselineEvent>> {
    if (!this.done) {
      this.done = true;
      this.buffer.length = 0;
      this.head = 0;
      this.onDone(this);
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<BaselineEvent> {
    return this;
  }
}

function toFragmentEvent(event: BaselineEvent): FragmentEventValue {
  const f = event.fragment;
  return {
    __typename: 'FragmentEvent',
    stream: event.stream,
    fragment: {
      ...f,
      serverTimestamp: new Date(f.serverTimestamp),
      producerTimestamp: new Date(f.producerTimestamp),
      tracks: f.tracks.map((track) => ({ ...track })),
    },
  };
}

function nonNull<T extends GraphQLNullableType>(type: T): GraphQLNonNull<T> {
  return new GraphQLNonNull(type);
}

/** The subset of our schema the benchmark's subscription touches, same names, nullability and scalars. */
function buildBaselineSchema(stream: string, subscribe: () => EventQueue): GraphQLSchema {
  const startType = new GraphQLEnumType({
    name: 'StreamStartType',
    values: { NOW: {}, EARLIEST: {}, FRAGMENT_NUMBER: {}, SERVER_TIMESTAMP: {}, PRODUCER_TIMESTAMP: {}, CONTINUATION_TOKEN: {} },
  });
  const startInput = new GraphQLInputObjectType({
    name: 'StreamStartInput',
    fields: {
      type: { type: nonNull(startType), defaultValue: 'NOW' },
      fragmentNumber: { type: GraphQLString },
      timestamp: { type: DateTimeISOResolver },
      continuationToken: { type: GraphQLString },
    },
  });
  const track = new GraphQLObjectType({
    name: 'FragmentTrack',
    fields: {
      trackNumber: { type: nonNull(GraphQLInt) },
      trackType: { type: GraphQLInt },
      codecId: { type: GraphQLString },
      pixelWidth: { type: GraphQLInt },
      pixelHeight: { type: GraphQLInt },
      samplingFrequency: { type: GraphQLFloat },
      channels: { type: GraphQLInt },
    },
  });
  const liveFragment = new GraphQLObjectType({
    name: 'LiveFragment',
    fields: {
      fragmentNumber: { type: nonNull(GraphQLString) },
      serverTimestamp: { type: DateTimeISOResolver },
      producerTimestamp: { type: DateTimeISOResolver },
      millisBehindNow: { type: SafeIntResolver },
      continuationToken: { type: GraphQLString },
      clusterTimecode: { type: SafeIntResolver },
      timecodeScale: { type: nonNull(SafeIntResolver) },
      frameCount: { type: nonNull(GraphQLInt) },
      keyframeCount: { type: nonNull(GraphQLInt) },
      payloadBytes: { type: nonNull(SafeIntResolver) },
      tracks: { type: nonNull(new GraphQLList(nonNull(track))) },
      complete: { type: nonNull(GraphQLBoolean) },
    },
  });
  const fragmentEvent = new GraphQLObjectType({
    name: 'FragmentEvent',
    fields: { stream: { type: nonNull(GraphQLString) }, fragment: { type: nonNull(liveFragment) } },
  });
  const gapEvent = new GraphQLObjectType({
    name: 'GapEvent',
    fields: {
      stream: { type: nonNull(GraphQLString) },
      reason: { type: nonNull(new GraphQLEnumType({ name: 'GapReason', values: { RETENTION: {}, SLOW_CONSUMER: {}, UPSTREAM_ERROR: {} } })) },
      afterFragmentNumber: { type: GraphQLString },
      beforeFragmentNumber: { type: GraphQLString },
      missedFragments: { type: GraphQLInt },
    },
  });
  const statusEvent = new GraphQLObjectType({
    name: 'StatusEvent',
    fields: {
      stream: { type: nonNull(GraphQLString) },
      status: { type: nonNull(new GraphQLEnumType({ name: 'StreamFeedStatus', values: { CONNECTED: {}, RECONNECTING: {}, THROTTLED: {}, ENDED: {} } })) },
      detail: { type: GraphQLString },
    },
  });
  const streamEvent = new GraphQLUnionType({
    name: 'StreamEvent',
    types: [fragmentEvent, gapEvent, statusEvent],
    resolveType: (value: { readonly __typename: string }) => value.__typename,
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: nonNull(GraphQLBoolean), resolve: () => true } } }),
    // The source of a subscription's execution is the event its iterator yielded.
    subscription: new GraphQLObjectType<BaselineEvent>({
      name: 'Subscription',
      fields: {
        streamFragments: {
          type: nonNull(streamEvent),
          args: { stream: { type: nonNull(GraphQLString) }, start: { type: startInput } },
          subscribe: (_root, args: { readonly stream: string }) => {
            if (args.stream !== stream) throw new Error(`unknown stream ${args.stream}`);
            return subscribe();
          },
          // Runs once per subscriber per event: graphql-js executes each subscription's selection on its own.
          resolve: (event: BaselineEvent) => toFragmentEvent(event),
        },
      },
    }),
  });
}

/**
 * Starts the baseline on `host:port` with `/graphql` as the graphql-ws path and the timer running.
 * Lifetime: until `close()`.
 * @throws the listen error.
 */
export async function startBaselineServer(options: BaselineServerOptions): Promise<BaselineServer> {
  const queues = new Set<EventQueue>();
  const schema = buildBaselineSchema(options.stream, () => {
    const queue = new EventQueue((done) => queues.delete(done));
    queues.add(queue);
    return queue;
  });
  const httpServer: Server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const disposable = useServer({ schema }, wss);

  let seq = 0;
  const produce = (at: number): void => {
    const number = (FRAGMENT_BASE + BigInt(seq) * FRAGMENT_STEP + BigInt(at) * 1000n).toString();
    const event: BaselineEvent = {
      kind: 'fragment',
      stream: options.stream,
      fragment: {
        fragmentNumber: number,
        serverTimestamp: at,
        producerTimestamp: at,
        millisBehindNow: 0,
        continuationToken: number,
        clusterTimecode: at,
        timecodeScale: 1_000_000,
        frameCount: 1,
        keyframeCount: 1,
        payloadBytes: 200,
        tracks: [TRACK],
        complete: true,
      },
    };
    seq += 1;
    for (const queue of queues) queue.push(event);
  };
  // The events stand for an external source (a broker, an upstream) that produces at its own pace whatever the
  // server is doing: each is due at a fixed slot and stamped with that slot's time. A server too busy to run
  // this timer on time produces the overdue events late, and their latency shows the delay; a plain
  // setInterval would instead stretch the interval, lower the rate and hide the overload.
  const firstDueAtMs = Date.now() + options.intervalMs;
  let dueAt = firstDueAtMs;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = (): void => {
    const now = Date.now();
    while (dueAt <= now) {
      produce(dueAt);
      dueAt += options.intervalMs;
    }
    if (!stopped) timer = setTimeout(tick, dueAt - now);
  };
  timer = setTimeout(tick, options.intervalMs);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    wsUrl: `ws://${address.address}:${address.port}/graphql`,
    get subscriptions() {
      return queues.size;
    },
    firstDueAtMs,
    close: () => {
      closing ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        for (const client of wss.clients) client.terminate();
        await disposable.dispose();
        await new Promise<void>((resolve, reject) => httpServer.close((error) => (error === undefined ? resolve() : reject(error))));
      })();
      return closing;
    },
  };
}
