import { once } from 'node:events';
import { print, type GraphQLFormattedError } from 'graphql';
import WebSocket from 'ws';
import { StreamFragmentsDocument, type StreamFragmentsSubscription } from '../generated/graphql.js';
import { within } from './within.js';

/** One event of the `StreamFragments` operation. */
export type StreamEvent = StreamFragmentsSubscription['streamFragments'];

/**
 * A `StreamFragments` subscription over one graphql-transport-ws socket of its own, spoken directly with `ws` so a
 * test can stop reading the socket (`pause()`) the way a stalled client does, and see exactly what arrives. Every
 * message is recorded as it arrives. The caller closes it (`close()`).
 */
export class LiveSubscription {
  readonly events: StreamEvent[] = [];
  readonly fragments: string[] = [];
  /** The errors the server ended the subscription with (a result with `errors`, or an `error` message). */
  errors: readonly GraphQLFormattedError[] | undefined;
  completed = false;
  /** The socket's close code and reason, once closed. */
  closed: { readonly code: number; readonly reason: string } | undefined;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { type: string; payload?: unknown };
      if (message.type === 'next') {
        const payload = message.payload as { data?: StreamFragmentsSubscription | null; errors?: GraphQLFormattedError[] };
        // A subscription the server ends with an error sends it as a result with `errors`, then `complete`.
        if (payload.errors !== undefined) this.errors = payload.errors;
        const event = payload.data?.streamFragments;
        if (event !== undefined && event !== null) {
          this.events.push(event);
          if (event.__typename === 'FragmentEvent') this.fragments.push(event.fragment.fragmentNumber);
        }
      } else if (message.type === 'error') {
        this.errors = message.payload as GraphQLFormattedError[];
      } else if (message.type === 'complete') {
        this.completed = true;
      }
      this.notify();
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString('utf8') };
      this.notify();
    });
  }

  /**
   * Connects to `url` (a `ws://…/graphql` URL), acknowledges, and subscribes to `stream` from `NOW`.
   * @throws when the socket does not open or the server does not acknowledge within 5 s.
   */
  static async open(url: string, stream: string, headers: Readonly<Record<string, string>> = {}): Promise<LiveSubscription> {
    const socket = new WebSocket(url, 'graphql-transport-ws', { headers });
    await within(once(socket, 'open'), 5_000, 'the WebSocket to open');
    const acknowledged = new Promise<void>((resolve) => {
      const onMessage = (data: Buffer): void => {
        if ((JSON.parse(data.toString('utf8')) as { type: string }).type !== 'connection_ack') return;
        socket.off('message', onMessage);
        resolve();
      };
      socket.on('message', onMessage);
    });
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await within(acknowledged, 5_000, 'connection_ack');
    const subscription = new LiveSubscription(socket);
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: print(StreamFragmentsDocument), operationName: 'StreamFragments', variables: { stream, start: { type: 'NOW' } } },
      }),
    );
    return subscription;
  }

  /** Resolves once `condition` holds; rejects after `ms` naming `what`, or once the socket closed first. */
  until(condition: () => boolean, ms: number, what: string): Promise<void> {
    let check: () => void = () => undefined;
    const reached = new Promise<void>((resolve, reject) => {
      check = () => {
        if (condition()) resolve();
        else if (this.closed !== undefined) reject(new Error(`the socket closed (${JSON.stringify(this.closed)}) before ${what}`));
      };
      this.listeners.add(check);
      check();
    });
    return within(reached, ms, what).finally(() => this.listeners.delete(check));
  }

  /** Stops reading the socket: the server's messages (and pings) wait in the kernel's buffers. */
  pause(): void {
    this.socket.pause();
  }

  /** Reads the socket again. */
  resume(): void {
    this.socket.resume();
  }

  /** Closes the socket and waits for it to be closed. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = once(this.socket, 'close');
    this.socket.terminate();
    await closed;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
