/**
 * Entry point of `bench:ops`'s OTLP/HTTP trace receiver (started by `bench/ops.bench.ts` with `node --import tsx`):
 * on 127.0.0.1 with an ephemeral port, it accepts `POST /v1/traces` in protobuf or JSON (gzip or not), counts the
 * spans by name, discards them and answers an empty success, as a collector does when it keeps up. In its own process
 * so the gateways pay the whole export (batching, encoding, the HTTP request) and none of the receiving.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { OtlpReceived, OtlpReceiverCommands, OtlpReceiverReady } from './ops-commands.js';
import { countOtlpSpans, type SpanNames } from './ops-otlp.js';
import { describeError, serveCommands } from './ipc.js';

const TRACES_PATH = '/v1/traces';

let exports = 0;
let bytes = 0;
let refused = 0;
let firstRefusal: string | null = null;
const spans: SpanNames = {};

function refuse(res: ServerResponse, status: number, reason: string): void {
  refused += 1;
  firstRefusal ??= reason;
  res.statusCode = status;
  res.end();
}

function receive(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const contentType = req.headers['content-type'] ?? '';
  let counted: SpanNames;
  try {
    counted = countOtlpSpans(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body, contentType);
  } catch (error) {
    refuse(res, 400, `malformed export (${contentType}): ${describeError(error)}`);
    return;
  }
  exports += 1;
  bytes += body.length;
  for (const [name, count] of Object.entries(counted)) spans[name] = (spans[name] ?? 0) + count;
  const json = contentType.startsWith('application/json');
  res.statusCode = 200;
  res.setHeader('content-type', json ? 'application/json' : 'application/x-protobuf');
  // An empty ExportTraceServiceResponse: everything accepted, no partial success to report.
  res.end(json ? '{}' : '');
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== TRACES_PATH) {
    req.resume();
    refuse(res, 404, `${String(req.method)} ${String(req.url)}`);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => receive(req, Buffer.concat(chunks), res));
  req.once('error', (error) => refuse(res, 400, `request failed: ${error.message}`));
});
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    server.off('error', reject);
    resolve();
  });
});
const address = server.address() as AddressInfo;

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 2_000).unref();
  server.close(() => process.exit(0));
  server.closeAllConnections();
}

serveCommands<OtlpReceiverCommands>(
  { endpoint: `http://127.0.0.1:${String(address.port)}` } satisfies OtlpReceiverReady,
  { received: async (): Promise<OtlpReceived> => ({ exports, spans: { ...spans }, bytes, refused, firstRefusal }) },
  shutdown,
);
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
