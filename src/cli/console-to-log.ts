import { format } from 'node:util';
import type { Logger } from '../core/logger.js';

/** The console methods libraries print with, and the log level each becomes. */
const LEVEL_OF = { debug: 'debug', trace: 'debug', log: 'info', info: 'info', warn: 'warn', error: 'error' } as const;

type ConsoleMethod = keyof typeof LEVEL_OF;

/** How Node's default warning handler starts its lines: `(node:<pid>) [<code>] <name>: ...`. */
const NODE_WARNING = /^\(node:\d+\) (?:\[[A-Z0-9_]+\] )?\w*Warning: /;

/**
 * Routes what dependencies print through `console` into the structured log, for the life of a `serve` process:
 * logs are JSON lines on stdout, and a plain line there (the OCI SDK's federation client uses `console.log`) would
 * break whatever parses them, while its retrier's `console.warn` on stderr bypasses LOG_LEVEL. Each call becomes
 * one log line with `source: "console"` and the arguments formatted as `console` would (`util.format`), at the level
 * of its method (`log`/`info` info, `warn` warn, `error` error, `debug`/`trace` debug); Node's own process warnings,
 * which it prints through `console.error`, are logged at warn with `source: "process"`. The gateway's own code never
 * prints through `console` (the lint forbids it outside the emulators).
 * @returns a function that puts the original methods back.
 */
export function routeConsoleToLog(logger: Logger, target: Console = console): () => void {
  const originals = new Map<ConsoleMethod, Console[ConsoleMethod]>();
  for (const method of Object.keys(LEVEL_OF) as ConsoleMethod[]) {
    originals.set(method, target[method]);
    const level = LEVEL_OF[method];
    target[method] = (...args: unknown[]): void => {
      const message = format(...args);
      // Node prints process warnings (deprecations, the AWS SDK's Node version notice) through console.error.
      if (NODE_WARNING.test(message)) logger.warn({ source: 'process' }, message);
      else logger[level]({ source: 'console' }, message);
    };
  }
  return () => {
    for (const [method, original] of originals) target[method] = original;
  };
}
