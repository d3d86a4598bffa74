import WebSocket from 'ws';

/*
 * Opens `count` graphql-transport-ws sockets to `url` at once, sends one text frame of `bytes` spaces on each and
 * prints the close codes as one JSON line: `{"codes":[1009,...]}`. Run as its own process (see `floodSockets` in
 * ./ws-flood.ts) so that the client side's buffers (ws masks every outgoing frame into a fresh copy) do not land in
 * the RSS of the process whose memory a test measures.
 *
 * Usage: node --import tsx test/helpers/ws-flood.child.ts URL COUNT BYTES
 */

const [url, countText, bytesText] = process.argv.slice(2);
const count = Number(countText);
const bytes = Number(bytesText);
if (url === undefined || !Number.isSafeInteger(count) || count <= 0 || !Number.isSafeInteger(bytes) || bytes <= 0) {
  process.stderr.write('usage: ws-flood.child.ts URL COUNT BYTES\n');
  process.exit(64);
}

const frame = Buffer.alloc(bytes, 0x20);

function closeCode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url as string, 'graphql-transport-ws');
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no close within 10 s'));
    }, 10_000);
    socket.once('open', () => socket.send(frame, { binary: false }));
    // The server's close after an oversized frame can arrive as a reset; the close event carries the code either way.
    socket.on('error', () => undefined);
    socket.once('close', (code: number) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

try {
  const codes = await Promise.all(Array.from({ length: count }, closeCode));
  process.stdout.write(`${JSON.stringify({ codes })}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
