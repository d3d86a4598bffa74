import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { socketSink } from '../../../src/server/ws-socket-sink.js';
import { within } from '../../helpers/within.js';

/*
 * Read receipts over a real loopback WebSocket: the client's pong to a ping proves it read what was sent before it.
 */

interface Pair {
  readonly server: WebSocket;
  readonly client: WebSocket;
  readonly received: string[];
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function connected(): Promise<Pair> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  closers.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  closers.push(async () => {
    if (client.readyState === WebSocket.CLOSED) return;
    const closed = once(client, 'close');
    client.terminate();
    await closed;
  });
  const received: string[] = [];
  client.on('message', (data: Buffer) => received.push(data.toString('utf8')));
  const [[server]] = await Promise.all([accepted, once(client, 'open')]);
  return { server, client, received };
}

const payload = (n: number): Buffer => Buffer.from(`{"n":${n}}`);

describe('socketSink', () => {
  it('writes graphql-ws next messages for its operation id', async () => {
    const { server, received } = await connected();
    const sink = socketSink(server, 'op-1');
    const flushed = new Promise<void>((resolve) => sink.write(payload(1), resolve));
    await within(flushed, 2_000, 'the write to flush');
    await within(
      (async () => {
        while (received.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      })(),
      2_000,
      'the message',
    );
    expect(received).toEqual(['{"id":"op-1","type":"next","payload":{"n":1}}']);
  });

  it('counts messages as unread until the pong to a later ping comes back, and only those sent before that ping', async () => {
    const { server, client } = await connected();
    const sink = socketSink(server, '1');
    // The client stops reading: nothing it is sent is read, pings included.
    client.pause();
    for (let n = 1; n <= 3; n += 1) sink.write(payload(n), () => undefined);
    expect(sink.unread?.()).toBe(3);
    sink.probe?.();
    for (let n = 4; n <= 5; n += 1) sink.write(payload(n), () => undefined);
    // A second probe while the first is unanswered sends nothing.
    sink.probe?.();
    expect(sink.unread?.()).toBe(5);
    const pinged: Buffer[] = [];
    client.on('ping', (data: Buffer) => pinged.push(data));
    const ponged = once(server, 'pong');
    client.resume();
    await within(ponged, 2_000, 'the pong');
    // The ping went out after 3 messages: those 3 are read; the 2 sent after it are not known to be.
    expect(sink.unread?.()).toBe(2);
    expect(pinged).toHaveLength(1);
  });

  it('ignores pongs that answer no probe of its own, such as keep-alive ones', async () => {
    const { server, client } = await connected();
    const sink = socketSink(server, '1');
    sink.write(payload(1), () => undefined);
    const ponged = once(server, 'pong');
    client.pong();
    await within(ponged, 2_000, 'the unsolicited pong');
    expect(sink.unread?.()).toBe(1);
  });

  it('keeps separate counts for two operations on one socket and forgets a released one', async () => {
    const { server } = await connected();
    const a = socketSink(server, 'a');
    const b = socketSink(server, 'b');
    a.write(payload(1), () => undefined);
    b.write(payload(2), () => undefined);
    b.write(payload(3), () => undefined);
    b.release?.();
    const ponged = once(server, 'pong');
    a.probe?.();
    await within(ponged, 2_000, 'the pong');
    expect(a.unread?.()).toBe(0);
    // Released before the probe: its counts no longer move.
    expect(b.unread?.()).toBe(2);
  });
});
