/**
 * `gateway.child.ts` under V8's CPU profiler, for finding where a benchmark's gateway spends its CPU
 * (`objects-cpu-pairs.ts` starts it when `OBJECTS_PAIRS_PROFILE_DIR` is set). Node refuses `--cpu-prof` in
 * `NODE_OPTIONS` and the children are forked with fixed arguments, so the profiler runs through the inspector
 * protocol instead: started before the gateway loads, written as `<pid>.cpuprofile` into `PROFILE_DIR` when the
 * process exits (the same-thread session answers synchronously, so this works inside an `exit` handler).
 * `PROFILE_INTERVAL_US` sets the sampling interval (default 250 µs).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const directory = process.env['PROFILE_DIR'];
if (directory === undefined) throw new Error('PROFILE_DIR is not set');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: Number(process.env['PROFILE_INTERVAL_US'] ?? '250') });
session.post('Profiler.start');
process.once('exit', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error !== null) {
      console.error(`profile not written: ${error.message}`);
      return;
    }
    writeFileSync(join(directory, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
await import('./gateway.child.js');
