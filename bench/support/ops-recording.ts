import { Counter, Gauge, Histogram, Summary, type Registry } from 'prom-client';

/**
 * The "recording off" build of `bench:ops`. The gateway records its metric families at their call sites whether or
 * not anything exposes them (`METRICS_PORT` and `METRICS_TOKEN` switch only the endpoint and the process collectors),
 * so no configuration turns recording off. This turns it off in one process: every recording method of every family
 * in the registry becomes a no-op, so a call site still computes its labels and makes its call, as it would against
 * a metrics facade compiled out, but prom-client hashes no labels and updates no value.
 */

function nothing(): void {
  // Recording switched off: the call is made and does nothing.
}

/** `startTimer`'s result: the function that would observe the elapsed time, here observing nothing. */
function stopNothing(): number {
  return 0;
}

function noTimer(): () => number {
  return stopNothing;
}

const counterChild = { inc: nothing };
const gaugeChild = { inc: nothing, dec: nothing, set: nothing, setToCurrentTime: nothing, startTimer: noTimer };
const observerChild = { observe: nothing, startTimer: noTimer };

/**
 * Replaces the recording methods (`inc`, `dec`, `set`, `setToCurrentTime`, `observe`, `startTimer`, and `labels`,
 * whose children get the same no-ops) of every counter, gauge, histogram and summary in `registry`. Only on the
 * instances registered now: call it after the module declaring the families has loaded and before anything records.
 * Irreversible for the process's lifetime; reading the registry still works and shows the values recorded before.
 * @returns how many families were switched off.
 */
export function stopMetricRecording(registry: Registry): number {
  let families = 0;
  for (const metric of registry.getMetricsAsArray()) {
    if (metric instanceof Counter) Object.assign(metric, { inc: nothing, labels: () => counterChild });
    else if (metric instanceof Gauge) Object.assign(metric, { ...gaugeChild, labels: () => gaugeChild });
    else if (metric instanceof Histogram || metric instanceof Summary) Object.assign(metric, { ...observerChild, labels: () => observerChild });
    else continue;
    families += 1;
  }
  return families;
}
