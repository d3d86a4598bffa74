import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** What one measurement window saw. */
export interface RssWindow {
  /** RSS when the window opened (after the caller's full GC), bytes. */
  readonly baselineBytes: number;
  /** Highest RSS the sampler read during the window, bytes. */
  readonly sampledPeakBytes: number;
  /** Number of samples taken. */
  readonly samples: number;
  /**
   * The kernel's own peak (`VmHWM`), reset when the window opened: it cannot miss a short spike between two
   * samples. `null` when the kernel refused the reset (see `kernelPeakUnavailable`).
   */
  readonly kernelPeakBytes: number | null;
  /** Why `kernelPeakBytes` is `null`. */
  readonly kernelPeakUnavailable: string | null;
}

// Plain CommonJS evaluated in a worker thread: the sampler keeps its 5 ms pace even while the main thread is
// busy moving the body it measures, and `process.memoryUsage.rss()` reads the whole process's RSS.
const SAMPLER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let timer;
let peak = 0;
let samples = 0;
const sample = () => {
  const rss = process.memoryUsage.rss();
  samples += 1;
  if (rss > peak) peak = rss;
};
parentPort.on('message', (message) => {
  if (message === 'start') {
    peak = 0;
    samples = 0;
    sample();
    timer = setInterval(sample, workerData.intervalMs);
  } else if (message === 'stop') {
    clearInterval(timer);
    sample();
    parentPort.postMessage({ peak, samples });
  }
});
`;

/**
 * A peak-RSS sampler for the process it runs in. Create it before taking a baseline (the worker thread's own
 * memory is then part of the baseline), then bracket the measured work with `open()` and `close()`.
 * Lifetime: until `dispose()`.
 */
export class RssSampler {
  private baseline = 0;
  private kernelReset: string | null = null;

  private constructor(private readonly worker: Worker) {}

  /** Starts the sampler thread and waits until it runs. */
  static async create(intervalMs: number): Promise<RssSampler> {
    const worker = new Worker(SAMPLER_SOURCE, { eval: true, workerData: { intervalMs } });
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
    return new RssSampler(worker);
  }

  /** Opens a window: reads the baseline, resets the kernel's peak, starts sampling. Returns the baseline in bytes. */
  open(): number {
    this.baseline = process.memoryUsage.rss();
    this.kernelReset = resetKernelPeak();
    this.worker.postMessage('start');
    return this.baseline;
  }

  /** Closes the window and reports it. */
  async close(): Promise<RssWindow> {
    const sampled = await new Promise<{ peak: number; samples: number }>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.worker.once('error', onError);
      this.worker.once('message', (message: { peak: number; samples: number }) => {
        this.worker.off('error', onError);
        resolve(message);
      });
      this.worker.postMessage('stop');
    });
    return {
      baselineBytes: this.baseline,
      sampledPeakBytes: sampled.peak,
      samples: sampled.samples,
      kernelPeakBytes: this.kernelReset === null ? readKernelPeak() : null,
      kernelPeakUnavailable: this.kernelReset,
    };
  }

  /** Stops the sampler thread. */
  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Writes `5` to `/proc/self/clear_refs` (Linux >= 4.0: reset the peak RSS); returns why it failed, or `null`. */
function resetKernelPeak(): string | null {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** `VmHWM` of this process, bytes. */
function readKernelPeak(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (match?.[1] === undefined) throw new Error('VmHWM missing from /proc/self/status');
  return Number(match[1]) * 1024;
}
