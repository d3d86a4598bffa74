import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A Prometheus stand-in for `bench:ops`: scrapes one gateway's `/metrics` at a fixed interval, from this process,
 * for as long as it runs, and keeps when each scrape started so a measured window can be matched with the scrapes it
 * contains. Each scrape is a fresh connection, as Prometheus's scrape loop makes at every interval once the target
 * has closed its idle keep-alive socket.
 */

/** One scrape. */
export interface Scrape {
  /** `Date.now()` when the request was sent. */
  readonly startedAtMs: number;
  /** Request to last body byte, ms. */
  readonly durationMs: number;
  /** Exposition bytes received. */
  readonly bytes: number;
}

/** Scrapes `url` every `intervalMs` (start to start) until {@link MetricsScraper.stop}. */
export class MetricsScraper {
  readonly scrapes: Scrape[] = [];
  /** The body of the latest scrape ('' before the first). */
  lastBody = '';
  private readonly stopping = new AbortController();
  private failure: unknown;
  private readonly loop: Promise<void>;

  /**
   * @param url the full `/metrics` URL.
   * @param headers sent with every scrape (a bearer token, when the endpoint asks for one).
   */
  constructor(
    private readonly url: string,
    private readonly intervalMs: number,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopping.signal.aborted) {
        const startedAtMs = Date.now();
        const started = performance.now();
        const response = await fetch(this.url, { headers: { ...this.headers, connection: 'close' } });
        const body = await response.text();
        if (response.status !== 200 || !body.includes('media_graph_')) throw new Error(`scrape of ${this.url} answered ${response.status}: ${body.slice(0, 200)}`);
        this.scrapes.push({ startedAtMs, durationMs: performance.now() - started, bytes: Buffer.byteLength(body) });
        this.lastBody = body;
        await sleep(Math.max(0, startedAtMs + this.intervalMs - Date.now()), undefined, { signal: this.stopping.signal }).catch((error: unknown) => {
          // The pause until the next scrape ends early when the scraper stops; anything else is a failure.
          if (!this.stopping.signal.aborted) throw error;
        });
      }
    } catch (error) {
      // Kept for stop(): a rejection nobody awaits yet would end the process as unhandled.
      this.failure ??= error;
    }
  }

  /** Scrapes that started in `[fromMs, toMs)` (`Date.now()` values). */
  startedBetween(fromMs: number, toMs: number): number {
    return this.scrapes.filter((scrape) => scrape.startedAtMs >= fromMs && scrape.startedAtMs < toMs).length;
  }

  /**
   * Stops scraping (after the scrape in progress, if one is).
   * @throws the first failed scrape (a status other than 200, an exposition without our families, a transport error).
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Throws at once when a scrape has failed, so a run does not go on measuring a gateway nobody can scrape.
   * @throws the first failed scrape.
   */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
