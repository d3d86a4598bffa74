import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Remembers every socket of `server` from its first connection on, so that {@link closeHttpServer} can end idle
 * keep-alive and deliberately stalled connections at once instead of waiting for them. Call before `listen`.
 */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/**
 * Binds `server` to `host:port` (port 0 picks a free one) and resolves with its base URL, e.g.
 * `http://127.0.0.1:43210` (IPv6 hosts in brackets).
 * @throws (rejects) the listen error, e.g. EADDRINUSE.
 */
export async function listenHttp(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

/** Stops listening and destroys every tracked socket; resolves once the server has closed. */
export async function closeHttpServer(server: Server, sockets: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error?: Error) => (error ? reject(error) : resolve()));
  });
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await closed;
}
