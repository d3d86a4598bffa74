/**
 * Entry point of `bench:ops`'s servers (started by `bench/ops.bench.ts` with `node --import tsx`): runs the server
 * entry named by {@link OPS_ENTRY_VARIABLE}, unchanged, with its environment and IPC commands, after switching metric
 * recording off when {@link OPS_RECORDING_VARIABLE} is `off` (see `ops-recording.ts`). The families are declared when
 * `src/core/metrics.ts` loads, here, before the server's modules, which then record into the same instances.
 */
import { metricsRegistry } from '../../src/core/metrics.js';
import { OPS_ENTRY_VARIABLE, OPS_RECORDING_VARIABLE, OPS_SERVER_ENTRIES, type OpsServerEntry } from './ops-commands.js';
import { stopMetricRecording } from './ops-recording.js';

const ENTRIES: Readonly<Record<OpsServerEntry, () => Promise<unknown>>> = {
  'security-gateway': () => import('./security-gateway.child.js'),
  'fanout-server': () => import('./fanout-server.child.js'),
};

function isEntry(value: string | undefined): value is OpsServerEntry {
  return OPS_SERVER_ENTRIES.some((entry) => entry === value);
}

const entry = process.env[OPS_ENTRY_VARIABLE];
if (!isEntry(entry)) throw new Error(`${OPS_ENTRY_VARIABLE} must be one of ${OPS_SERVER_ENTRIES.join(', ')}, got ${String(entry)}`);
const recording = process.env[OPS_RECORDING_VARIABLE];
if (recording === 'off') {
  const families = stopMetricRecording(metricsRegistry);
  if (families === 0) throw new Error('no metric family to switch off: src/core/metrics.ts declares none any more?');
} else if (recording !== 'on') {
  throw new Error(`${OPS_RECORDING_VARIABLE} must be on or off, got ${String(recording)}`);
}
await ENTRIES[entry]();
