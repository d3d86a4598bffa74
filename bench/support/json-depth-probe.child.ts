/**
 * Entry point of `bench:json-depth`'s probe process: sends `{ __typename }` to a gateway back to back, on one
 * keep-alive connection, and times each answer (request start to last byte). It runs apart from the process that
 * uploads the hostile bodies, so the time measured is the gateway's, not the uploader's event loop.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { describeError, serveCommands } from './ipc.js';

type NoArgs = Record<string, never>;

/** What one probing window saw. */
export interface ProbeWindow {
  /** Latency of each answered query, ms. */
  readonly latencies: readonly number[];
  /** Queries answered with anything but 200 and `{ data: { __typename: "Query" } }`, or not answered at all. */
  readonly failures: number;
  /** The first failure, described, if any. */
  readonly firstFailure: string | null;
}

/** Commands of `json-depth-probe.child.ts`. */
export type ProbeCommands = {
  /** Starts probing `url`'s `/graphql` with `authorization`; resolves once the first answer has come. */
  start: { args: { readonly url: string; readonly authorization: string }; result: NoArgs };
  /** Stops after the query in flight and reports the window. */
  stop: { args: NoArgs; result: ProbeWindow };
};

const BODY = JSON.stringify({ query: '{ __typename }' });
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function query(url: string, authorization: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request(`${url}/graphql`, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization } });
    req.once('error', (error) => resolve(`request failed: ${describeError(error)}`));
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('error', (error) => resolve(`response failed: ${describeError(error)}`));
      res.once('end', () => resolve(res.statusCode === 200 && typenameOf(text) === 'Query' ? null : `${String(res.statusCode)} ${text.slice(0, 200)}`));
    });
    req.end(BODY);
  });
}

function typenameOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { data?: { __typename?: unknown } }).data?.__typename;
  } catch {
    // Not JSON: counted as a failure with its text.
    return undefined;
  }
}

let running: Promise<ProbeWindow> | undefined;
let stopRequested = false;

serveCommands<ProbeCommands>(
  {},
  {
    start: async ({ url, authorization }) => {
      if (running !== undefined) throw new Error('already probing');
      stopRequested = false;
      let firstAnswered: () => void = () => undefined;
      const answered = new Promise<void>((resolve) => (firstAnswered = resolve));
      running = (async () => {
        const latencies: number[] = [];
        let failures = 0;
        let firstFailure: string | null = null;
        while (!stopRequested) {
          const started = performance.now();
          const failure = await query(url, authorization);
          if (failure === null) latencies.push(performance.now() - started);
          else {
            failures += 1;
            firstFailure ??= failure;
          }
          firstAnswered();
        }
        return { latencies, failures, firstFailure };
      })();
      await answered;
      return {};
    },
    stop: async () => {
      if (running === undefined) throw new Error('not probing');
      stopRequested = true;
      const window = await running;
      running = undefined;
      return window;
    },
  },
  () => process.exit(0),
);
