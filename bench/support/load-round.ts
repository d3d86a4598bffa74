import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { readMachineCpu, readProcessUsage } from './proc-usage.js';
import { startLoad, windowLatencies, type LoadRecord, type LoadRequest } from './security-load.js';
import { percentile } from './stats.js';

/**
 * One measured round of closed-loop HTTP load against one server process (`security-load.ts`), with that server's,
 * its upstream's and this process's CPU read around the window: what `bench:security` and `bench:ops` repeat,
 * round after round, against servers of different configurations.
 */

/** A server process under load. */
export interface LoadedServer {
  /** Name used in log lines and errors. */
  readonly name: string;
  /** The server's process id, for `/proc`. */
  readonly pid: number;
  /** The one request every worker repeats. */
  readonly target: LoadRequest;
  /**
   * Checks one successful answer in full (the load itself only checks status and the absence of `errors`).
   * @throws Error describing what is wrong; `null` means no answer succeeded.
   */
  readonly verify: (body: string | null) => void;
}

/** How a round loads. */
export interface RoundPlan {
  /** Requests in flight, one keep-alive connection each. */
  readonly concurrency: number;
  /** Unmeasured load at the start of the round, on its fresh connections, until the server is in a steady state. */
  readonly warmupMs: number;
  /** The measured window. */
  readonly windowMs: number;
}

/** One measured window against one server. */
export interface LoadRound {
  readonly windowMs: number;
  /** Answers completed inside the window. */
  readonly requests: number;
  /** Server CPU over the window from `/proc/<pid>/stat`, µs. */
  readonly gatewayUserUs: number;
  readonly gatewaySystemUs: number;
  /** Upstream (emulator) CPU over the window, µs. */
  readonly emulatorCpuUs: number;
  /** This process's CPU over the window (the load generator), µs. */
  readonly clientCpuUs: number;
  /** CPU of everything else on the machine over the window, µs (machine busy time minus the three processes). */
  readonly otherCpuUs: number;
  /** Latency percentiles of the answers completed inside the window, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Per-request figures of one round. */
export interface RoundFigures {
  readonly reqPerSec: number;
  /** Server CPU per answer (user + system), and each part, µs. */
  readonly cpuUs: number;
  readonly userUs: number;
  readonly systemUs: number;
  /** Upstream CPU per answer, µs. */
  readonly emulatorUs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Share of one core the server used, and everything else on the machine. */
  readonly gatewayCores: number;
  readonly otherCores: number;
}

/** The per-request figures of `round`. */
export function roundFigures(round: LoadRound): RoundFigures {
  const seconds = round.windowMs / 1000;
  return {
    reqPerSec: round.requests / seconds,
    cpuUs: (round.gatewayUserUs + round.gatewaySystemUs) / round.requests,
    userUs: round.gatewayUserUs / round.requests,
    systemUs: round.gatewaySystemUs / round.requests,
    emulatorUs: round.emulatorCpuUs / round.requests,
    p50Ms: round.p50Ms,
    p99Ms: round.p99Ms,
    gatewayCores: (round.gatewayUserUs + round.gatewaySystemUs) / 1000 / round.windowMs,
    otherCores: round.otherCpuUs / 1000 / round.windowMs,
  };
}

/** @throws Error when an answer failed or the sample answer is wrong. */
function finishLoad(server: LoadedServer, record: LoadRecord): void {
  if (record.failures > 0) throw new Error(`${server.name}: ${record.failures} answers failed; first: ${String(record.firstFailure)}`);
  server.verify(record.sampleBody);
}

/**
 * Loads `server` for `ms` without measuring anything.
 * @returns the answers it got.
 * @throws Error when an answer failed or a request failed in transport.
 */
export async function warmUp(server: LoadedServer, concurrency: number, ms: number): Promise<number> {
  const load = startLoad(server.target, concurrency);
  await sleep(ms);
  const record = await load.stop();
  finishLoad(server, record);
  return record.completedAtMs.length;
}

/**
 * One round: fresh connections, warm-up, then a window in which the load keeps running at the same pace. The
 * counters are read at the window's edges while requests are in flight: in a steady state the work in flight at
 * the start balances the work in flight at the end, so CPU over the window belongs to the answers completed in it.
 * @returns the window's figures and every answer of the round, warm-up included.
 * @throws Error when an answer failed, a request failed in transport, or no answer completed in the window.
 */
export async function measureLoadRound(server: LoadedServer, upstreamPid: number, plan: RoundPlan): Promise<{ round: LoadRound; answered: number }> {
  const load = startLoad(server.target, plan.concurrency);
  let record: LoadRecord | undefined;
  try {
    await sleep(plan.warmupMs);
    const machine0 = readMachineCpu();
    const gateway0 = readProcessUsage(server.pid);
    const emulator0 = readProcessUsage(upstreamPid);
    const client0 = process.cpuUsage();
    const started = performance.now();
    await sleep(plan.windowMs);
    const ended = performance.now();
    const client = process.cpuUsage(client0);
    const gateway1 = readProcessUsage(server.pid);
    const emulator1 = readProcessUsage(upstreamPid);
    const machine1 = readMachineCpu();
    record = await load.stop();
    finishLoad(server, record);
    const latencies = windowLatencies(record, started, ended);
    if (latencies.length === 0) throw new Error(`${server.name}: no answer completed in the window`);
    const gatewayUserUs = gateway1.userUs - gateway0.userUs;
    const gatewaySystemUs = gateway1.systemUs - gateway0.systemUs;
    const emulatorCpuUs = emulator1.userUs + emulator1.systemUs - (emulator0.userUs + emulator0.systemUs);
    const clientCpuUs = client.user + client.system;
    const ours = gatewayUserUs + gatewaySystemUs + emulatorCpuUs + clientCpuUs;
    const round: LoadRound = {
      windowMs: ended - started,
      requests: latencies.length,
      gatewayUserUs,
      gatewaySystemUs,
      emulatorCpuUs,
      clientCpuUs,
      // Tick-granular counters of different sources: a small negative remainder means "nothing else ran".
      otherCpuUs: Math.max(0, machine1.busyUs - machine0.busyUs - ours),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
    return { round, answered: record.completedAtMs.length };
  } finally {
    if (record === undefined) await load.stop().catch(() => undefined);
  }
}
