import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./ws-flood.child.ts', import.meta.url));

/**
 * Opens `count` WebSocket connections to `url` from a separate process, sends one `bytes`-long text frame on each
 * and resolves with the close code of every connection, in no particular order. The separate process keeps the
 * client side's allocations out of this process, so a test here can hold the server side's RSS to a limit.
 *
 * @throws when the child exits non-zero (a socket that did not close within 10 s), prints no result, or runs
 *   longer than `timeoutMs` (it is killed then).
 */
export async function floodSockets(url: string, count: number, bytes: number, timeoutMs = 30_000): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, String(count), String(bytes)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let timer: NodeJS.Timeout | undefined;
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
    // The child ends every socket within 10 s; this bounds a child that hangs before it gets that far.
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ws-flood did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
  }).finally(() => clearTimeout(timer));
  if (exitCode !== 0) throw new Error(`ws-flood exited with ${String(exitCode)}: ${stderr.trim()}`);
  let parsed: { codes?: unknown };
  try {
    parsed = JSON.parse(stdout) as { codes?: unknown };
  } catch (error) {
    throw new Error(`ws-flood printed no JSON result: ${stdout.trim().slice(0, 200)}`, { cause: error });
  }
  if (!Array.isArray(parsed.codes) || !parsed.codes.every((code): code is number => typeof code === 'number')) {
    throw new Error(`ws-flood printed no close codes: ${stdout.trim()}`);
  }
  return parsed.codes;
}
