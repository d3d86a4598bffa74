import { fork, type ChildProcess } from 'node:child_process';

/**
 * A typed request/response protocol between the benchmark (parent) and the server processes it starts
 * (children), over Node's IPC channel. Each child owns a command map: the parent sends
 * `{ kind: 'request', id, command, args }`, the child answers `{ kind: 'response', id, ok, result | error }`.
 * A child announces itself once with `{ kind: 'ready', info }` when its server listens.
 */

/** Shape every command map has: command name -> arguments and result, all JSON-serialisable. */
export type CommandMap = Record<string, { readonly args: unknown; readonly result: unknown }>;

/** Handlers a child registers, one per command of its map. */
export type CommandHandlers<M extends CommandMap> = { readonly [K in keyof M]: (args: M[K]['args']) => Promise<M[K]['result']> };

/** CPU and memory of one process at one instant. */
export interface UsageSample {
  /** `process.cpuUsage().user`, microseconds since the process started (all threads). */
  readonly userUs: number;
  /** `process.cpuUsage().system`, microseconds since the process started (all threads). */
  readonly systemUs: number;
  /** `process.memoryUsage.rss()`, bytes. */
  readonly rssBytes: number;
}

interface RequestMessage {
  readonly kind: 'request';
  readonly id: number;
  readonly command: string;
  readonly args: unknown;
}

type ResponseMessage =
  | { readonly kind: 'response'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'response'; readonly id: number; readonly ok: false; readonly error: string };

interface ReadyMessage {
  readonly kind: 'ready';
  readonly info: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isRequest(value: unknown): value is RequestMessage {
  return isRecord(value) && value['kind'] === 'request' && typeof value['id'] === 'number' && typeof value['command'] === 'string';
}

function isResponse(value: unknown): value is ResponseMessage {
  return isRecord(value) && value['kind'] === 'response' && typeof value['id'] === 'number' && typeof value['ok'] === 'boolean';
}

function isReady(value: unknown): value is ReadyMessage {
  return isRecord(value) && value['kind'] === 'ready';
}

/** This process's current {@link UsageSample}. */
export function sampleUsage(): UsageSample {
  const cpu = process.cpuUsage();
  return { userUs: cpu.user, systemUs: cpu.system, rssBytes: process.memoryUsage.rss() };
}

/** Describes an unknown thrown value for a log line or an IPC error answer. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Child side: announces `info` as ready, then answers requests with `handlers`. When the parent goes away
 * (the IPC channel closes, also when the parent was killed) `onParentGone` runs, so no child outlives its
 * benchmark.
 * @throws Error when this process was not started with an IPC channel.
 */
export function serveCommands<M extends CommandMap>(info: unknown, handlers: CommandHandlers<M>, onParentGone: () => void): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('this entry point must be started by the benchmark (no IPC channel)');
  process.on('message', (message: unknown) => {
    if (!isRequest(message)) return;
    const handler = (handlers as Record<string, ((args: unknown) => Promise<unknown>) | undefined>)[message.command];
    const answer = (response: ResponseMessage): void => {
      send(response, (error: Error | null) => {
        // A reply that cannot be delivered means the parent is gone; the disconnect handler ends this process.
        if (error !== null) console.error(`ipc reply to ${message.command} failed: ${error.message}`);
      });
    };
    if (handler === undefined) {
      answer({ kind: 'response', id: message.id, ok: false, error: `unknown command ${message.command}` });
      return;
    }
    handler(message.args).then(
      (result) => answer({ kind: 'response', id: message.id, ok: true, result }),
      (error: unknown) => answer({ kind: 'response', id: message.id, ok: false, error: describeError(error) }),
    );
  });
  process.once('disconnect', onParentGone);
  send({ kind: 'ready', info } satisfies ReadyMessage);
}

/** How to start one child. */
export interface ChildOptions {
  /** Name used in error messages, e.g. `gateway`. */
  readonly name: string;
  /** Absolute path of the TypeScript entry point. */
  readonly entry: string;
  /** Working directory (the repository root, so `--import tsx` resolves). */
  readonly cwd: string;
  /** The complete environment of the child (nothing is inherited implicitly). */
  readonly env: Record<string, string>;
  /** How long to wait for the ready message. */
  readonly readyTimeoutMs: number;
  /** How long any single request may take. */
  readonly requestTimeoutMs: number;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Parent side: one child process speaking the protocol above. Started with `node --import tsx --expose-gc`
 * (gc lets memory baselines be taken after a full collection). The child's stdout and stderr go to this
 * process's stderr so the benchmark's stdout carries only its report.
 */
export class ChildServer<M extends CommandMap> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited = false;
  private exitReason: string | undefined;
  private readonly exitPromise: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: ChildOptions,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        this.exitReason = `${options.name} exited (code ${String(code)}, signal ${String(signal)})`;
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          pending.reject(new Error(this.exitReason));
          this.pending.delete(id);
        }
        resolve();
      });
    });
    child.on('message', (message: unknown) => {
      if (!isResponse(message)) return;
      const pending = this.pending.get(message.id);
      if (pending === undefined) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`${options.name}: ${message.error}`));
    });
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Forks the child and waits for its ready message.
   * @returns the handle and the child's ready info (e.g. its URL).
   * @throws Error when the child exits or stays silent before it is ready; the child is killed first.
   */
  static async start<M extends CommandMap>(options: ChildOptions): Promise<{ server: ChildServer<M>; info: unknown }> {
    const child = fork(options.entry, [], {
      cwd: options.cwd,
      env: options.env,
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 2, 2, 'ipc'],
      serialization: 'json',
    });
    const server = new ChildServer<M>(child, options);
    const info = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${options.name} not ready within ${options.readyTimeoutMs} ms`));
      }, options.readyTimeoutMs);
      const onMessage = (message: unknown): void => {
        if (!isReady(message)) return;
        cleanup();
        resolve(message.info);
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`${options.name} exited before it was ready`));
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(new Error(`${options.name} could not be started: ${error.message}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.once('error', onError);
    }).catch(async (error: unknown) => {
      await server.stop(0);
      throw error;
    });
    return { server, info };
  }

  /**
   * Sends one command and resolves with its result.
   * @throws Error when the child answers with an error, exits, or does not answer within the request timeout.
   */
  request<K extends keyof M & string>(command: K, args: M[K]['args']): Promise<M[K]['result']> {
    if (this.exited) return Promise.reject(new Error(this.exitReason ?? `${this.options.name} has exited`));
    const id = this.nextId++;
    return new Promise<M[K]['result']>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.options.name}: ${command} got no answer within ${this.options.requestTimeoutMs} ms`));
      }, this.options.requestTimeoutMs);
      // Both ends are typed by the same command map `M`; the value crossing IPC is trusted to match it.
      this.pending.set(id, { resolve: (value) => resolve(value as M[K]['result']), reject, timer });
      this.child.send({ kind: 'request', id, command, args } satisfies RequestMessage, (error: Error | null) => {
        if (error === null) return;
        const pending = this.pending.get(id);
        if (pending === undefined) return;
        this.pending.delete(id);
        clearTimeout(pending.timer);
        pending.reject(new Error(`${this.options.name}: cannot send ${command}: ${error.message}`));
      });
    });
  }

  /**
   * Ends the child: closes the IPC channel (the child then shuts its server down and exits), escalating to
   * SIGKILL after `graceMs`. Resolves once the process has exited. Idempotent.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  /** SIGKILLs the child at once (synchronous; safe inside an `exit` handler). */
  kill(): void {
    if (!this.exited && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** What {@link runSupervised} needs of a child process: a way to end it at once. */
export interface Killable {
  kill(): void;
}

/**
 * Runs a benchmark's main function with its child processes supervised, then exits the process: 0 when `run`
 * resolved true, 1 when it resolved false or threw. The children (read live from `children`, which may grow
 * while `run` works) are killed when this process exits, on SIGINT/SIGTERM, and once `deadlineMs` has passed;
 * after `run` they are stopped gracefully with `stopAll`, and killed if that fails. `cleanUp` runs last.
 */
export async function runSupervised(
  children: Iterable<Killable>,
  deadlineMs: number,
  run: () => Promise<boolean>,
  stopAll: () => Promise<void>,
  cleanUp: () => void = () => undefined,
): Promise<never> {
  const killAll = (): void => {
    for (const child of children) child.kill();
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping`);
      killAll();
      process.exit(1);
    });
  }
  setTimeout(() => {
    console.error(`FAIL: the benchmark did not finish within ${deadlineMs / 60_000} minutes`);
    killAll();
    process.exit(1);
  }, deadlineMs).unref();
  let exitCode = 1;
  try {
    exitCode = (await run()) ? 0 : 1;
  } catch (error) {
    console.error(`FAIL: ${describeError(error)}`);
  } finally {
    await stopAll().catch((error: unknown) => {
      console.error(`stopping the child processes failed: ${describeError(error)}`);
      killAll();
    });
    cleanUp();
  }
  process.exit(exitCode);
}

/**
 * The environment of a benchmark's child process: `PATH`, `HOME` and `TMPDIR` from this process and `extra`,
 * nothing else, so no stray setting of the caller's shell changes a child's bind address, store or limits.
 */
export function childEnv(extra: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * `url` unchanged when its host is 127.0.0.1: benchmark traffic must stay on loopback.
 * @throws Error naming the server `name` otherwise.
 */
export function requireLoopback(name: string, url: string): string {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`${name} listens on ${url}, not 127.0.0.1`);
  return url;
}

/**
 * The process id of a started child.
 * @throws Error naming `name` when the child has none (it was never spawned).
 */
export function pidOf(child: { readonly pid: number | undefined }, name: string): number {
  if (child.pid === undefined) throw new Error(`${name} has no process id`);
  return child.pid;
}
