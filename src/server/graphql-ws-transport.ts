import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../core/logger.js';
import { exceedsJsonDepth } from './json-depth.js';

/** What graphql-ws hands each operation hook as `ctx.extra`. */
export interface WsExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

/** Message types only a server may send; a client sending one breaks the protocol. */
const SERVER_ONLY_TYPES = new Set(['connection_ack', 'next', 'error']);

/**
 * Binds a graphql-ws protocol server (`makeServer`) to a `ws` server. Does what graphql-ws's own `useServer`
 * does (subprotocol negotiation, keep-alive pings that terminate a silent client, closing on errors), with
 * three differences that matter for hostile clients (RELIABILITY.md W6, W7, W11):
 * - a client frame of a server-only type (`next`, `error`, `connection_ack`) closes with 4400 Bad Request, as
 *   any other malformed frame does, instead of 4500 Internal Server Error;
 * - socket errors (oversized frames, invalid UTF-8, resets) are logged once through our logger at info level
 *   without a stack, never on stderr, so a client cannot make the server write at will;
 * - an error inside message handling is logged with its cause and closes with 4500 and a fixed reason;
 * - a message nesting JSON arrays and objects deeper than `maxJsonDepth` closes with 4400 and a reason naming the
 *   limit, found by a scan before graphql-ws parses it (RELIABILITY.md S16).
 * Lifetime: until `dispose()`, which closes every socket with 1001 and then the server.
 */
export function serveGraphqlWs(
  ws: WebSocketServer,
  options: ServerOptions<Record<string, unknown> | undefined, WsExtra>,
  keepAliveMs: number,
  logger: Logger,
  maxJsonDepth: number,
): { dispose(): Promise<void> } {
  const server = makeServer<Record<string, unknown> | undefined, WsExtra>(options);
  ws.options.handleProtocols = handleProtocols;
  ws.on('error', (error) => {
    logger.error({ err: { name: error.name, message: error.message } }, 'WebSocket server error');
    for (const client of ws.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });
  ws.on('connection', (socket, request) => {
    socket.once('error', (error: Error & { code?: string }) => {
      logger.info({ err: error }, 'WebSocket closed on a socket error');
      // ws has already closed with the matching code (1009 for an oversized frame); this covers the rest.
      if (socket.readyState === socket.OPEN) socket.close(CloseCode.BadRequest, 'Bad request');
    });
    let pongWait: NodeJS.Timeout | undefined;
    const pingInterval = setInterval(() => {
      if (socket.readyState !== socket.OPEN || pongWait !== undefined) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => {
        clearTimeout(pongWait);
        pongWait = undefined;
      });
      socket.ping();
    }, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) {
              resolve();
              return;
            }
            socket.send(data, (error) => (error === undefined || error === null ? resolve() : reject(error)));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) => {
          socket.on('message', (data: Buffer, isBinary: boolean) => {
            const text = isBinary ? undefined : data.toString('utf8');
            if (text !== undefined && exceedsJsonDepth(text, maxJsonDepth)) {
              socket.close(CloseCode.BadRequest, `JSON nested deeper than ${maxJsonDepth} levels (GRAPHQL_JSON_MAX_DEPTH)`);
              return;
            }
            if (text === undefined || SERVER_ONLY_TYPES.has(messageType(text) ?? '')) {
              socket.close(CloseCode.BadRequest, 'Invalid message received');
              return;
            }
            handle(text).catch((error: unknown) => {
              logger.error({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'graphql-ws message handling failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          });
        },
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearTimeout(pongWait);
      clearInterval(pingInterval);
      void closed(code, reason.toString('utf8')).catch((error: unknown) =>
        logger.error({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'graphql-ws close handling failed'),
      );
    });
  });
  return {
    dispose: async () => {
      for (const client of ws.clients) client.close(1001, 'Going away');
      ws.removeAllListeners();
      await new Promise<void>((resolve, reject) => ws.close((error) => (error === undefined ? resolve() : reject(error))));
    },
  };
}

/** The `type` of a JSON message, or undefined when it has none (graphql-ws then refuses it with 4400 itself). */
function messageType(text: string): string | undefined {
  // Only the server-only types need catching here, and they are short; skip the parse for anything else.
  if (!text.includes('"next"') && !text.includes('"error"') && !text.includes('"connection_ack"')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const type = (parsed as Record<string, unknown>)['type'];
    return typeof type === 'string' ? type : undefined;
  } catch {
    // Not JSON: graphql-ws's own parser refuses it with 4400.
    return undefined;
  }
}
