/**
 * What every benchmark does the same way with its child processes: where their entry points live, how they are
 * started, the AWS settings a gateway child needs, and CPU time between two usage samples.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, ChildServer, type CommandMap } from './ipc.js';

/** The repository root: every child runs there, so `--import tsx` resolves. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Credentials the SDK's default chain picks up in a gateway child; the emulators check only their shape. */
export const BENCH_CREDENTIALS = { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'benchmark-secret' } as const;

/**
 * Environment a child using the AWS SDK needs: {@link BENCH_CREDENTIALS}, and never letting the SDK's credential
 * chain wander off to instance metadata.
 */
export const BENCH_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey,
  AWS_EC2_METADATA_DISABLED: 'true',
};

/** How a benchmark child is started by {@link startBenchChild}. */
export interface BenchChildOptions {
  /** Name used in error messages, e.g. `gateway`. */
  readonly name: string;
  /** File name of the entry point in `bench/support/`, e.g. `emulator.child.ts`. */
  readonly entry: string;
  /** Variables on top of `childEnv`'s PATH, HOME and TMPDIR (nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** How long any single request may take, ms (default 60,000). */
  readonly requestTimeoutMs?: number;
}

/** How long a child may take to report ready, ms: a cold `tsx` start of the gateway takes seconds on a busy machine. */
const READY_TIMEOUT_MS = 60_000;

/**
 * Starts `bench/support/<entry>` as a child process and waits for its ready message. The caller owns the child:
 * it must stop it (benchmarks keep every child in the registry `runSupervised` cleans up).
 * @throws Error when the child exits or stays silent for 60 s before it is ready.
 */
export function startBenchChild<M extends CommandMap>(options: BenchChildOptions): Promise<{ server: ChildServer<M>; info: unknown }> {
  return ChildServer.start<M>({
    name: options.name,
    entry: join(REPO_ROOT, 'bench', 'support', options.entry),
    cwd: REPO_ROOT,
    env: childEnv(options.env),
    readyTimeoutMs: READY_TIMEOUT_MS,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
  });
}

/** CPU time (user + system) between two samples of one process, ms. */
export function cpuMs(before: { readonly userUs: number; readonly systemUs: number }, after: { readonly userUs: number; readonly systemUs: number }): number {
  return (after.userUs + after.systemUs - (before.userUs + before.systemUs)) / 1000;
}

/**
 * A benchmark setting read from the environment: a whole number of at least 1, or `fallback` when the variable is
 * unset or empty.
 * @throws Error naming the variable when it holds anything else.
 */
export function positiveInteger(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, got ${text}`);
  return value;
}
