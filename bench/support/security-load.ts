import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A closed-loop HTTP load generator for the security benchmark: a fixed number of workers, each with its own
 * keep-alive connection, sends the same POST again as soon as the previous answer has arrived. Closed loop (not a
 * fixed arrival rate) because the question is what the server sustains: it runs saturated, so req/s and CPU per
 * request are both the server's, and latency includes the queueing a saturated server adds.
 */

/** The one request every worker repeats. */
export interface LoadRequest {
  /** Absolute `http:` URL. */
  readonly url: string;
  /** Request headers (`content-length` is added). */
  readonly headers: Readonly<Record<string, string>>;
  /** The request body, sent as is. */
  readonly body: string;
}

/** What the load generator saw; completions are kept so any window can be cut out afterwards. */
export interface LoadRecord {
  /** `performance.now()` when each answer had been read completely, ms; in completion order. */
  readonly completedAtMs: readonly number[];
  /** Request start to last body byte of each answer, ms; parallel to `completedAtMs`. */
  readonly latencyMs: readonly number[];
  /** Answers that were not 200 or carried a GraphQL `errors` member. */
  readonly failures: number;
  /** The first failure, described, for the log (`null` when there was none). */
  readonly firstFailure: string | null;
  /** The first successful answer's body, for a full check of its content outside the timed loop. */
  readonly sampleBody: string | null;
}

/** A running load: {@link RunningLoad.stop} ends it and returns everything it recorded. */
export interface RunningLoad {
  /** Asks every worker to stop after its current request, waits for them, and closes the connections. */
  stop(): Promise<LoadRecord>;
}

/**
 * Starts `concurrency` workers against `target` and returns at once. Each worker owns one socket of a
 * dedicated keep-alive agent, so the run measures requests on warm connections, not connection setup; the agent
 * is destroyed by `stop`, so a later run never reuses a socket the server may have closed as idle meanwhile.
 * A transport error (refused, reset) fails the whole run: the benchmark would otherwise measure a broken server.
 */
export function startLoad(target: LoadRequest, concurrency: number): RunningLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const url = new URL(target.url);
  const body = Buffer.from(target.body, 'utf8');
  const headers = { ...target.headers, 'content-length': String(body.byteLength) };
  const completedAtMs: number[] = [];
  const latencyMs: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  let sampleBody: string | null = null;
  let stopping = false;

  const once = (): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const outgoing = request(
        { agent, host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'POST', headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          response.once('error', reject);
        },
      );
      outgoing.once('error', reject);
      outgoing.end(body);
    });

  const worker = async (): Promise<void> => {
    while (!stopping) {
      const started = performance.now();
      const { status, text } = await once();
      const ended = performance.now();
      completedAtMs.push(ended);
      latencyMs.push(ended - started);
      // A substring test, not JSON.parse: this runs for every answer inside the timed loop, and a parse would
      // make the client, which shares the machine with the servers, the busiest process. One body per run is
      // checked in full by the caller.
      if (status !== 200 || text.includes('"errors"')) {
        failures += 1;
        firstFailure ??= `HTTP ${status}: ${text.slice(0, 300)}`;
      } else {
        sampleBody ??= text;
      }
    }
  };
  let transportError: unknown;
  // Handled at once, not only in `stop`: an unhandled rejection would end the process while the servers run.
  const workers = Promise.all(Array.from({ length: concurrency }, worker)).catch((error: unknown) => {
    transportError = error;
    stopping = true;
  });
  return {
    stop: async () => {
      stopping = true;
      await workers;
      agent.destroy();
      if (transportError !== undefined) throw new Error('a load request failed in transport', { cause: transportError });
      return { completedAtMs, latencyMs, failures, firstFailure, sampleBody };
    },
  };
}

/** Latencies of the answers completed in `[fromMs, toMs)` (both `performance.now()` values). */
export function windowLatencies(record: LoadRecord, fromMs: number, toMs: number): number[] {
  const latencies: number[] = [];
  record.completedAtMs.forEach((at, index) => {
    if (at >= fromMs && at < toMs) latencies.push(record.latencyMs[index] as number);
  });
  return latencies;
}
