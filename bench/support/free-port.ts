import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: for a child that must be told its port before it starts (a
 * `METRICS_PORT`, a CLI's `PORT`) rather than report an ephemeral one. Another process may take it in between; on
 * loopback in a benchmark run that is a failed start, not a wrong measurement.
 * @throws Error when no port can be bound.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
