/**
 * A minimal RFC 6455 WebSocket client for the fan-out benchmark's lean load clients.
 *
 * Why not `ws`: the load clients share the machine's two cores with the server they measure. At 5,000 subscribers
 * and 10 events/s the `ws` client spent about 0.57 of a core in user time across the two client processes (its
 * receiver is a Writable stream that every frame passes through, then an event per message); CPU the clients burn
 * is CPU the server does not get, and shows up as latency the server did not cause. This client hands each
 * complete frame's payload to its handler as a view of the bytes just read, without copying it when the frame
 * lies within one read.
 *
 * Scope (deliberately): `ws://` only, no extensions (permessage-deflate is never offered), text messages only
 * (a binary message is a protocol error here), fragmented messages reassembled, pings answered with pongs, the
 * close handshake honoured. Frames from the server must be unmasked (RFC 6455 §5.1); frames we send are masked
 * with a fresh random key each.
 *
 * Every connection of the process reads into one shared buffer through `net`'s `onread` option, so a read neither
 * allocates nor passes through the Readable stream machinery; this is safe because each read is consumed
 * synchronously (bytes of an incomplete frame are copied out before the next read can overwrite them).
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** RFC 6455 §1.3: appended to the client's key before hashing for Sec-WebSocket-Accept. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** Close code for "no close frame was received" (RFC 6455 §7.1.5); never sent on the wire. */
export const CLOSE_ABNORMAL = 1006;
/** Close code for a protocol error (RFC 6455 §7.4.1). */
const CLOSE_PROTOCOL_ERROR = 1002;

/** Largest message accepted, bytes: far above any `next` message of the benchmark, small enough to bound memory. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Largest HTTP response head accepted before the upgrade completes, bytes. */
const MAX_HANDSHAKE_BYTES = 16 * 1024;

/** The buffer every connection reads into (see the module comment); larger than any TCP read on loopback needs. */
const RECEIVE_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** Callbacks of a {@link LeanWebSocket}; each is called on the socket's own event-loop turn. */
export interface LeanWebSocketHandlers {
  /** The upgrade completed; messages may be sent from now on. */
  readonly open: () => void;
  /**
   * One complete text message. `payload` may view the shared receive buffer: valid only during the call (copy
   * what must outlive it).
   */
  readonly message: (payload: Buffer) => void;
  /** The connection failed or broke the protocol; `close` follows. */
  readonly error: (error: Error) => void;
  /**
   * The connection is gone: `code` and `reason` from the peer's close frame, or {@link CLOSE_ABNORMAL} and an
   * empty reason when the TCP connection ended without one. Called exactly once.
   */
  readonly close: (code: number, reason: string) => void;
}

/** Where a {@link LeanWebSocket} is in its life: the `readyState` values of the WebSocket API. */
export type LeanWebSocketState = 'connecting' | 'open' | 'closing' | 'closed';

/**
 * One WebSocket connection to a `ws://` URL, opened at construction. Not reusable: after `close` has been
 * reported, make a new one.
 */
export class LeanWebSocket {
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private currentState: LeanWebSocketState = 'connecting';
  /** Received bytes not yet consumed: the handshake head, or an incomplete frame. */
  private pending: Buffer | undefined;
  /** Payloads of a fragmented message received so far. */
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private closeSent = false;
  /** Set once the connection failed: later bytes are dropped unread (RFC 6455 §7.1.7). */
  private failed = false;
  private closeCode = CLOSE_ABNORMAL;
  private closeReason = '';

  /**
   * @param url `ws://host:port/path` (throws `TypeError` for another scheme).
   * @param protocol the subprotocol to ask for; the server must select it, or the connection fails.
   */
  constructor(
    url: string,
    private readonly protocol: string,
    private readonly handlers: LeanWebSocketHandlers,
  ) {
    const target = new URL(url);
    if (target.protocol !== 'ws:') throw new TypeError(`LeanWebSocket speaks ws:// only, got ${target.protocol}`);
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = target.port === '' ? 80 : Number(target.port);
    this.socket = connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: RECEIVE_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          this.onData(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return true;
        },
      },
    });
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
      );
    });
    this.socket.on('error', (error: Error) => this.handlers.error(error));
    this.socket.on('close', () => {
      this.currentState = 'closed';
      this.handlers.close(this.closeCode, this.closeReason);
    });
  }

  /** The connection's state. */
  get state(): LeanWebSocketState {
    return this.currentState;
  }

  /** Sends one text message; ignored unless the connection is open. */
  send(text: string): void {
    if (this.currentState !== 'open') return;
    this.sendFrame(OP_TEXT, Buffer.from(text, 'utf8'));
  }

  /** Starts the close handshake; the TCP connection ends when the peer answers (or at once if it never opened). */
  close(code = 1000, reason = ''): void {
    if (this.currentState === 'connecting') {
      this.terminate();
      return;
    }
    if (this.currentState !== 'open') return;
    this.currentState = 'closing';
    this.sendClose(code, reason);
  }

  /** Destroys the TCP connection without a close handshake. */
  terminate(): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closing';
    this.socket.destroy();
  }

  private fail(error: Error): void {
    this.failed = true;
    this.pending = undefined;
    this.handlers.error(error);
    if (this.currentState === 'open') {
      this.currentState = 'closing';
      this.sendClose(CLOSE_PROTOCOL_ERROR, '');
      this.socket.end();
    } else {
      this.terminate();
    }
  }

  /** Handles received bytes; `chunk` views {@link RECEIVE_BUFFER} and is overwritten by the next read. */
  private onData(chunk: Buffer): void {
    if (this.failed) return;
    let buffer = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    if (this.currentState === 'connecting') {
      const rest = this.handshake(buffer);
      if (rest === undefined) return;
      buffer = rest;
    }
    let offset = 0;
    // Each pass consumes one whole frame; an incomplete one is kept for the next chunk.
    while (offset < buffer.length && !this.failed && this.currentState !== 'closed') {
      const consumed = this.frame(buffer, offset);
      if (consumed === 0) break;
      offset += consumed;
    }
    if (offset < buffer.length && !this.failed && this.currentState !== 'closed') this.pending = Buffer.from(buffer.subarray(offset));
  }

  /** Reads the upgrade response; returns the bytes after its head, or undefined (waiting for more, or failed). */
  private handshake(buffer: Buffer): Buffer | undefined {
    const end = buffer.indexOf('\r\n\r\n');
    if (end === -1) {
      if (buffer.length > MAX_HANDSHAKE_BYTES) this.fail(new Error('WebSocket handshake: response head too large'));
      else this.pending = Buffer.from(buffer);
      return undefined;
    }
    const [statusLine = '', ...headerLines] = buffer.toString('latin1', 0, end).split('\r\n');
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const expectedAccept = createHash('sha1').update(this.key + ACCEPT_GUID).digest('base64');
    const problem = !/^HTTP\/1\.1 101\b/.test(statusLine)
      ? `unexpected status ${statusLine}`
      : headers.get('upgrade')?.toLowerCase() !== 'websocket'
        ? 'missing Upgrade: websocket'
        : headers.get('sec-websocket-accept') !== expectedAccept
          ? 'wrong Sec-WebSocket-Accept'
          : headers.get('sec-websocket-protocol') !== this.protocol
            ? `server selected subprotocol ${String(headers.get('sec-websocket-protocol'))}, asked for ${this.protocol}`
            : headers.has('sec-websocket-extensions')
              ? 'server selected an extension that was not offered'
              : undefined;
    if (problem !== undefined) {
      this.fail(new Error(`WebSocket handshake: ${problem}`));
      return undefined;
    }
    this.currentState = 'open';
    this.handlers.open();
    return buffer.subarray(end + 4);
  }

  /** Handles the frame at `offset`; returns the bytes it took, or 0 when it is not complete yet. */
  private frame(buffer: Buffer, offset: number): number {
    const available = buffer.length - offset;
    if (available < 2) return 0;
    const first = buffer[offset] as number;
    const second = buffer[offset + 1] as number;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if ((first & 0x70) !== 0) return this.protocolError('reserved bits set without a negotiated extension');
    if ((second & 0x80) !== 0) return this.protocolError('masked frame from the server');
    let length = second & 0x7f;
    let header = 2;
    if (length === 126) {
      if (available < 4) return 0;
      length = buffer.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (available < 10) return 0;
      const long = buffer.readBigUInt64BE(offset + 2);
      if (long > BigInt(MAX_MESSAGE_BYTES)) return this.protocolError(`frame of ${long} bytes is too large`);
      length = Number(long);
      header = 10;
    }
    if (available < header + length) return 0;
    const payload = buffer.subarray(offset + header, offset + header + length);
    const size = header + length;
    if (opcode >= OP_CLOSE) {
      // Control frames: never fragmented, at most 125 bytes (RFC 6455 §5.5).
      if (!fin || length > 125) return this.protocolError('malformed control frame');
      if (opcode === OP_PING) this.sendFrame(OP_PONG, payload);
      else if (opcode === OP_CLOSE) this.onClose(payload);
      else if (opcode !== OP_PONG) return this.protocolError(`unknown opcode ${opcode}`);
      return size;
    }
    if (opcode === OP_BINARY) return this.protocolError('binary message (only text is expected)');
    if (opcode === OP_TEXT) {
      if (this.fragments.length > 0) return this.protocolError('new message inside a fragmented one');
      if (fin) {
        this.handlers.message(payload);
        return size;
      }
    } else if (opcode !== OP_CONTINUATION || this.fragments.length === 0) {
      return this.protocolError(opcode === OP_CONTINUATION ? 'continuation without a message' : `unknown opcode ${opcode}`);
    }
    this.fragmentBytes += length;
    if (this.fragmentBytes > MAX_MESSAGE_BYTES) return this.protocolError('message too large');
    // Copied: the payload views the shared receive buffer, which the next read overwrites.
    this.fragments.push(Buffer.from(payload));
    if (fin) {
      const message = Buffer.concat(this.fragments, this.fragmentBytes);
      this.fragments = [];
      this.fragmentBytes = 0;
      this.handlers.message(message);
    }
    return size;
  }

  /** Reports a protocol error and fails the connection; returns 0 so the frame loop stops. */
  private protocolError(what: string): 0 {
    this.fail(new Error(`WebSocket protocol error: ${what}`));
    return 0;
  }

  private onClose(payload: Buffer): void {
    this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    this.closeReason = payload.length > 2 ? payload.toString('utf8', 2) : '';
    // Echo the close if we did not start it, then end our side; the server closes the TCP connection.
    if (!this.closeSent) this.sendClose(this.closeCode === 1005 ? 1000 : this.closeCode, '');
    this.currentState = 'closing';
    this.socket.end();
  }

  private sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const reasonBytes = Buffer.from(reason, 'utf8');
    const payload = Buffer.allocUnsafe(2 + reasonBytes.length);
    payload.writeUInt16BE(code, 0);
    reasonBytes.copy(payload, 2);
    this.sendFrame(OP_CLOSE, payload);
  }

  /** Writes one final, masked frame (every client frame must be masked, RFC 6455 §5.3). */
  private sendFrame(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    const length = payload.length;
    const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
    const frame = Buffer.allocUnsafe(header + 4 + length);
    frame[0] = 0x80 | opcode;
    if (header === 2) {
      frame[1] = 0x80 | length;
    } else if (header === 4) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    const mask = randomBytes(4);
    mask.copy(frame, header);
    const start = header + 4;
    for (let index = 0; index < length; index += 1) frame[start + index] = (payload[index] as number) ^ (mask[index & 3] as number);
    this.socket.write(frame);
  }
}

/** The `readyState` number of each {@link LeanWebSocketState}, as the WebSocket API numbers them. */
const READY_STATE: Readonly<Record<LeanWebSocketState, number>> = { connecting: 0, open: 1, closing: 2, closed: 3 };

/**
 * The part of the WebSocket API that graphql-ws's `createClient` uses (`webSocketImpl`), over a
 * {@link LeanWebSocket}: the package client's protocol logic, message parsing and validation run unchanged, only
 * the transport under them is the lean one. Messages are delivered as strings, as a browser's text messages are.
 */
export class GraphqlWsLeanSocket {
  static readonly CONNECTING = READY_STATE.connecting;
  static readonly OPEN = READY_STATE.open;
  static readonly CLOSING = READY_STATE.closing;
  static readonly CLOSED = READY_STATE.closed;

  onopen: (() => void) | null = null;
  onmessage: ((event: { readonly data: string }) => void) | null = null;
  onerror: ((error: Error) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string; readonly wasClean: boolean }) => void) | null = null;
  /** The subprotocol asked for (the connection fails unless the server selects it). */
  readonly protocol: string;
  private readonly socket: LeanWebSocket;

  /** @param protocol one subprotocol (graphql-ws passes `graphql-transport-ws`). */
  constructor(url: string, protocol: string) {
    this.protocol = protocol;
    this.socket = new LeanWebSocket(url, protocol, {
      open: () => this.onopen?.(),
      message: (payload) => this.onmessage?.({ data: payload.toString('utf8') }),
      error: (error) => this.onerror?.(error),
      close: (code, reason) => this.onclose?.({ code, reason, wasClean: code !== CLOSE_ABNORMAL }),
    });
  }

  /** The WebSocket API's `readyState` (0 connecting, 1 open, 2 closing, 3 closed). */
  get readyState(): number {
    return READY_STATE[this.socket.state];
  }

  /** Sends one text message; ignored unless open. */
  send(data: string): void {
    this.socket.send(data);
  }

  /** Starts the close handshake (see {@link LeanWebSocket.close}). */
  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }
}
