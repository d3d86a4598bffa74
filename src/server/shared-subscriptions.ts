import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  createSourceEventStream,
  execute,
  GraphQLError,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import { isLiveEdge } from '../core/live-edge.js';
import type { LiveEvent } from '../live/live.types.js';
import { slowConsumerError, type OverflowPolicy } from '../live/subscriber.js';

/** Options of {@link SharedSubscriptions}. */
export interface SharedSubscriptionOptions {
  /** Results buffered per member before the overflow policy applies. */
  readonly memberBuffer: number;
  readonly overflow: OverflowPolicy;
  /**
   * Builds the context a shared execution runs with, from the context of the member that started the group.
   * It must not hold anything member-specific beyond what the identity covers (the group outlives its first
   * member); `signal` aborts when the last member leaves.
   */
  readonly createContext: (signal: AbortSignal, member: unknown) => unknown;
  /** Authorization identity of a member's context; members only share with the same identity. */
  readonly identityOf: (contextValue: unknown) => string;
  /**
   * Turns a result into the UTF-8 JSON payload of a `next` message, errors formatted for clients. Called at most
   * once per event per group, and only when some member has a {@link DirectSink}.
   */
  readonly serialize: (result: ExecutionResult) => Buffer;
  /**
   * Sees every member's subscription (its start, and its end through the returned iterator) for metrics and the
   * access log; returns `result` or a wrapper of it. Optional.
   */
  readonly observe?: (
    args: ExecutionArgs,
    transport: 'ws' | 'sse',
    result: AsyncIterableIterator<ExecutionResult> | ExecutionResult,
    /** Results written straight to the member's {@link DirectSink} so far, which the iterator never yields. */
    sinkWrites: () => number,
  ) => AsyncIterableIterator<ExecutionResult> | ExecutionResult;
}

/**
 * A transport that takes a member's results as bytes. With a sink, a member does not yield its results through
 * the iterator (which would cost the transport a serialization and a promise chain per member and event): the
 * group serializes each result once and every member writes the same bytes. The iterator then only carries the
 * end of the subscription (and a terminal error result), which keeps the transport's own completion logic.
 */
export interface DirectSink {
  /**
   * Writes one `next` message whose payload is `payload` (a serialized result). `flushed` is called once the
   * bytes have left the process or the write failed; until then the message counts against the member's buffer.
   * Returns false, and never calls `flushed`, when the transport is already closed.
   */
  write(payload: Buffer, flushed: () => void): boolean;
  /**
   * Read receipts, optional: how many of this sink's messages the client has not been seen to read yet, whether they
   * wait in the process, in the kernel's socket buffers or on the wire. When given, this is what counts against the
   * member's buffer instead of the unflushed writes, which stay at zero until the kernel's buffers (megabytes) are
   * full, far too late to notice a client that stopped reading. Called on every delivery: O(1), no allocation.
   */
  unread?(): number;
  /**
   * Asks the transport to find out how far the client has read (a WebSocket ping: its pong confirms everything sent
   * before it). Called when half the buffer is unread; a no-op while an earlier probe is unanswered.
   */
  probe?(): void;
  /** The member is done with the sink: the sink may drop its bookkeeping. Called once. */
  release?(): void;
}

/**
 * A transport that pulls a member's results through its iterator (graphql-sse) and writes them to a socket. It pulls
 * as fast as results come and queues them itself, so the member's queue stays empty; instead, what the member hands
 * over while the socket holds bytes the kernel would not take counts against its buffer, until a delivery finds the
 * socket's queue empty again.
 */
export interface PulledTransport {
  /** Bytes the socket holds that the kernel has not taken (an SSE response's `writableLength`); read per delivery. */
  queuedBytes(): number;
}


const printed = new WeakMap<DocumentNode, string>();

/**
 * Runs each distinct subscription (same document, operation, variables and identity) once and fans its results
 * out to every member, so the per-delivery cost is a queue push plus the transport's send, not a GraphQL
 * execution. The source is resolved once per group; each event is executed once per group.
 *
 * Sharing never loses an event. A member that joins a running group gets only what the group delivers from then
 * on, so a group stays open to new members only while that is everything the member would get on its own:
 * - a live-edge source ({@link markLiveEdge}, e.g. a `NOW` fragment subscription) stays joinable for its lifetime;
 * - any other source (a subscription from EARLIEST, a fragment number, a timestamp or a token, or one whose first
 *   event is a current state) is joinable only until it delivers its first event other than a status; from then
 *   on an identical subscription starts a group of its own, served from its requested start.
 * A member that joins after a status event (`THROTTLED`, `RECONNECTING`, ...) first gets the latest one, as a new
 * hub subscriber gets the feed's current status.
 *
 * Each member has a bounded buffer of `memberBuffer` events. What counts against it is what the client has not
 * taken yet: results queued here, plus, with a {@link DirectSink} that has read receipts, every message the client
 * has not been seen to read (so a client that stops reading fills it within `memberBuffer` events, not once the
 * kernel's socket buffers are full), or, with a {@link PulledTransport}, what was handed over while the socket was
 * backed up. When it is full, fragment events are skipped and, once the member catches up, a gap event (executed
 * with the member's own selection) tells it what it missed; with the `close` policy the member instead ends with a
 * `RATE_LIMITED` error whose message and details (`reason: SLOW_CONSUMER`, `buffer`) say why. Other events are never
 * skipped. A slow member never delays the group or other members.
 */
export class SharedSubscriptions {
  /** Groups that new members may join, by key. */
  private readonly groups = new Map<string, SharedGroup>();
  /** Every running group, joinable or not. */
  private readonly running = new Set<SharedGroup>();

  constructor(private readonly options: SharedSubscriptionOptions) {}

  /** Number of running groups (distinct executions), including those no longer open to new members. */
  get groupCount(): number {
    return this.running.size;
  }

  /**
   * Drop-in for graphql's `subscribe` in graphql-ws and graphql-sse. With `sink`, results go to the sink and the
   * returned iterator only ends (see {@link DirectSink}); without one, `pulled` (when given) says how backed up the
   * socket behind the iterator is (see {@link PulledTransport}).
   */
  readonly subscribe = async (
    args: ExecutionArgs,
    sink?: DirectSink,
    pulled?: PulledTransport,
  ): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const identity = this.options.identityOf(args.contextValue);
    const key = groupKey(args, identity);
    let group = this.groups.get(key);
    if (group === undefined) {
      // `detach` when the group stops taking members (see the class comment) or ends: either way the next identical
      // subscription starts a new group.
      const detach = (): void => {
        if (this.groups.get(key) === created) this.groups.delete(key);
      };
      const created: SharedGroup = new SharedGroup(args, this.options, {
        detach,
        end: () => {
          detach();
          this.running.delete(created);
        },
      });
      this.groups.set(key, created);
      this.running.add(created);
      group = created;
    }
    const result = await group.join(sink, pulled);
    if (this.options.observe === undefined) return result;
    const sinkWrites = result instanceof Member ? () => result.sinkWrites : () => 0;
    return this.options.observe(args, sink === undefined ? 'sse' : 'ws', result, sinkWrites);
  };
}

function groupKey(args: ExecutionArgs, identity: string): string {
  let text = printed.get(args.document);
  if (text === undefined) {
    text = print(args.document);
    printed.set(args.document, text);
  }
  return `${identity}\0${args.operationName ?? ''}\0${JSON.stringify(args.variableValues ?? {})}\0${text}`;
}

/** A result the group delivered, kept to replay to later members. */
interface Delivered {
  readonly result: ExecutionResult;
  readonly event: unknown;
  readonly encode: () => Buffer;
}

class SharedGroup {
  private readonly members = new Set<Member>();
  private readonly controller = new AbortController();
  private readonly ready: Promise<ExecutionResult | undefined>;
  private readonly executionArgs: ExecutionArgs;
  private source: AsyncIterator<unknown> | undefined;
  /** Whether a member joining now would miss an event (see {@link SharedSubscriptions}). */
  private liveEdge = false;
  /** The latest status event delivered, replayed to members that join later. */
  private status: Delivered | undefined;

  constructor(
    args: ExecutionArgs,
    private readonly options: SharedSubscriptionOptions,
    private readonly registry: {
      /** Takes the group out of the registry (idempotent): no member joins it after this. */
      readonly detach: () => void;
      /** The group has ended (idempotent); implies `detach`. */
      readonly end: () => void;
    },
  ) {
    this.executionArgs = { ...args, contextValue: options.createContext(this.controller.signal, args.contextValue) };
    this.ready = this.start();
  }

  async join(sink: DirectSink | undefined, pulled: PulledTransport | undefined): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const member = new Member(this, this.options.memberBuffer, this.options.overflow, sink, pulled);
    this.members.add(member);
    // Synchronously with the add: the next event the pump fans out comes after this one.
    if (this.status !== undefined) member.deliver(this.status.result, this.status.event, this.status.encode);
    const failure = await this.ready;
    if (failure !== undefined) {
      this.leave(member);
      return failure;
    }
    return member;
  }

  leave(member: Member): void {
    if (!this.members.delete(member) || this.members.size > 0) return;
    this.registry.end();
    this.controller.abort();
    void this.source?.return?.();
  }

  /**
   * Executes one source event with the group's selection (also used for per-member gap events). Synchronous when
   * every resolver on the path is, which is the common case for event payloads.
   */
  executeEvent(event: unknown): ExecutionResult | Promise<ExecutionResult> {
    return execute({ ...this.executionArgs, rootValue: event });
  }

  serialize(result: ExecutionResult): Buffer {
    return this.options.serialize(result);
  }

  private async start(): Promise<ExecutionResult | undefined> {
    let stream: AsyncIterable<unknown> | ExecutionResult;
    try {
      stream = await createSourceEventStream(this.executionArgs);
    } catch (error) {
      this.registry.end();
      return { errors: [toGraphQLError(error)] };
    }
    if (!(Symbol.asyncIterator in stream)) {
      // Validation or the subscribe function failed: nothing to share.
      this.registry.end();
      return stream;
    }
    this.liveEdge = isLiveEdge(stream);
    this.source = stream[Symbol.asyncIterator]();
    void this.pump(this.source);
    return undefined;
  }

  private async pump(source: AsyncIterator<unknown>): Promise<void> {
    try {
      for (;;) {
        const next = await source.next();
        if (next.done === true) break;
        const executed = this.executeEvent(next.value);
        const result = executed instanceof Promise ? await executed : executed;
        let bytes: Buffer | undefined;
        const encode = (): Buffer => (bytes ??= this.options.serialize(result));
        if (isStatus(next.value)) {
          this.status = { result, event: next.value, encode };
        } else if (!this.liveEdge) {
          // From this event on, a member joining would start later than the subscription it asked for.
          this.registry.detach();
        }
        for (const member of this.members) member.deliver(result, next.value, encode);
        // One event per turn of the event loop. With a backlog in the source, `next()` resolves at once, and on
        // sockets with room the members' sends complete synchronously; without this turn a whole backlog would
        // be fanned out in one microtask chain, and for as long as that takes (seconds with thousands of
        // members) nothing else runs: no timers, no new connections, no reads from the upstream. The backlog
        // then grows during the chain and makes the next chain longer still.
        await nextTurn();
      }
      for (const member of this.members) member.end();
    } catch (error) {
      if (this.controller.signal.aborted) return;
      const result: ExecutionResult = { errors: [toGraphQLError(error)] };
      // After what the members already have queued: the source failed after delivering it (e.g. a final ENDED).
      for (const member of this.members) member.endWith(result, true);
    } finally {
      this.registry.end();
    }
  }
}

/**
 * A queue slot; `result` is undefined while a member-specific gap result is still being executed. `encode` is the
 * group's once-per-event serialization of `result`, when there is one.
 */
interface Slot {
  result: ExecutionResult | undefined;
  readonly encode?: () => Buffer;
}

/**
 * One subscriber of a group. Without a sink, results wait in `queue` until the transport pulls them through the
 * iterator. With a sink, results are written at once and `queue` only holds what arrived behind a gap result
 * that is still executing (so order is kept); the buffer bound then counts what the client has not read yet (or,
 * for a sink without read receipts, writes it has not flushed yet). See {@link SharedSubscriptions}.
 */
class Member implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: Slot[] = [];
  private waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  private done = false;
  private lastFragment: string | null = null;
  private dropped: { after: string | null; count: number; stream: string } | undefined;
  /** Sink writes not yet flushed. */
  private inFlight = 0;
  /** Sink writes accepted, for the access log. */
  private written = 0;
  /** Pulled transport: results handed over since a delivery last found the socket's queue empty. */
  private handedWhileBackedUp = 0;
  /** Unread sink messages from which the sink is asked for read receipts: half the buffer. */
  private readonly probeAt: number;
  /** Sink mode: the error result that ends the member, yielded through the iterator. */
  private terminal: ExecutionResult | undefined;
  private readonly onFlushed = (): void => {
    this.inFlight -= 1;
  };

  constructor(
    private readonly group: SharedGroup,
    private readonly capacity: number,
    private readonly overflow: OverflowPolicy,
    private readonly sink: DirectSink | undefined,
    private readonly pulled: PulledTransport | undefined,
  ) {
    this.probeAt = Math.max(1, Math.ceil(capacity / 2));
  }

  /** Results this member's sink accepted so far (0 without a sink). */
  get sinkWrites(): number {
    return this.written;
  }

  deliver(result: ExecutionResult, event: unknown, encode: () => Buffer): void {
    if (this.done) return;
    const fragment = fragmentOf(event);
    if (fragment !== undefined && this.backlog() >= this.capacity) {
      if (this.overflow === 'close') {
        this.endWith({ errors: [toGraphQLError(slowConsumerError(this.capacity))] });
        return;
      }
      this.dropped ??= { after: this.lastFragment, count: 0, stream: fragment.stream };
      this.dropped.count += 1;
      return;
    }
    if (fragment !== undefined && this.dropped !== undefined) {
      // The gap is member-specific, so it is executed for this member alone, in the slot before the fragment.
      const gap: LiveEvent = {
        kind: 'gap',
        stream: this.dropped.stream,
        reason: 'SLOW_CONSUMER',
        afterFragmentNumber: this.dropped.after,
        beforeFragmentNumber: fragment.number,
        missedFragments: this.dropped.count,
      };
      this.dropped = undefined;
      const slot: Slot = { result: undefined };
      this.queue.push(slot);
      const executed = this.group.executeEvent(gap);
      if (executed instanceof Promise) {
        void executed.then((gapResult) => {
          slot.result = gapResult;
          this.flush();
        });
      } else {
        slot.result = executed;
      }
    }
    if (fragment !== undefined) this.lastFragment = fragment.number;
    if (this.sink !== undefined && this.queue.length === 0) {
      // The common case, kept free of allocations beyond the sink's own write.
      this.write(encode());
      return;
    }
    this.queue.push({ result, encode });
    this.flush();
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.sink?.release?.();
    this.flush();
  }

  /**
   * Ends the member with an error result: at once, dropping what is queued (a member that cannot keep up), or with
   * `afterQueued` once the queued results are out (the source failed; what it delivered before still counts).
   */
  endWith(result: ExecutionResult, afterQueued = false): void {
    if (this.done) return;
    if (!afterQueued) this.queue.length = 0;
    if (this.sink === undefined) this.queue.push({ result });
    else this.terminal = result;
    this.done = true;
    this.sink?.release?.();
    this.flush();
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const head = this.takeHead();
    if (head !== undefined) return Promise.resolve({ value: head, done: false });
    if (this.done && this.queue.length === 0) {
      this.group.leave(this);
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.done) this.sink?.release?.();
    this.done = true;
    this.queue.length = 0;
    this.terminal = undefined;
    this.group.leave(this);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the member like `return()`. graphql-sse only ends operations whose iterator has `throw()` too. */
  throw(): Promise<IteratorResult<ExecutionResult>> {
    return this.return();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  /** The next result the iterator yields: a queued result, or in sink mode only the terminal one. */
  private takeHead(): ExecutionResult | undefined {
    if (this.sink !== undefined) {
      // The terminal result comes after any result still queued behind a gap that is being executed.
      if (this.queue.length > 0) return undefined;
      const terminal = this.terminal;
      this.terminal = undefined;
      return terminal;
    }
    const head = this.queue[0]?.result;
    if (head !== undefined) {
      this.queue.shift();
      if (this.pulled !== undefined && this.pulled.queuedBytes() > 0) this.handedWhileBackedUp += 1;
    }
    return head;
  }

  /** What counts against the buffer now (see the class comment). */
  private backlog(): number {
    if (this.sink !== undefined) return this.queue.length + (this.sink.unread === undefined ? this.inFlight : this.sink.unread());
    if (this.pulled !== undefined && this.pulled.queuedBytes() === 0) this.handedWhileBackedUp = 0;
    return this.queue.length + this.handedWhileBackedUp;
  }

  private write(payload: Buffer): void {
    const sink = this.sink;
    if (sink?.write(payload, this.onFlushed) !== true) return;
    this.inFlight += 1;
    this.written += 1;
    if (sink.probe !== undefined && sink.unread !== undefined && sink.unread() >= this.probeAt) sink.probe();
  }

  private flush(): void {
    if (this.sink !== undefined) {
      for (let head = this.queue[0]; head?.result !== undefined; head = this.queue[0]) {
        this.queue.shift();
        this.write(head.encode?.() ?? this.group.serialize(head.result));
      }
    }
    const waiting = this.waiting;
    if (waiting === undefined) return;
    const head = this.takeHead();
    if (head !== undefined) {
      this.waiting = undefined;
      waiting({ value: head, done: false });
    } else if (this.done && this.queue.length === 0) {
      this.waiting = undefined;
      this.group.leave(this);
      waiting({ value: undefined, done: true });
    }
  }
}

/** Whether a source event is a live status change, which describes a state rather than history. */
function isStatus(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'kind' in event && (event as LiveEvent).kind === 'status';
}

function fragmentOf(event: unknown): { number: string; stream: string } | undefined {
  if (typeof event !== 'object' || event === null || !('kind' in event)) return undefined;
  const live = event as LiveEvent;
  if (live.kind !== 'fragment' || live.fragment.fragmentNumber === null) return undefined;
  return { number: live.fragment.fragmentNumber, stream: live.stream };
}

function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const original = error instanceof Error ? error : new Error(String(error));
  return new GraphQLError(original.message, { originalError: original });
}
