import { WebSocket } from 'ws';
import type { DirectSink } from './shared-subscriptions.js';

const NEXT_SUFFIX = Buffer.from('}');
/** Shared by every write: no options object per message. */
const TEXT_FRAME = { binary: false } as const;

/** One sink's message counts on its socket. */
interface SinkCounts {
  /** Messages written. */
  written: number;
  /** `written` when the outstanding probe was sent. */
  writtenAtProbe: number;
  /** Messages the client has been seen to read: all those written before the last answered probe. */
  read: number;
}

/**
 * Read receipts for one socket. A WebSocket is one ordered byte stream, and a client answers a ping when it reads it
 * (RFC 6455 requires the pong; browsers and `ws` send it themselves), so the pong to a ping sent after some messages
 * proves the client has read them. The kernel's socket buffers, by contrast, take megabytes from a client that has
 * stopped reading before anything queues in the process, so counting only unflushed writes notices such a client
 * far too late. One probe at a time per socket; its payload tells its pong from the keep-alive's (empty) ones.
 * Lifetime: the socket's; the bookkeeping goes with it.
 */
class ReadReceipts {
  private readonly sinks = new Set<SinkCounts>();
  private outstanding: Buffer | undefined;
  private probes = 0;

  constructor(private readonly socket: WebSocket) {
    socket.on('pong', (data: Buffer) => this.answered(data));
    socket.once('close', () => {
      this.sinks.clear();
      this.outstanding = undefined;
    });
  }

  add(counts: SinkCounts): void {
    this.sinks.add(counts);
  }

  remove(counts: SinkCounts): void {
    this.sinks.delete(counts);
  }

  /** Sends a probe unless one is unanswered (or the socket is no longer open). */
  probe(): void {
    if (this.outstanding !== undefined || this.socket.readyState !== WebSocket.OPEN) return;
    for (const counts of this.sinks) counts.writtenAtProbe = counts.written;
    this.probes += 1;
    this.outstanding = Buffer.from(`read-receipt ${this.probes}`);
    this.socket.ping(this.outstanding);
  }

  private answered(data: Buffer): void {
    if (this.outstanding === undefined || !data.equals(this.outstanding)) return;
    this.outstanding = undefined;
    // A sink added after the probe has 0 here: none of its messages were before the ping.
    for (const counts of this.sinks) counts.read = counts.writtenAtProbe;
  }
}

const receipts = new WeakMap<WebSocket, ReadReceipts>();

/**
 * A {@link DirectSink} writing `next` messages for operation `id` to `socket`, byte-identical to what graphql-ws would
 * send, with read receipts (see {@link ReadReceipts}): `unread()` counts the messages the client has not been seen to
 * read, and `probe()` pings to find out. A failed write is not reported here: the socket then emits `close`, and
 * graphql-ws ends the operation from that. Lifetime: until `release()` or the socket's close.
 */
export function socketSink(socket: WebSocket, id: string): DirectSink {
  const prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  let socketReceipts = receipts.get(socket);
  if (socketReceipts === undefined) {
    socketReceipts = new ReadReceipts(socket);
    receipts.set(socket, socketReceipts);
  }
  const tracker = socketReceipts;
  const counts: SinkCounts = { written: 0, writtenAtProbe: 0, read: 0 };
  tracker.add(counts);
  return {
    write: (payload, flushed) => {
      if (socket.readyState !== WebSocket.OPEN) return false;
      socket.send(Buffer.concat([prefix, payload, NEXT_SUFFIX]), TEXT_FRAME, flushed);
      counts.written += 1;
      return true;
    },
    unread: () => counts.written - counts.read,
    probe: () => tracker.probe(),
    release: () => tracker.remove(counts),
  };
}
