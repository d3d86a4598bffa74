import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time and RSS of another process, read from Linux's `/proc` by the process that measures. The fan-out
 * benchmark samples its servers this way rather than asking them over IPC: a saturated server answers IPC only
 * when its event loop gets round to it (seconds late, or not within a window at all), which would stretch or
 * shift the measured window exactly when the numbers matter most. The kernel's counters need nothing from the
 * measured process. Like `process.cpuUsage()`, they cover all of the process's threads.
 */

/** One reading of a process's counters. */
export interface ProcessUsage {
  /** User CPU since the process started, microseconds. */
  readonly userUs: number;
  /** System (kernel) CPU since the process started, microseconds. */
  readonly systemUs: number;
  /** Resident set size now, bytes. */
  readonly rssBytes: number;
  /** `Date.now()` when the counters were read. */
  readonly atMs: number;
}

let ticksPerSecond: number | undefined;

/**
 * Clock ticks per second of `/proc/<pid>/stat`'s CPU fields (`getconf CLK_TCK`, 100 on every common Linux).
 * @throws Error when `getconf` is missing or answers something that is not a positive integer.
 */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const answer = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    const value = Number(answer);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`getconf CLK_TCK answered ${JSON.stringify(answer)}`);
    ticksPerSecond = value;
  }
  return ticksPerSecond;
}

/**
 * Reads `pid`'s CPU time (`/proc/<pid>/stat` utime and stime, resolution one clock tick: 10 ms at 100 Hz) and
 * RSS (`/proc/<pid>/status` VmRSS).
 * @throws Error when the process does not exist (any more) or `/proc` is not Linux's.
 */
export function readProcessUsage(pid: number): ProcessUsage {
  const atMs = Date.now();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses: the fields
  // after it start after the last ')'. There, index 0 is field 3 (state), so utime (14) and stime (15) are 11 and 12.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`/proc/${pid}/stat has no utime/stime: ${stat.slice(0, 200)}`);
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (rss?.[1] === undefined) throw new Error(`/proc/${pid}/status has no VmRSS`);
  const usPerTick = 1_000_000 / clockTicks();
  return { userUs: utime * usPerTick, systemUs: stime * usPerTick, rssBytes: Number(rss[1]) * 1024, atMs };
}

/** CPU time the whole machine has spent busy (all CPUs, all processes), from `/proc/stat`. */
export interface MachineCpu {
  /** user + nice + system + irq + softirq + steal since boot, microseconds (summed over CPUs). */
  readonly busyUs: number;
  readonly atMs: number;
}

/**
 * Reads the machine's busy CPU time. The difference of two readings minus the CPU of the processes a benchmark
 * runs is what everything else on the machine used meanwhile: the interference a shared machine adds.
 * @throws Error when `/proc/stat` has no aggregate `cpu` line.
 */
export function readMachineCpu(): MachineCpu {
  const atMs = Date.now();
  const line = /^cpu\s+(.+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
  if (line === undefined) throw new Error('/proc/stat has no cpu line');
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, value) => sum + (value ?? 0), 0);
  return { busyUs: ticks * (1_000_000 / clockTicks()), atMs };
}
