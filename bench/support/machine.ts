import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, totalmem, arch } from 'node:os';

/** The machine a benchmark ran on, as one report line. */
export interface MachineDescription {
  /** CPU model (from `/proc/cpuinfo` where available). */
  readonly cpuModel: string;
  /** Logical cores this process may use. */
  readonly cores: number;
  /** Total RAM in bytes. */
  readonly totalMemoryBytes: number;
  /** e.g. `v20.20.2`. */
  readonly nodeVersion: string;
  /** 1-minute load average when the benchmark started (context for a shared machine). */
  readonly loadAverage: number;
  /** e.g. `linux 6.8.0 x64`. */
  readonly os: string;
}

/** Describes this machine. */
export function describeMachine(): MachineDescription {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    totalMemoryBytes: totalmem(),
    nodeVersion: process.version,
    loadAverage: loadavg()[0] ?? 0,
    os: `${platform()} ${release()} ${arch()}`,
  };
}

/** `CPU model, N cores, X GiB RAM, Node vX (os)`. */
export function formatMachine(machine: MachineDescription): string {
  const gib = (machine.totalMemoryBytes / 2 ** 30).toFixed(1);
  return `${machine.cpuModel}, ${machine.cores} cores, ${gib} GiB RAM, Node ${machine.nodeVersion} (${machine.os})`;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) return match[1].trim();
  } catch (error) {
    // Not Linux (or /proc hidden): fall back to what libuv reports, and say where the name came from.
    const fallback = cpus()[0]?.model ?? 'unknown CPU';
    return `${fallback} (no /proc/cpuinfo: ${error instanceof Error ? error.message : String(error)})`;
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}
