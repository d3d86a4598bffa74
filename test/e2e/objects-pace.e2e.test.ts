import { createHash, randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { within } from '../helpers/within.js';

const MiB = 1024 * 1024;
/** The lowered per-call deadline of the fast runs: every transfer below lasts several times longer. */
const TIMEOUT_MS = 1_000;
/** The lowered idle timeout of the stall and pause runs. */
const IDLE_MS = 500;

/** How a download through the byte endpoint ended, seen from the client. */
interface DownloadOutcome {
  readonly status: number;
  readonly contentLength: string | undefined;
  readonly body: Buffer;
  /** False when the response was cut before its last byte. */
  readonly complete: boolean;
  readonly elapsedMs: number;
}

/** How a client reads a response body. */
interface ReadPace {
  /** Bytes per second the client takes at most; the socket's backpressure slows the sender to match. */
  readonly bytesPerSecond: number;
  /** After this many bytes the client stops reading for `pauseMs`, once. */
  readonly pauseAfterBytes?: number;
  readonly pauseMs?: number;
  /** Called with the running byte count after every chunk taken. */
  readonly onBytes?: (taken: number) => void;
}

/**
 * A client that reads `url` through a Writable taking at most `pace.bytesPerSecond`: each chunk is acknowledged
 * only when the pace allows, so the response is read with backpressure exactly as a slow network reader would.
 */
function downloadAtPace(url: string, pace: ReadPace): Promise<DownloadOutcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let taken = 0;
      let pausedMs = 0;
      let cut = false;
      const sink = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          const before = taken;
          taken += chunk.length;
          pace.onBytes?.(taken);
          if (pace.pauseAfterBytes !== undefined && before < pace.pauseAfterBytes && taken >= pace.pauseAfterBytes) pausedMs = pace.pauseMs ?? 0;
          const due = started + pausedMs + (taken / pace.bytesPerSecond) * 1000;
          // Once the response is cut, what already arrived is taken at once: only the outcome is left to report.
          setTimeout(callback, cut ? 0 : Math.max(0, due - Date.now()));
        },
      });
      // A cut response closes before its last byte (Content-Length not reached); the bytes that did arrive are
      // still taken at the client's pace before the outcome is reported.
      res.once('error', () => {
        cut = true;
      });
      res.once('close', () => {
        if (res.complete) return;
        cut = true;
        sink.end();
      });
      sink.once('finish', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentLength: res.headers['content-length'],
          body: Buffer.concat(chunks),
          complete: !cut && res.complete,
          elapsedMs: Date.now() - started,
        }),
      );
      res.pipe(sink);
    });
    req.once('error', reject);
    req.end();
  });
}

/** A PUT of `body` sent at most `bytesPerSecond`, optionally going quiet for `pauseMs` after `pauseAfterBytes`. */
function uploadAtPace(
  url: string,
  body: Buffer,
  pace: { readonly bytesPerSecond: number; readonly pauseAfterBytes?: number; readonly pauseMs?: number },
): Promise<{ readonly status: number; readonly json: unknown }> {
  const started = Date.now();
  let offset = 0;
  let pausedMs = 0;
  const source = new Readable({
    read() {
      if (offset >= body.length) {
        this.push(null);
        return;
      }
      const part = body.subarray(offset, offset + 64 * 1024);
      const before = offset;
      offset += part.length;
      if (pace.pauseAfterBytes !== undefined && before < pace.pauseAfterBytes && offset >= pace.pauseAfterBytes) pausedMs = pace.pauseMs ?? 0;
      const due = started + pausedMs + (before / pace.bytesPerSecond) * 1000;
      setTimeout(() => this.push(part), Math.max(0, due - Date.now()));
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', agent: false, headers: { 'content-length': String(body.length), 'content-type': 'application/octet-stream' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
    });
    // The gateway may answer (504) before it has read the whole body: the answer is what the test looks at.
    req.once('error', reject);
    source.pipe(req);
  });
}

/** The parsed log lines whose message is `msg`. */
function logLines(t: TestGateway, msg: string): Record<string, unknown>[] {
  return t.logs
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['msg'] === msg);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('Object byte endpoint at the client\'s pace with a 1 s UPSTREAM_TIMEOUT_MS', () => {
  let t: TestGateway;

  beforeAll(async () => {
    // Everything else at its default, UPSTREAM_IDLE_TIMEOUT_MS (15 s) included.
    t = await startTestGateway({ UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) });
  });

  afterAll(async () => {
    await t.close();
  });

  it('delivers every byte of a download that lasts 8 times UPSTREAM_TIMEOUT_MS when the client reads at 1 MB/s', async () => {
    // Larger than what the sockets on the way buffer (a few MB) plus a second's worth: a deadline left on the
    // upstream request cuts this download, as it cut 24 MiB at 0.5 MB/s after 10 s in production.
    const bytes = randomBytes(8 * MiB);
    t.emulator.putObjectDirect('pace/slow-read.bin', bytes);
    const outcome = await downloadAtPace(t.gateway.services.urls.download('pace/slow-read.bin', 600).url, { bytesPerSecond: 1_000_000 });
    expect(outcome.status).toBe(200);
    expect(outcome.contentLength).toBe(String(bytes.length));
    expect(outcome.complete).toBe(true);
    expect(sha256(outcome.body)).toBe(sha256(bytes));
    expect(outcome.elapsedMs).toBeGreaterThan(5 * TIMEOUT_MS);
    expect(logLines(t, 'object download interrupted')).toEqual([]);
  });

  it('stores every byte of an upload that lasts 4 times UPSTREAM_TIMEOUT_MS when the client sends at 1 MB/s', async () => {
    const bytes = randomBytes(4 * MiB);
    const url = t.gateway.services.urls.upload('pace/slow-write.bin', { contentType: undefined, cacheControl: undefined, uploadAvailability: 'STANDARD' }, 600).url;
    const started = Date.now();
    const outcome = await uploadAtPace(url, bytes, { bytesPerSecond: 1_000_000 });
    expect(outcome.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThan(3 * TIMEOUT_MS);
    expect(t.emulator.readObjectDirect('pace/slow-write.bin')?.equals(bytes)).toBe(true);
  });
});

describe('Object byte endpoint with a 500 ms UPSTREAM_IDLE_TIMEOUT_MS', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS), UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_MS) });
  });

  afterAll(async () => {
    await t.close();
  });

  it('cuts a download with UPSTREAM_TIMEOUT after the idle timeout when the store stalls mid-body, however slowly the client reads', async () => {
    const size = 8 * MiB;
    t.emulator.putObjectDirect('pace/stalls.bin', randomBytes(size));
    t.emulator.injectFault({ kind: 'stall', operation: 'GetObject', afterBytes: MiB, times: 1 });
    const url = t.gateway.services.urls.download('pace/stalls.bin', 600).url;
    const outcome = await within(downloadAtPace(url, { bytesPerSecond: 4_000_000 }), 15_000, 'the stalled download to be cut');
    expect(outcome.status).toBe(200);
    expect(outcome.contentLength).toBe(String(size));
    expect(outcome.complete).toBe(false);
    expect(outcome.body.length).toBe(MiB);
    expect(logLines(t, 'object download interrupted')).toEqual([expect.objectContaining({ path: 'pace/stalls.bin', code: 'UPSTREAM_TIMEOUT', sentBytes: MiB, totalBytes: size })]);
  });

  it('delivers every byte when the client stops reading for 4 times the idle timeout mid-download', async () => {
    const bytes = randomBytes(16 * MiB);
    t.emulator.putObjectDirect('pace/paused-read.bin', bytes);
    const url = t.gateway.services.urls.download('pace/paused-read.bin', 600).url;
    const outcome = await downloadAtPace(url, { bytesPerSecond: 50_000_000, pauseAfterBytes: MiB, pauseMs: 4 * IDLE_MS });
    expect(outcome.complete).toBe(true);
    expect(sha256(outcome.body)).toBe(sha256(bytes));
    expect(outcome.elapsedMs).toBeGreaterThan(4 * IDLE_MS);
  });

  it('stores every byte when the client stops sending for 4 times the idle timeout mid-upload', async () => {
    const bytes = randomBytes(2 * MiB);
    const url = t.gateway.services.urls.upload('pace/paused-write.bin', { contentType: undefined, cacheControl: undefined, uploadAvailability: 'STANDARD' }, 600).url;
    const outcome = await uploadAtPace(url, bytes, { bytesPerSecond: 50_000_000, pauseAfterBytes: 256 * 1024, pauseMs: 4 * IDLE_MS });
    expect(outcome.status).toBe(201);
    expect(t.emulator.readObjectDirect('pace/paused-write.bin')?.equals(bytes)).toBe(true);
  });

  it('answers 504 UPSTREAM_TIMEOUT after the idle timeout when the store stops reading an upload', async () => {
    t.emulator.injectFault({ kind: 'stall', operation: 'PutObject', afterBytes: 256 * 1024, times: 1 });
    const bytes = randomBytes(16 * MiB);
    const url = t.gateway.services.urls.upload('pace/stalled-write.bin', { contentType: undefined, cacheControl: undefined, uploadAvailability: 'STANDARD' }, 600).url;
    const outcome = await within(uploadAtPace(url, bytes, { bytesPerSecond: 50_000_000 }), 15_000, 'the stalled upload to be answered');
    expect(outcome.status).toBe(504);
    expect(outcome.json).toEqual({ error: { code: 'UPSTREAM_TIMEOUT', message: expect.any(String) as unknown, retryable: true } });
    expect(t.emulator.readObjectDirect('pace/stalled-write.bin')).toBeUndefined();
  });
});

describe('Object byte endpoint during shutdown', () => {
  it('logs a download cut by the SHUTDOWN_GRACE_MS deadline as cut by shutdown, not as an upstream failure', async () => {
    const t = await startTestGateway({ SHUTDOWN_GRACE_MS: '200' });
    let outcome: DownloadOutcome;
    try {
      const size = 16 * MiB;
      t.emulator.putObjectDirect('pace/long.bin', randomBytes(size));
      let reached: () => void = () => undefined;
      const firstMiB = new Promise<void>((resolve) => {
        reached = resolve;
      });
      const download = downloadAtPace(t.gateway.services.urls.download('pace/long.bin', 600).url, {
        bytesPerSecond: 1_000_000,
        onBytes: (taken) => {
          if (taken >= MiB) reached();
        },
      });
      await firstMiB;
      await t.gateway.close();
      outcome = await download;
      expect(outcome.complete).toBe(false);
    } finally {
      await t.close();
    }
    expect(logLines(t, 'object download cut by shutdown')).toEqual([expect.objectContaining({ path: 'pace/long.bin', reason: 'SHUTDOWN', totalBytes: 16 * MiB })]);
    expect(logLines(t, 'object download interrupted')).toEqual([]);
    expect(t.logs.join('')).not.toContain('UPSTREAM_');
  });
});

/**
 * The issue's own scale, with every setting at its default: 24 MiB read at 0.5 MB/s takes about 50 s, five times
 * the 10 s UPSTREAM_TIMEOUT_MS. Run with `OBJECTS_FULL_SCALE=1`.
 */
describe.runIf(process.env['OBJECTS_FULL_SCALE'] === '1')('Object byte endpoint at full scale', () => {
  it('delivers every byte of a 24 MiB download read at 0.5 MB/s with default settings', async () => {
    // Back to the defaults of the two settings the test helper lowers; the rest are defaults already.
    const t = await startTestGateway({ UPSTREAM_MAX_ATTEMPTS: '3', SHUTDOWN_GRACE_MS: '30000' });
    try {
      const bytes = randomBytes(24 * MiB);
      t.emulator.putObjectDirect('pace/full-scale.bin', bytes);
      const outcome = await downloadAtPace(t.gateway.services.urls.download('pace/full-scale.bin', 600).url, { bytesPerSecond: 500_000 });
      expect(outcome.status).toBe(200);
      expect(outcome.contentLength).toBe(String(bytes.length));
      expect(outcome.complete).toBe(true);
      expect(sha256(outcome.body)).toBe(sha256(bytes));
      expect(outcome.elapsedMs).toBeGreaterThan(40_000);
    } finally {
      await t.close();
    }
  }, 120_000);
});
