import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE_ABNORMAL, GraphqlWsLeanSocket, LeanWebSocket, type LeanWebSocketHandlers } from '../../../bench/support/lean-websocket.js';

const PROTOCOL = 'graphql-transport-ws';

/** What a client saw, and promises for its milestones. */
interface Observed {
  readonly messages: string[];
  readonly errors: Error[];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
  /** Resolves when `count` messages have arrived in all. */
  readonly messagesUntil: (count: number) => Promise<string[]>;
}

function observe(): { readonly handlers: LeanWebSocketHandlers; readonly observed: Observed } {
  const messages: string[] = [];
  const errors: Error[] = [];
  const waiters: { readonly count: number; readonly resolve: (messages: string[]) => void }[] = [];
  let open: () => void = () => undefined;
  let close: (event: { readonly code: number; readonly reason: string }) => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const closed = new Promise<{ readonly code: number; readonly reason: string }>((resolve) => {
    close = resolve;
  });
  const handlers: LeanWebSocketHandlers = {
    open: () => open(),
    message: (payload) => {
      messages.push(payload.toString('utf8'));
      for (const waiter of waiters) if (messages.length >= waiter.count) waiter.resolve(messages);
    },
    error: (error) => errors.push(error),
    close: (code, reason) => close({ code, reason }),
  };
  const messagesUntil = (count: number): Promise<string[]> =>
    messages.length >= count ? Promise.resolve(messages) : new Promise((resolve) => waiters.push({ count, resolve }));
  return { handlers, observed: { messages, errors, opened, closed, messagesUntil } };
}

describe('LeanWebSocket', () => {
  let server: WebSocketServer | undefined;

  afterEach(async () => {
    const closing = server;
    server = undefined;
    if (closing === undefined) return;
    for (const client of closing.clients) client.terminate();
    await new Promise<void>((resolve, reject) => closing.close((error) => (error === undefined ? resolve() : reject(error))));
  });

  /** Starts a `ws` server on loopback; resolves with its URL and a promise of the first connection's socket. */
  async function serve(options: { readonly protocol?: string | false } = {}): Promise<{ readonly url: string; readonly connection: Promise<WebSocket> }> {
    const started = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (protocols) => (options.protocol === undefined ? (protocols.has(PROTOCOL) ? PROTOCOL : false) : options.protocol),
    });
    server = started;
    await once(started, 'listening');
    const connection = once(started, 'connection').then(([socket]) => socket as WebSocket);
    return { url: `ws://127.0.0.1:${(started.address() as AddressInfo).port}/graphql`, connection };
  }

  /** A client connected to a fresh {@link serve} server: both ends, once the upgrade has completed. */
  async function connected(): Promise<{ readonly client: LeanWebSocket; readonly socket: WebSocket; readonly observed: Observed }> {
    const { url, connection } = await serve();
    const { handlers, observed } = observe();
    const client = new LeanWebSocket(url, PROTOCOL, handlers);
    const socket = await connection;
    await observed.opened;
    return { client, socket, observed };
  }

  it('receives text messages of every length encoding when the server sends 7-bit, 16-bit and 64-bit lengths', async () => {
    const { client, socket, observed } = await connected();
    // 70,000 and 300,000 bytes also span several reads, so they exercise the kept-partial-frame path.
    const sizes = [0, 1, 125, 126, 65_535, 65_536, 70_000, 300_000];
    const sent = sizes.map((size, index) => String.fromCharCode(97 + index).repeat(size));
    for (const text of sent) socket.send(text);
    expect(await observed.messagesUntil(sent.length)).toEqual(sent);
    expect(client.state).toBe('open');
    expect(observed.errors).toEqual([]);
    client.close();
    await observed.closed;
  });

  it('decodes multi-byte UTF-8 text when the message carries it', async () => {
    const { url, connection } = await serve();
    const { handlers, observed } = observe();
    const client = new LeanWebSocket(url, PROTOCOL, handlers);
    (await connection).send('{"name":"Ströme 🎥"}');
    expect(await observed.messagesUntil(1)).toEqual(['{"name":"Ströme 🎥"}']);
    client.close();
    await observed.closed;
  });

  it('sends masked text frames the server accepts when the client sends messages of each length encoding', async () => {
    const { client, socket, observed } = await connected();
    const received: string[] = [];
    const texts = ['{"type":"connection_init"}', 'x'.repeat(200), 'y'.repeat(70_000)];
    const all = new Promise<void>((resolve) => {
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        expect(isBinary).toBe(false);
        received.push(data.toString('utf8'));
        if (received.length === texts.length) resolve();
      });
    });
    for (const text of texts) client.send(text);
    await all;
    // ws closes the connection with 1002 on an unmasked client frame, so arriving intact shows the masking.
    expect(received).toEqual(texts);
    client.close();
    await observed.closed;
  });

  it('answers a ping with a pong carrying the same payload when the server pings', async () => {
    const { client, socket, observed } = await connected();
    const pong = once(socket, 'pong');
    socket.ping(Buffer.from('keep-alive'));
    const [payload] = (await pong) as [Buffer];
    expect(payload.toString('utf8')).toBe('keep-alive');
    client.close();
    await observed.closed;
  });

  it('reassembles one message when the server sends it in fragments', async () => {
    const { client, socket, observed } = await connected();
    socket.send('{"type":', { fin: false });
    socket.send('"next",', { fin: false });
    socket.send('"id":"1"}', { fin: true });
    socket.send('after');
    expect(await observed.messagesUntil(2)).toEqual(['{"type":"next","id":"1"}', 'after']);
    client.close();
    await observed.closed;
  });

  it('reports the server close code and reason when the server closes', async () => {
    const { client, socket, observed } = await connected();
    const serverSaw = once(socket, 'close');
    socket.close(4403, 'Forbidden');
    expect(await observed.closed).toEqual({ code: 4403, reason: 'Forbidden' });
    // The client echoed the close frame: the server's handshake completed with the same code.
    const [code] = (await serverSaw) as [number];
    expect(code).toBe(4403);
    expect(client.state).toBe('closed');
    expect(observed.errors).toEqual([]);
  });

  it('completes the close handshake with the given code when the client closes', async () => {
    const { client, socket, observed } = await connected();
    const serverSaw = once(socket, 'close');
    client.close(1000, 'Normal Closure');
    const [code, reason] = (await serverSaw) as [number, Buffer];
    expect([code, reason.toString('utf8')]).toEqual([1000, 'Normal Closure']);
    expect((await observed.closed).code).toBe(1000);
  });

  it('reports an abnormal close when the connection drops without a close frame', async () => {
    const { socket, observed } = await connected();
    socket.terminate();
    expect(await observed.closed).toEqual({ code: CLOSE_ABNORMAL, reason: '' });
  });

  it('fails the connection when the server selects no subprotocol', async () => {
    const { url } = await serve({ protocol: false });
    const { handlers, observed } = observe();
    let opened = false;
    void observed.opened.then(() => (opened = true));
    new LeanWebSocket(url, PROTOCOL, handlers);
    expect((await observed.closed).code).toBe(CLOSE_ABNORMAL);
    expect(opened).toBe(false);
    expect(observed.errors.map((error) => error.message)).toEqual([expect.stringContaining('subprotocol') as unknown]);
  });

  it('fails the connection with a protocol error when the server sends a binary message', async () => {
    const { socket, observed } = await connected();
    const serverSaw = once(socket, 'close');
    socket.send(Buffer.from([1, 2, 3]), { binary: true });
    const [code] = (await serverSaw) as [number];
    expect(code).toBe(1002);
    await observed.closed;
    expect(observed.messages).toEqual([]);
    expect(observed.errors.map((error) => error.message)).toEqual([expect.stringContaining('binary message') as unknown]);
  });

  it('refuses a URL when its scheme is not ws', () => {
    const { handlers } = observe();
    expect(() => new LeanWebSocket('wss://127.0.0.1:1/graphql', PROTOCOL, handlers)).toThrow(TypeError);
  });

  it('carries a graphql-ws createClient subscription to completion when GraphqlWsLeanSocket is its webSocketImpl', async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'ok' } } }),
      subscription: new GraphQLObjectType({
        name: 'Subscription',
        fields: {
          count: {
            type: GraphQLInt,
            args: { to: { type: GraphQLInt } },
            subscribe: async function* (_root: unknown, args: { readonly to: number }) {
              for (let value = 1; value <= args.to; value += 1) yield { count: value };
            },
          },
        },
      }),
    });
    const started = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server = started;
    await once(started, 'listening');
    const graphqlWs = useServer({ schema }, started);
    const client = createClient({
      url: `ws://127.0.0.1:${(started.address() as AddressInfo).port}/graphql`,
      webSocketImpl: GraphqlWsLeanSocket,
      connectionParams: { token: 'abc' },
      lazy: true,
      retryAttempts: 0,
    });
    try {
      const values: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        client.subscribe<{ readonly count: number }>(
          { query: 'subscription ($to: Int) { count(to: $to) }', variables: { to: 3 } },
          { next: (result) => values.push(result.data?.count), error: reject, complete: resolve },
        );
      });
      expect(values).toEqual([1, 2, 3]);
    } finally {
      await client.dispose();
      // Closes the WebSocketServer too, so afterEach has nothing left to close.
      server = undefined;
      await graphqlWs.dispose();
    }
  });
});
