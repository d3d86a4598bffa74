import {
  GraphQLBoolean,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type ExecutionResult,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/core/domain-error.js';
import type { LiveEvent } from '../../../src/live/live.types.js';
import { markLiveEdge } from '../../../src/core/live-edge.js';
import { SharedSubscriptions, type DirectSink } from '../../../src/server/shared-subscriptions.js';
import type { Fragment } from '../../../src/mkv/fragment.type.js';
import { within } from '../../helpers/within.js';

/** A push source the test controls, counting how often it was subscribed and released. */
class Source {
  subscribed = 0;
  returned = 0;
  private readonly waiters: ((result: IteratorResult<LiveEvent>) => void)[] = [];
  private readonly pending: LiveEvent[] = [];
  private ended = false;
  private failure: Error | undefined;
  private readonly failWaiters: ((error: Error) => void)[] = [];

  iterator(): AsyncIterableIterator<LiveEvent> {
    this.subscribed += 1;
    const iterator: AsyncIterableIterator<LiveEvent> = {
      next: () => {
        const event = this.pending.shift();
        if (event !== undefined) return Promise.resolve({ value: event, done: false });
        if (this.failure !== undefined) return Promise.reject(this.failure);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiters.push(resolve);
          this.failWaiters.push(reject);
        });
      },
      return: () => {
        this.returned += 1;
        this.failWaiters.length = 0;
        for (const waiter of this.waiters.splice(0)) waiter({ value: undefined, done: true });
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Ends the source the way a finished upstream does: pending and later `next()` calls resolve done. */
  end(): void {
    this.ended = true;
    this.failWaiters.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  /** Fails the source the way a hub subscription does when the upstream fails for good. */
  fail(error: Error): void {
    this.failure = error;
    this.waiters.length = 0;
    for (const reject of this.failWaiters.splice(0)) reject(error);
  }

  emit(event: LiveEvent): void {
    this.failWaiters.shift();
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter({ value: event, done: false });
    else this.pending.push(event);
  }
}

/** The event type both test schemas serve: what a live event is, and the field each kind fills. */
const EVENT = new GraphQLObjectType({
  name: 'Event',
  fields: {
    kind: { type: new GraphQLNonNull(GraphQLString) },
    number: { type: GraphQLString, resolve: (event: LiveEvent) => (event.kind === 'fragment' ? event.fragment.fragmentNumber : null) },
    missed: { type: GraphQLInt, resolve: (event: LiveEvent) => (event.kind === 'gap' ? event.missedFragments : null) },
    status: { type: GraphQLString, resolve: (event: LiveEvent) => (event.kind === 'status' ? event.status : null) },
  },
});

function fragment(n: number): LiveEvent {
  return { kind: 'fragment', stream: 's', fragment: { fragmentNumber: String(1000 + n) } as Fragment };
}

function schemaOver(source: Source, executions: { count: number }): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        events: {
          type: new GraphQLNonNull(EVENT),
          args: { tag: { type: GraphQLString } },
          subscribe: () => source.iterator(),
          resolve: (event: LiveEvent) => {
            executions.count += 1;
            return event;
          },
        },
      },
    }),
  });
}

const DOCUMENT = parse('subscription ($tag: String) { events(tag: $tag) { kind number missed } }');

function shared(overflow: 'gap' | 'close', memberBuffer = 2, serialized = { count: 0 }): SharedSubscriptions {
  return new SharedSubscriptions({
    memberBuffer,
    overflow,
    createContext: () => ({}),
    identityOf: () => 'anonymous',
    serialize: (result) => {
      serialized.count += 1;
      return Buffer.from(JSON.stringify(result));
    },
  });
}

/** A sink that records what it was given and flushes only when the test says so. */
class RecordingSink implements DirectSink {
  readonly written: string[] = [];
  open = true;
  private readonly unflushed: (() => void)[] = [];

  write(payload: Buffer, flushed: () => void): boolean {
    if (!this.open) return false;
    this.written.push(payload.toString('utf8'));
    this.unflushed.push(flushed);
    return true;
  }

  flushAll(): void {
    for (const flushed of this.unflushed.splice(0)) flushed();
  }

  events(): unknown[] {
    return this.written.map((text) => (JSON.parse(text) as { data: { events: unknown } }).data.events);
  }
}

/** Resolves once `sink` holds `count` writes; the group writes from its pump, one event per event-loop turn. */
async function writesOf(sink: RecordingSink, count: number): Promise<void> {
  while (sink.written.length < count) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function take(iterator: AsyncIterator<ExecutionResult>, count: number): Promise<ExecutionResult[]> {
  const results: ExecutionResult[] = [];
  for (let i = 0; i < count; i += 1) {
    const next = await iterator.next();
    if (next.done === true) break;
    results.push(next.value);
  }
  return results;
}

function asIterator(value: AsyncIterableIterator<ExecutionResult> | ExecutionResult): AsyncIterableIterator<ExecutionResult> {
  if (!(Symbol.asyncIterator in value)) throw new Error(`expected an iterator, got ${JSON.stringify(value)}`);
  return value;
}

describe('SharedSubscriptions', () => {
  it('runs one source and one execution per event when members send the same document and variables', async () => {
    const source = new Source();
    const executions = { count: 0 };
    const schema = schemaOver(source, executions);
    const sharing = shared('gap', 10);
    const args = { schema, document: DOCUMENT, variableValues: { tag: 'a' }, contextValue: {} };
    const a = asIterator(await sharing.subscribe(args));
    const b = asIterator(await sharing.subscribe({ ...args, contextValue: {} }));
    source.emit(fragment(1));
    source.emit(fragment(2));
    const [ra, rb] = await Promise.all([take(a, 2), take(b, 2)]);
    expect(ra.map((r) => r.data)).toEqual([
      { events: { kind: 'fragment', number: '1001', missed: null } },
      { events: { kind: 'fragment', number: '1002', missed: null } },
    ]);
    expect(rb).toEqual(ra);
    expect(source.subscribed).toBe(1);
    expect(executions.count).toBe(2);
    expect(sharing.groupCount).toBe(1);
  });

  it('keeps separate executions when the variables differ', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('gap', 10);
    await sharing.subscribe({ schema, document: DOCUMENT, variableValues: { tag: 'a' }, contextValue: {} });
    await sharing.subscribe({ schema, document: DOCUMENT, variableValues: { tag: 'b' }, contextValue: {} });
    expect(source.subscribed).toBe(2);
    expect(sharing.groupCount).toBe(2);
  });

  it('gives a slow member a gap event and never delays a fast one when the slow buffer overflows', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('gap', 2);
    const args = { schema, document: DOCUMENT, variableValues: {}, contextValue: {} };
    const fast = asIterator(await sharing.subscribe(args));
    const slow = asIterator(await sharing.subscribe({ ...args, contextValue: {} }));
    const fastSeen = take(fast, 6);
    for (let n = 1; n <= 6; n += 1) source.emit(fragment(n));
    expect((await fastSeen).map((r) => (r.data?.['events'] as { number: string }).number)).toEqual(['1001', '1002', '1003', '1004', '1005', '1006']);
    // The slow member kept two, dropped four; the next fragment arrives after a gap that counts them.
    const kept = await take(slow, 2);
    expect(kept.map((r) => (r.data?.['events'] as { number: string }).number)).toEqual(['1001', '1002']);
    source.emit(fragment(7));
    const after = await take(slow, 2);
    expect(after.map((r) => r.data?.['events'])).toEqual([
      { kind: 'gap', number: null, missed: 4 },
      { kind: 'fragment', number: '1007', missed: null },
    ]);
  });

  it('ends a slow member with RATE_LIMITED when the policy is close', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('close', 1);
    const args = { schema, document: DOCUMENT, variableValues: {}, contextValue: {} };
    const fast = asIterator(await sharing.subscribe(args));
    const slow = asIterator(await sharing.subscribe({ ...args, contextValue: {} }));
    const fastSeen = take(fast, 2);
    source.emit(fragment(1));
    source.emit(fragment(2));
    // Once the fast member has both, the group has delivered both to the slow one, which overflowed on the second.
    expect(await fastSeen).toHaveLength(2);
    const results = await take(slow, 3);
    expect(results).toHaveLength(1);
    expect(results[0]?.errors?.[0]?.originalError).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('releases the source when the last member leaves', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('gap', 10);
    const args = { schema, document: DOCUMENT, variableValues: {}, contextValue: {} };
    const a = asIterator(await sharing.subscribe(args));
    const b = asIterator(await sharing.subscribe({ ...args, contextValue: {} }));
    await a.return?.();
    expect(source.returned).toBe(0);
    await b.return?.();
    expect(source.returned).toBe(1);
    expect(sharing.groupCount).toBe(0);
  });

  it('writes the same bytes to every sink and serializes once per event when members have sinks', async () => {
    const source = new Source();
    const serialized = { count: 0 };
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('gap', 10, serialized);
    const args = { schema, document: DOCUMENT, variableValues: {}, contextValue: {} };
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    for (const sink of sinks) await sharing.subscribe({ ...args, contextValue: {} }, sink);
    source.emit(fragment(1));
    source.emit(fragment(2));
    await Promise.all(sinks.map((sink) => writesOf(sink, 2)));
    expect(sinks[0]?.events()).toEqual([
      { kind: 'fragment', number: '1001', missed: null },
      { kind: 'fragment', number: '1002', missed: null },
    ]);
    for (const sink of sinks) expect(sink.written).toEqual(sinks[0]?.written);
    expect(serialized.count).toBe(2);
  });

  it('counts unflushed writes against the buffer and writes a gap first when a sink member falls behind', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('gap', 2);
    const args = { schema, document: DOCUMENT, variableValues: {}, contextValue: {} };
    const fast = new RecordingSink();
    const slow = new RecordingSink();
    await sharing.subscribe(args, fast);
    await sharing.subscribe({ ...args, contextValue: {} }, slow);
    for (let n = 1; n <= 5; n += 1) {
      source.emit(fragment(n));
      await writesOf(fast, n);
      fast.flushAll();
    }
    // The slow sink never flushed: two writes fill its buffer, three fragments are skipped.
    expect(slow.written).toHaveLength(2);
    slow.flushAll();
    source.emit(fragment(6));
    await writesOf(slow, 4);
    expect(slow.events().slice(2)).toEqual([
      { kind: 'gap', number: null, missed: 3 },
      { kind: 'fragment', number: '1006', missed: null },
    ]);
    expect(fast.events()).toHaveLength(6);
  });

  it('ends a sink member through its iterator with RATE_LIMITED when the policy is close', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('close', 1);
    const sink = new RecordingSink();
    const member = asIterator(await sharing.subscribe({ schema, document: DOCUMENT, variableValues: {}, contextValue: {} }, sink));
    const ending = take(member, 3);
    source.emit(fragment(1));
    source.emit(fragment(2));
    const results = await ending;
    expect(sink.written).toHaveLength(1);
    expect(results).toHaveLength(1);
    expect(results[0]?.errors?.[0]?.originalError).toMatchObject({ code: 'RATE_LIMITED' });
    expect(sharing.groupCount).toBe(0);
  });

  it('completes the iterator of a sink member when the source ends', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('gap', 10);
    const sink = new RecordingSink();
    const member = asIterator(await sharing.subscribe({ schema, document: DOCUMENT, variableValues: {}, contextValue: {} }, sink));
    const ending = member.next();
    source.emit(fragment(1));
    await writesOf(sink, 1);
    source.end();
    expect(await ending).toEqual({ value: undefined, done: true });
    expect(sink.written).toHaveLength(1);
  });
});

function status(value: 'CONNECTED' | 'THROTTLED' | 'ENDED', detail: string | null = null): LiveEvent {
  return { kind: 'status', stream: 's', status: value, detail };
}

/**
 * A schema whose `events(live)` subscription opens a new {@link Source} per execution, marked as a live-edge source
 * when `live` is true (as `streamFragments` does for NOW).
 */
function perExecutionSchema(sources: Source[]): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        events: {
          type: new GraphQLNonNull(EVENT),
          args: { live: { type: new GraphQLNonNull(GraphQLBoolean) } },
          subscribe: (_root, args: { live: boolean }) => {
            const source = new Source();
            sources.push(source);
            const iterator = source.iterator();
            return args.live ? markLiveEdge(iterator) : iterator;
          },
          resolve: (event: LiveEvent) => event,
        },
      },
    }),
  });
}

const EVENTS = parse('subscription ($live: Boolean!) { events(live: $live) { kind number status } }');

/** The `events` payloads of results, compactly. */
function payloads(results: readonly ExecutionResult[]): string[] {
  return results.map((result) => {
    if (result.errors !== undefined) return `error ${String((result.errors[0]?.originalError as { code?: string } | undefined)?.code)}`;
    const event = result.data?.['events'] as { kind: string; number: string | null; status: string | null };
    return event.kind === 'fragment' ? `fragment ${event.number ?? ''}` : `${event.kind} ${event.status ?? ''}`;
  });
}

/** {@link take}, failing after 2 s instead of hanging until the test timeout. */
function takeSoon(iterator: AsyncIterator<ExecutionResult>, count: number): Promise<ExecutionResult[]> {
  return within(take(iterator, count), 2_000, `${count} results`);
}

/** Lets the group's pump fan out what the sources emitted (one event per event-loop turn). */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('SharedSubscriptions late members', () => {
  it('starts a separate execution from the requested start when an identical positioned subscription arrives after the first event', async () => {
    const sources: Source[] = [];
    const sharing = shared('gap', 10);
    const args = { schema: perExecutionSchema(sources), document: EVENTS, variableValues: { live: false }, contextValue: {} };
    const early = asIterator(await sharing.subscribe(args));
    sources[0]?.emit(fragment(1));
    expect(payloads(await takeSoon(early, 1))).toEqual(['fragment 1001']);

    // Same identity, document and variables: it asked for the same start, which the running execution is past.
    const late = asIterator(await sharing.subscribe({ ...args, contextValue: {} }));
    expect(sources).toHaveLength(2);
    sources[1]?.emit(fragment(1));
    sources[1]?.emit(fragment(2));
    sources[0]?.emit(fragment(2));
    expect(payloads(await takeSoon(late, 2))).toEqual(['fragment 1001', 'fragment 1002']);
    expect(payloads(await takeSoon(early, 1))).toEqual(['fragment 1002']);
    expect(sharing.groupCount).toBe(2);
  });

  it('shares a positioned execution with an identical subscription that arrives before its first event', async () => {
    const sources: Source[] = [];
    const sharing = shared('gap', 10);
    const args = { schema: perExecutionSchema(sources), document: EVENTS, variableValues: { live: false }, contextValue: {} };
    const early = asIterator(await sharing.subscribe(args));
    // Statuses describe the present, not history: the execution is still at its requested start after one.
    sources[0]?.emit(status('THROTTLED'));
    expect(payloads(await takeSoon(early, 1))).toEqual(['status THROTTLED']);
    const late = asIterator(await sharing.subscribe({ ...args, contextValue: {} }));
    sources[0]?.emit(fragment(1));
    expect(payloads(await takeSoon(late, 2))).toEqual(['status THROTTLED', 'fragment 1001']);
    expect(payloads(await takeSoon(early, 1))).toEqual(['fragment 1001']);
    expect(sources).toHaveLength(1);
  });

  it('joins a running live-edge execution and gets the current status, then what follows, when it arrives late', async () => {
    const sources: Source[] = [];
    const sharing = shared('gap', 10);
    const args = { schema: perExecutionSchema(sources), document: EVENTS, variableValues: { live: true }, contextValue: {} };
    const early = asIterator(await sharing.subscribe(args));
    sources[0]?.emit(status('CONNECTED'));
    sources[0]?.emit(fragment(1));
    sources[0]?.emit(status('THROTTLED'));
    expect(payloads(await takeSoon(early, 3))).toEqual(['status CONNECTED', 'fragment 1001', 'status THROTTLED']);

    const late = asIterator(await sharing.subscribe({ ...args, contextValue: {} }));
    const sink = new RecordingSink();
    await sharing.subscribe({ ...args, contextValue: {} }, sink);
    expect(sources).toHaveLength(1);
    sources[0]?.emit(fragment(2));
    expect(payloads(await takeSoon(late, 2))).toEqual(['status THROTTLED', 'fragment 1002']);
    await within(writesOf(sink, 2), 2_000, 'two writes to the sink');
    expect(sink.events()).toEqual([
      { kind: 'status', number: null, status: 'THROTTLED' },
      { kind: 'fragment', number: '1002', status: null },
    ]);
    expect(payloads(await takeSoon(early, 1))).toEqual(['fragment 1002']);
    expect(sharing.groupCount).toBe(1);
  });

  it('counts an execution closed to new members until its last member leaves', async () => {
    const sources: Source[] = [];
    const sharing = shared('gap', 10);
    const args = { schema: perExecutionSchema(sources), document: EVENTS, variableValues: { live: false }, contextValue: {} };
    const member = asIterator(await sharing.subscribe(args));
    sources[0]?.emit(fragment(1));
    await takeSoon(member, 1);
    expect(sharing.groupCount).toBe(1);
    await member.return?.();
    expect(sharing.groupCount).toBe(0);
    expect(sources[0]?.returned).toBe(1);
  });

  it('delivers what was queued, then the error, when the source fails before the member pulled', async () => {
    const sources: Source[] = [];
    const sharing = shared('gap', 10);
    const member = asIterator(await sharing.subscribe({ schema: perExecutionSchema(sources), document: EVENTS, variableValues: { live: true }, contextValue: {} }));
    sources[0]?.emit(fragment(1));
    sources[0]?.emit(status('ENDED'));
    await turns(4);
    sources[0]?.fail(new DomainError('NOT_FOUND', 'The video stream does not exist.'));
    await turns(4);
    expect(sharing.groupCount).toBe(0);
    expect(payloads(await takeSoon(member, 4))).toEqual(['fragment 1001', 'status ENDED', 'error NOT_FOUND']);
  });
});

/** A sink with read receipts: the test says how far the client has read; every write is flushed at once. */
class ReceiptSink extends RecordingSink {
  read = 0;
  probes = 0;
  released = 0;

  override write(payload: Buffer, flushed: () => void): boolean {
    const written = super.write(payload, flushed);
    // Flushed at once, as writes are while the kernel's socket buffers have room.
    this.flushAll();
    return written;
  }

  unread(): number {
    return this.written.length - this.read;
  }

  probe(): void {
    this.probes += 1;
  }

  release(): void {
    this.released += 1;
  }
}

describe('SharedSubscriptions backlog', () => {
  it('counts what a sink client has not read against the buffer, asks for receipts at half of it, and writes a gap when it reads again', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('gap', 4);
    const args = { schema, document: DOCUMENT, variableValues: {}, contextValue: {} };
    const fast = new ReceiptSink();
    const stalled = new ReceiptSink();
    await sharing.subscribe(args, fast);
    const member = asIterator(await sharing.subscribe({ ...args, contextValue: {} }, stalled));
    for (let n = 1; n <= 8; n += 1) {
      source.emit(fragment(n));
      await writesOf(fast, n);
      fast.read = fast.written.length;
    }
    // Every write was flushed, yet the stalled client read nothing: four writes fill its buffer, four are skipped.
    expect(stalled.written).toHaveLength(4);
    expect(stalled.probes).toBeGreaterThan(0);
    expect(fast.events()).toHaveLength(8);
    stalled.read = stalled.written.length;
    source.emit(fragment(9));
    await writesOf(stalled, 6);
    expect(stalled.events().slice(4)).toEqual([
      { kind: 'gap', number: null, missed: 4 },
      { kind: 'fragment', number: '1009', missed: null },
    ]);
    await member.return?.();
    expect(stalled.released).toBe(1);
  });

  it('counts results handed over while the socket is backed up against the buffer of a pulled member', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('gap', 2);
    const args = { schema, document: DOCUMENT, variableValues: {}, contextValue: {} };
    const fast = asIterator(await sharing.subscribe(args));
    const socket = { queued: 0 };
    const pulled = asIterator(await sharing.subscribe({ ...args, contextValue: {} }, undefined, { queuedBytes: () => socket.queued }));
    // Like graphql-sse, the transport pulls as fast as results come, whatever its socket holds.
    const handed: unknown[] = [];
    const pulling = (async () => {
      for await (const result of pulled) handed.push(result.data?.['events']);
    })();
    socket.queued = 65_536;
    const fastSeen = take(fast, 5);
    for (let n = 1; n <= 5; n += 1) source.emit(fragment(n));
    expect(await fastSeen).toHaveLength(5);
    expect(handed).toEqual([
      { kind: 'fragment', number: '1001', missed: null },
      { kind: 'fragment', number: '1002', missed: null },
    ]);
    socket.queued = 0;
    const fastNext = take(fast, 1);
    source.emit(fragment(6));
    await fastNext;
    await within(
      (async () => {
        while (handed.length < 4) await new Promise<void>((resolve) => setImmediate(resolve));
      })(),
      2_000,
      'the gap and the next fragment',
    );
    expect(handed.slice(2)).toEqual([
      { kind: 'gap', number: null, missed: 3 },
      { kind: 'fragment', number: '1006', missed: null },
    ]);
    await pulled.return?.();
    await pulling;
  });

  it('ends a member the close policy drops with RATE_LIMITED saying why: reason SLOW_CONSUMER and the buffer size', async () => {
    const source = new Source();
    const schema = schemaOver(source, { count: 0 });
    const sharing = shared('close', 3);
    const sink = new ReceiptSink();
    const member = asIterator(await sharing.subscribe({ schema, document: DOCUMENT, variableValues: {}, contextValue: {} }, sink));
    const ending = take(member, 2);
    for (let n = 1; n <= 4; n += 1) source.emit(fragment(n));
    const results = await ending;
    expect(sink.written).toHaveLength(3);
    expect(results).toHaveLength(1);
    const error = results[0]?.errors?.[0]?.originalError;
    expect(error).toMatchObject({ code: 'RATE_LIMITED', details: { reason: 'SLOW_CONSUMER', buffer: 3 } });
    expect(error?.message).toMatch(/fell 3 events behind/);
    expect(sink.released).toBe(1);
  });
});
