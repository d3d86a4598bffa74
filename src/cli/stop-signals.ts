/** What {@link listenForStop} hands back. */
export interface StopSignals {
  /** Resolves with the first SIGTERM or SIGINT received after {@link listenForStop} was called. */
  readonly first: Promise<NodeJS.Signals>;
  /** Removes the listeners (after a graceful stop, so the process can end by itself). */
  dispose(): void;
}

/**
 * Starts listening for SIGTERM and SIGINT for a long-running command. Call it BEFORE printing the line that tells a
 * supervisor the command is ready: a supervisor (or a test) that signals as soon as it reads that line must find the
 * listeners in place, or the signal's default action kills the process outright, with no cleanup and no exit status
 * (seen on busy machines, where the process can be descheduled between printing and the next statement).
 *
 * One listener per signal stays installed until `dispose()`, so there is no moment without one: the first signal
 * resolves `first`, a second one writes `secondSignalMessage` to `stderr` and exits with status 1 at once (a close
 * that hangs must not hold ports hostage).
 */
export function listenForStop(stderr: NodeJS.WritableStream, secondSignalMessage: string): StopSignals {
  let received = false;
  let resolveFirst: (signal: NodeJS.Signals) => void = () => undefined;
  const first = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      stderr.write(`${secondSignalMessage}\n`);
      process.exit(1);
    }
    received = true;
    resolveFirst(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    first,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
