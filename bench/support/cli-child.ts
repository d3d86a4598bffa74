/**
 * A benchmark child that is an ordinary program rather than an IPC child: `media-graph serve` or `emulate` (run
 * exactly as an operator runs them, configured only through their environment and flags), or `redis-server`.
 * It is ready when a line of its stdout or stderr matches a pattern; its output is forwarded to this process's
 * stderr line by line with its name in front, so the benchmark's stdout stays its report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './children.js';
import { childEnv } from './ipc.js';

/** How a {@link CliChild} is started. */
export interface CliChildOptions {
  /** Name in log lines and errors, e.g. `gateway-2`. */
  readonly name: string;
  /** Program and arguments, e.g. `redis-server`, `['--port', '6390']`. */
  readonly command: string;
  readonly args: readonly string[];
  /** Variables on top of PATH, HOME and TMPDIR (nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** A line (stdout or stderr) that says the program is ready; its match is returned. */
  readonly ready: RegExp;
  readonly readyTimeoutMs: number;
  /** Forward every output line to stderr (default true); false keeps only the last lines for error messages. */
  readonly forward?: boolean;
}

/** Lines kept for the error message of a child that fails to start. */
const TAIL_LINES = 20;

/** A running program started by the benchmark. The caller owns it and must `stop()` it. */
export class CliChild {
  private readonly tail: string[] = [];
  private readonly exit: Promise<void>;
  private exited = false;
  /** Set when the benchmark itself ends the process (stop, kill or a signal it sends). */
  private stopping = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exit = once(child, 'exit').then(() => {
      this.exited = true;
    });
  }

  /** The process id (defined once spawned). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.exited;
  }

  /** The `node` executable running `src/main.ts` through tsx: how every `media-graph` child is started. */
  static mediaGraph(subcommand: readonly string[]): { readonly command: string; readonly args: readonly string[] } {
    return { command: process.execPath, args: ['--import', 'tsx', 'src/main.ts', ...subcommand] };
  }

  /**
   * Starts the program in the repository root and resolves once a line matches `options.ready`.
   * @throws Error (after killing the program) when it exits first or stays unready for `readyTimeoutMs`.
   */
  static async start(options: CliChildOptions): Promise<{ child: CliChild; match: RegExpExecArray }> {
    const spawned = spawn(options.command, [...options.args], { cwd: REPO_ROOT, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    const child = new CliChild(options.name, spawned);
    let onLine: (line: string) => void = () => undefined;
    for (const stream of [spawned.stdout, spawned.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        child.tail.push(line);
        if (child.tail.length > TAIL_LINES) child.tail.shift();
        if (options.forward !== false) process.stderr.write(`[${options.name}] ${line}\n`);
        onLine(line);
      });
    }
    // An exit nobody asked for (a crash, a signal from elsewhere) must show in the log, whatever the log level.
    void child.exit.then(() => {
      if (!child.stopping) process.stderr.write(`[${options.name}] exited unexpectedly: ${String(spawned.exitCode ?? spawned.signalCode)}\n`);
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const match = await new Promise<RegExpExecArray>((resolve, reject) => {
        onLine = (line) => {
          const found = options.ready.exec(line);
          if (found !== null) resolve(found);
        };
        void child.exit.then(() => reject(new Error(`${options.name} exited (${String(spawned.exitCode ?? spawned.signalCode)}) before it was ready:\n${child.tail.join('\n')}`)));
        spawned.once('error', reject);
        timer = setTimeout(() => reject(new Error(`${options.name} not ready within ${options.readyTimeoutMs} ms:\n${child.tail.join('\n')}`)), options.readyTimeoutMs);
      });
      return { child, match };
    } catch (error) {
      child.kill();
      await child.exit;
      throw error;
    } finally {
      clearTimeout(timer);
      onLine = () => undefined;
    }
  }

  /** Sends `signal` (e.g. SIGKILL for a crash, SIGSTOP for a pause). */
  signal(signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL' || signal === 'SIGTERM') this.stopping = true;
    if (!this.exited) this.child.kill(signal);
  }

  /** Resolves once the process has exited. */
  whenExited(): Promise<void> {
    return this.exit;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. Idempotent. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    this.stopping = true;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  /** SIGKILLs the process at once (synchronous; safe inside an `exit` handler). */
  kill(): void {
    this.stopping = true;
    if (!this.exited && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
