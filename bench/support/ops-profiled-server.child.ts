/**
 * `ops-server.child.ts` under the V8 CPU profiler, for `ops-tracing-pair.ts`'s `OPS_PAIR_PROFILE` (children are
 * forked with fixed `execArgv`, and Node refuses `--cpu-prof` in `NODE_OPTIONS`). Profiles from the first SIGUSR2
 * (sent after the warm-up, so module loading and JIT stay out) until the process exits, then writes the
 * `.cpuprofile` to `OPS_PROFILE_PATH`: the in-process inspector session answers synchronously, so the `exit` handler
 * can still stop the profiler and write.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const path = process.env['OPS_PROFILE_PATH'];
if (path === undefined || path === '') throw new Error('OPS_PROFILE_PATH must name the .cpuprofile to write');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 100 });
let started = false;
process.once('SIGUSR2', () => {
  session.post('Profiler.start');
  started = true;
});
process.once('exit', () => {
  if (!started) return;
  session.post('Profiler.stop', (error, result) => {
    if (error !== null) {
      console.error(`CPU profile not written: ${error.message}`);
      return;
    }
    writeFileSync(path, JSON.stringify(result.profile));
    console.error(`CPU profile written to ${path}`);
  });
});
await import('./ops-server.child.js');
