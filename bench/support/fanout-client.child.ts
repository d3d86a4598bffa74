/**
 * Entry point of a load-client process of the live fan-out benchmark (started by `bench/fanout.bench.ts` with
 * `node --import tsx`). It holds many graphql-ws clients (the package's `createClient` over `GraphqlWsLeanSocket`,
 * `lazy: false`, `retryAttempts: 0`; or the lean protocol clients, see `FanoutClientKind`), one socket and one
 * subscription each, and records every fragment event they receive: which client, the event's timestamp (`serverTimestamp`) and the receive time. Both are `Date.now()` values of
 * the same machine clock, so their difference is the delivery latency. The parent asks for a window's summary
 * afterwards, so nothing but the sockets' own work runs while events arrive.
 */
import { createClient, GRAPHQL_TRANSPORT_WS_PROTOCOL, type FormattedExecutionResult } from 'graphql-ws';
import type { Arrivals, ClientStatus, ClientWindowReport, ConnectArgs, ConnectResult, FanoutClientCommands } from './fanout-commands.js';
import { serveCommands } from './ipc.js';
import { GraphqlWsLeanSocket, LeanWebSocket } from './lean-websocket.js';

/** The part of the `StreamFragments` selection this process reads. */
interface StreamFragmentsData {
  readonly streamFragments: {
    readonly __typename: string;
    readonly fragment?: { readonly fragmentNumber: string; readonly serverTimestamp: string | null };
  };
}

interface Slot {
  readonly index: number;
  /** Closes the client (after completing its subscription when it can); set once the client exists. */
  dispose: (() => Promise<void> | void) | undefined;
  unsubscribe: (() => void) | undefined;
  connected: boolean;
  /** Resolves when the socket has closed (set once the client exists). */
  closedSocket: Promise<void>;
  /** The server acknowledged the connection (stays true after a later close). */
  acknowledged: boolean;
  /** Closed or failed before its connection was acknowledged. */
  failed: boolean;
  /** Given up at the connect deadline: closed, and left out of every count. */
  abandoned: boolean;
  active: boolean;
  lastFragment: string | null;
}

const slots: Slot[] = [];
// Every fragment event, as three parallel arrays (client index, event timestamp, receive time, epoch ms):
// cheaper to append than objects, and summarised only when the parent asks.
const eventClient: number[] = [];
const eventStamp: number[] = [];
const eventReceived: number[] = [];
let gaps = 0;
let statuses = 0;
let errors = 0;
let closed = 0;
let duplicates = 0;
let outOfOrder = 0;
let firstError: string | null = null;
/** Why the first client that never got its connection acknowledged failed (reported by `connect`). */
let firstConnectFailure: string | null = null;
let payloadChars: number | null = null;
/** False once the parent asked to disconnect: closes after that are expected. */
let wanted = true;

function noteError(what: string, detail: unknown): void {
  errors += 1;
  firstError ??= `${what}: ${describeDetail(detail)}`;
}

function describeDetail(detail: unknown): string {
  if (detail instanceof Error) return detail.message;
  if (typeof detail === 'object' && detail !== null && 'code' in detail) {
    const close = detail as { readonly code: unknown; readonly reason?: unknown };
    return `close ${String(close.code)} ${String(close.reason ?? '')}`;
  }
  return JSON.stringify(detail) ?? String(detail);
}

/** Fragment numbers are decimal strings without leading zeros: longer is larger, equal length compares as text. */
function compareNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function onResult(slot: Slot, result: FormattedExecutionResult<StreamFragmentsData, unknown>): void {
  // First thing: the receive time must not include this handler's own work.
  const received = Date.now();
  if (result.errors !== undefined) {
    noteError('result', result.errors);
    return;
  }
  const event = result.data?.streamFragments;
  if (event === undefined) {
    noteError('result', 'no data');
    return;
  }
  if (recordEvent(slot, received, event.__typename, event.fragment?.fragmentNumber, event.fragment?.serverTimestamp ?? undefined)) {
    payloadChars ??= JSON.stringify(result).length;
  }
}

/** Counts one `streamFragments` event; a fragment is recorded with its latency sample (and true returned). */
function recordEvent(slot: Slot, received: number, typename: string, fragmentNumber: string | undefined, serverTimestamp: string | undefined): boolean {
  if (typename === 'GapEvent') {
    gaps += 1;
    return false;
  }
  if (typename !== 'FragmentEvent') {
    statuses += 1;
    return false;
  }
  if (fragmentNumber === undefined || serverTimestamp === undefined) {
    noteError('fragment', 'FragmentEvent without fragment.fragmentNumber and fragment.serverTimestamp');
    return false;
  }
  if (slot.lastFragment !== null) {
    const order = compareNumbers(fragmentNumber, slot.lastFragment);
    if (order === 0) duplicates += 1;
    else if (order < 0) outOfOrder += 1;
  }
  slot.lastFragment = fragmentNumber;
  slot.active = true;
  eventClient.push(slot.index);
  eventStamp.push(Date.parse(serverTimestamp));
  eventReceived.push(received);
  return true;
}

/**
 * The string value of the first `"key":"..."` in `message` at or after `from`, or undefined. Only for ASCII values
 * without escapes (type names, fragment numbers, ISO timestamps), which is all the lean client reads this way; it
 * searches the bytes, so a message is never decoded whole.
 */
function stringField(message: Buffer, key: string, from = 0): string | undefined {
  const marker = `"${key}":"`;
  const at = message.indexOf(marker, from, 'latin1');
  if (at === -1) return undefined;
  const start = at + marker.length;
  const end = message.indexOf(QUOTE, start);
  return end === -1 ? undefined : message.toString('latin1', start, end);
}

const QUOTE = 0x22;

/** The id the lean client gives its one subscription. */
const LEAN_SUBSCRIPTION_ID = '1';

/**
 * One client speaking graphql-transport-ws directly over a {@link LeanWebSocket} (see `FanoutClientKind`):
 * connection_init with the connection params, subscribe once acknowledged, pong to pings, complete on dispose.
 * A `next` message is read with a few byte searches (its type, the event's typename, fragment number and server
 * timestamp); every other message is JSON-parsed. Protocol violations and errors count like the library client's.
 */
function openLeanClient(args: ConnectArgs, index: number): Promise<boolean> {
  const { slot, socketClosed } = newSlot(index);
  const label = `client ${args.firstIndex + index}`;
  let subscribed = false;
  let socket: LeanWebSocket | undefined;
  const complete = (): void => {
    if (subscribed) socket?.send(`{"id":"${LEAN_SUBSCRIPTION_ID}","type":"complete"}`);
    subscribed = false;
  };
  slot.unsubscribe = complete;
  slot.dispose = () => {
    complete();
    socket?.close(1000, 'Normal Closure');
  };
  return new Promise((resolve) => {
    const settle = connectSettler(slot, label, resolve);
    const onControl = (text: string): void => {
      let message: { readonly type?: unknown; readonly payload?: unknown };
      try {
        message = JSON.parse(text) as typeof message;
      } catch (error) {
        noteError(`${label} message`, error);
        return;
      }
      switch (message.type) {
        case 'connection_ack':
          slot.connected = true;
          slot.acknowledged = true;
          socket?.send(
            JSON.stringify({ id: LEAN_SUBSCRIPTION_ID, type: 'subscribe', payload: { query: args.query, operationName: args.operationName, variables: args.variables } }),
          );
          subscribed = true;
          settle(true);
          return;
        case 'ping':
          socket?.send('{"type":"pong"}');
          return;
        case 'pong':
          return;
        case 'error':
          if (counts(slot)) noteError(`${label} subscription`, message.payload);
          return;
        case 'complete':
          subscribed = false;
          if (counts(slot)) {
            closed += 1;
            firstError ??= `${label}: subscription completed by the server`;
          }
          return;
        default:
          noteError(`${label} message`, `unexpected message type ${String(message.type)}`);
      }
    };
    socket = new LeanWebSocket(args.url, GRAPHQL_TRANSPORT_WS_PROTOCOL, {
      open: () => socket?.send(JSON.stringify({ type: 'connection_init', payload: args.connectionParams })),
      message: (data) => {
        // First thing: the receive time must not include this handler's own work.
        const received = Date.now();
        if (stringField(data, 'type') !== 'next') {
          onControl(data.toString('utf8'));
          return;
        }
        // As the package client's handler does: a result with errors counts as an error, data or not.
        if (data.includes('"errors":')) {
          noteError('result', data.toString('utf8', 0, 300));
          return;
        }
        const typename = stringField(data, '__typename', data.indexOf('"streamFragments"'));
        if (typename === undefined) {
          noteError('result', 'no streamFragments event');
          return;
        }
        if (recordEvent(slot, received, typename, stringField(data, 'fragmentNumber'), stringField(data, 'serverTimestamp'))) payloadChars ??= data.length;
      },
      // Resets show up as close events too; the close event carries what the run reports.
      error: (error) => {
        if (!slot.acknowledged) settle(false, error);
      },
      close: (code, reason) => {
        const event = { code, reason };
        if (counts(slot)) {
          closed += 1;
          firstError ??= `${label} closed: ${describeDetail(event)}`;
        }
        slot.connected = false;
        socketClosed();
        settle(false, event);
      },
    });
  });
}

/**
 * Whether something happening to `slot` counts against the run: only for clients whose connection was
 * acknowledged, not given up, while the benchmark still wants them. Failures before the acknowledgement are
 * connection failures, reported by `connect` instead.
 */
function counts(slot: Slot): boolean {
  return wanted && slot.acknowledged && !slot.abandoned;
}

/** A new slot in {@link slots}, and the function that marks its socket closed. */
function newSlot(index: number): { readonly slot: Slot; readonly socketClosed: () => void } {
  let socketClosed: () => void = () => undefined;
  const closedSocket = new Promise<void>((resolve) => {
    socketClosed = resolve;
  });
  const slot: Slot = { index, dispose: undefined, unsubscribe: undefined, connected: false, closedSocket, acknowledged: false, failed: false, abandoned: false, active: false, lastFragment: null };
  slots.push(slot);
  return { slot, socketClosed };
}

/**
 * Settles a client's connect promise once: true when acknowledged; false when it failed first, marking the slot
 * failed and keeping the first failure's reason for the `connect` report.
 */
function connectSettler(slot: Slot, label: string, resolve: (ok: boolean) => void): (ok: boolean, why?: unknown) => void {
  let settled = false;
  return (ok, why) => {
    if (settled) return;
    settled = true;
    if (!ok) {
      slot.failed = true;
      firstConnectFailure ??= `${label}: ${describeDetail(why)}`;
    }
    resolve(ok);
  };
}

function openClient(args: ConnectArgs, index: number): Promise<boolean> {
  const { slot, socketClosed } = newSlot(index);
  return new Promise((resolve) => {
    const settle = connectSettler(slot, `client ${args.firstIndex + index}`, resolve);
    const client = createClient({
      url: args.url,
      webSocketImpl: GraphqlWsLeanSocket,
      connectionParams: args.connectionParams,
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: (error: unknown) => {
        if (counts(slot)) noteError(`client ${args.firstIndex + index} connection`, error);
        settle(false, error);
      },
      on: {
        connected: () => {
          slot.connected = true;
          slot.acknowledged = true;
          settle(true);
        },
        closed: (event: unknown) => {
          if (counts(slot)) {
            closed += 1;
            firstError ??= `client ${args.firstIndex + index} closed: ${describeDetail(event)}`;
          }
          slot.connected = false;
          socketClosed();
          settle(false, event);
        },
      },
    });
    slot.dispose = () => client.dispose();
    // Sent as soon as the connection is acknowledged.
    slot.unsubscribe = client.subscribe<StreamFragmentsData>(
      { query: args.query, operationName: args.operationName, variables: args.variables },
      {
        next: (result) => onResult(slot, result),
        error: (error: unknown) => {
          if (counts(slot)) noteError(`client ${args.firstIndex + index} subscription`, error);
        },
        complete: () => {
          if (counts(slot)) {
            closed += 1;
            firstError ??= `client ${args.firstIndex + index}: subscription completed by the server`;
          }
        },
      },
    );
  });
}

async function connect(args: ConnectArgs): Promise<ConnectResult> {
  const started = performance.now();
  const base = slots.length;
  let next = 0;
  let expired = false;
  // A fixed number of connections in flight: the server's accept queue and connection_init timeout never
  // see a burst of thousands at once.
  const pool = Promise.all(
    Array.from({ length: Math.min(args.concurrency, args.count) }, async () => {
      while (next < args.count && !expired) {
        const index = base + next;
        next += 1;
        await (args.client === 'lean' ? openLeanClient(args, index) : openClient(args, index));
      }
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    pool,
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        expired = true;
        resolve();
      }, args.deadlineMs);
    }),
  ]);
  clearTimeout(timer);
  const batch = slots.slice(base);
  const connected = batch.filter((slot) => slot.acknowledged).length;
  const failed = batch.filter((slot) => slot.failed && !slot.acknowledged).length;
  // Clients not acknowledged by the deadline are given up and left out of every count, so none of them joins
  // in the middle of a window; those that failed are closed already.
  for (const slot of batch) if (!slot.acknowledged) abandon(slot);
  return { connected, failed, pending: args.count - connected - failed, elapsedMs: performance.now() - started, firstFailure: firstConnectFailure };
}

function abandon(slot: Slot): void {
  slot.abandoned = true;
  slot.unsubscribe?.();
  const dispose = slot.dispose;
  if (dispose === undefined) return;
  Promise.resolve(dispose()).catch((error: unknown) => noteError(`client ${slot.index} dispose after the connect deadline`, error));
}

function status(): ClientStatus {
  let clients = 0;
  let connected = 0;
  let active = 0;
  for (const slot of slots) {
    if (slot.abandoned) continue;
    clients += 1;
    if (slot.connected) connected += 1;
    if (slot.active) active += 1;
  }
  return { clients, connected, active, fragments: eventClient.length, gaps, statuses, errors, closed, firstError };
}

function toPairs(counts: Map<number, number>): [number, number][] {
  return [...counts.entries()].sort((a, b) => a[0] - b[0]);
}

function report(fromMs: number, toMs: number): ClientWindowReport {
  const latency = new Map<number, number>();
  const stampedByClient = new Array<number>(slots.length).fill(0);
  let deliveries = 0;
  for (let index = 0; index < eventClient.length; index += 1) {
    const stamp = eventStamp[index] as number;
    const received = eventReceived[index] as number;
    if (received >= fromMs && received < toMs) {
      deliveries += 1;
      const ms = received - stamp;
      latency.set(ms, (latency.get(ms) ?? 0) + 1);
    }
    if (stamp >= fromMs && stamp < toMs) {
      const client = eventClient[index] as number;
      stampedByClient[client] = (stampedByClient[client] ?? 0) + 1;
    }
  }
  const perClient = new Map<number, number>();
  stampedByClient.forEach((count, client) => {
    if (slots[client]?.abandoned !== true) perClient.set(count, (perClient.get(count) ?? 0) + 1);
  });
  return {
    deliveries,
    latencyHistogram: toPairs(latency),
    stampedPerClient: toPairs(perClient),
    duplicates,
    outOfOrder,
    gaps,
    errors,
    closed,
    payloadChars,
  };
}

/**
 * The earliest receive time of an event stamped at or after `stampedFromMs`, and how many clients have one. Such an
 * event cannot have been received before it was stamped, and receive times are appended in order, so the scan
 * starts at the first event received at or after that moment (found by bisection).
 */
function arrivals(stampedFromMs: number): Arrivals {
  let low = 0;
  let high = eventReceived.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((eventReceived[middle] as number) < stampedFromMs) low = middle + 1;
    else high = middle;
  }
  let firstReceivedMs: number | null = null;
  const reached = new Set<number>();
  for (let index = low; index < eventClient.length; index += 1) {
    if ((eventStamp[index] as number) < stampedFromMs) continue;
    const client = eventClient[index] as number;
    if (slots[client]?.abandoned === true) continue;
    const received = eventReceived[index] as number;
    firstReceivedMs = firstReceivedMs === null ? received : Math.min(firstReceivedMs, received);
    reached.add(client);
  }
  return { firstReceivedMs, clientsReached: reached.size, clients: slots.filter((slot) => !slot.abandoned).length };
}

/** How long `disconnect` waits for the close handshakes before the process may exit anyway. */
const CLOSE_WAIT_MS = 10_000;

async function disconnect(): Promise<{ closed: number }> {
  wanted = false;
  // Complete every subscription first, so the server stops sending before the sockets close; then close them
  // and wait for the close handshakes. A process exiting with open sockets resets them, and the server would see
  // thousands of failed writes that have nothing to do with what was measured.
  for (const slot of slots) slot.unsubscribe?.();
  let count = 0;
  await Promise.all(
    slots.map(async (slot) => {
      if (slot.dispose === undefined) return;
      try {
        await slot.dispose();
      } catch (error) {
        // Counted and described: a socket that fails to close cleanly is worth a line in the log.
        noteError(`client ${slot.index} dispose`, error);
      }
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(slots.map((slot) => slot.closedSocket.then(() => (count += 1)))),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  return { closed: count };
}

serveCommands<FanoutClientCommands>(
  null,
  {
    connect,
    status: async () => status(),
    report: async ({ fromMs, toMs }) => report(fromMs, toMs),
    arrivals: async ({ stampedFromMs }) => arrivals(stampedFromMs),
    disconnect,
  },
  () => {
    // The parent is gone: the sockets close with the process.
    wanted = false;
    process.exit(0);
  },
);
