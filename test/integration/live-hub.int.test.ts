import type { Readable } from 'node:stream';
import { KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { afterEach, describe, expect, it } from 'vitest';
import { createKinesisClients } from '../../src/datasources/kinesis/kinesis.clients.js';
import { KinesisMediaDataSource } from '../../src/datasources/kinesis/kinesis-media.datasource.js';
import { KinesisVideoDataSource } from '../../src/datasources/kinesis/kinesis-video.datasource.js';
import type { MediaStart } from '../../src/datasources/kinesis/kinesis.types.js';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import type { EmulatedFragment, GetMediaSessionRecord, KinesisVideoEmulatorOptions } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { DomainError } from '../../src/core/domain-error.js';
import type { FeedStatus, LiveEvent } from '../../src/live/live.types.js';
import { DEFAULT_HUB_OPTIONS, LocalFragmentHub, type LocalHubOptions } from '../../src/live/local-fragment-hub.js';
import { kinesisMediaOpener } from '../../src/live/media-opener.js';
import { compareFragmentNumbers } from '../../src/mkv/index.js';
import { within } from '../helpers/within.js';

/*
 * The fragment hub over the real Kinesis datasources and SDK clients, against the Kinesis Video emulator with
 * an accelerated producer (a fragment every 40 ms) and small timeouts. One test per RELIABILITY.md row; every
 * figure is read from the emulator's own logs (sessions, call timestamps, fragment list).
 */

const STREAM = 'live-cam';
const CREDENTIALS = { accessKeyId: 'AKIDLIVEHUB', secretAccessKey: 'live-hub-test-secret' };
const FRAGMENT_MS = 40;
/** One 512-byte frame per 40 ms fragment. */
const PRODUCER = { fragmentIntervalMs: FRAGMENT_MS, fps: 25, frameBytes: 512 } as const;
const FAST_HUB: LocalHubOptions = {
  ...DEFAULT_HUB_OPTIONS,
  reader: { idleTimeoutMs: 300, backoffBaseMs: 30, backoffCapMs: 400, idleReconnectMs: 1_000 },
  windowSize: 30,
  lingerMs: 100,
  subscriberBuffer: 256,
  overflow: 'gap',
  fatalCooldownMs: 60_000,
};
const NOW: MediaStart = { type: 'NOW' };

/**
 * Watches for an emulator wait that should NOT resolve (a limit exceeded, a call that must not happen). Pending
 * waits reject when the emulator closes, which is the expected end; any other rejection is rethrown (and then
 * reported as an unhandled rejection).
 */
function watch(wait: Promise<unknown>): { readonly happened: () => boolean; within(ms: number): Promise<boolean> } {
  let happened = false;
  let notify: () => void = () => undefined;
  const occurred = new Promise<void>((resolve) => {
    notify = resolve;
  });
  void wait.then(
    () => {
      happened = true;
      notify();
    },
    (error: unknown) => {
      if (!(error instanceof Error && error.message === 'Kinesis Video emulator is closed')) throw error;
    },
  );
  return {
    happened: () => happened,
    /** Resolves true as soon as it happens, false if it has not after `ms` (the timeout is the expected outcome). */
    within: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      });
      try {
        return await Promise.race([occurred.then(() => true), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

interface Received {
  readonly event: LiveEvent;
  /** Wall clock (the emulator's clock too) when the consumer pulled the event. */
  readonly at: number;
}

/** Pulls a hub subscription continuously and records every event, its time, and how it ended. */
class Recorder {
  readonly received: Received[] = [];
  error: unknown = undefined;
  done = false;
  private readonly finished: Promise<void>;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly iterator: AsyncIterableIterator<LiveEvent>,
    private readonly onEvent: (event: LiveEvent) => void = () => undefined,
  ) {
    this.finished = this.pump();
  }

  fragments(): string[] {
    const numbers: string[] = [];
    for (const { event } of this.received) if (event.kind === 'fragment' && event.fragment.fragmentNumber !== null) numbers.push(event.fragment.fragmentNumber);
    return numbers;
  }

  fragmentTimes(): { readonly fragment: string; readonly at: number; readonly serverTimestamp: number | null }[] {
    const out: { fragment: string; at: number; serverTimestamp: number | null }[] = [];
    for (const { event, at } of this.received) {
      if (event.kind === 'fragment' && event.fragment.fragmentNumber !== null) {
        out.push({ fragment: event.fragment.fragmentNumber, at, serverTimestamp: event.fragment.serverTimestamp });
      }
    }
    return out;
  }

  gaps(): Extract<LiveEvent, { kind: 'gap' }>[] {
    return this.received.flatMap(({ event }) => (event.kind === 'gap' ? [event] : []));
  }

  statuses(): { readonly status: FeedStatus; readonly detail: string | null }[] {
    return this.received.flatMap(({ event }) => (event.kind === 'status' ? [{ status: event.status, detail: event.detail }] : []));
  }

  /** Resolves once `condition` holds; rejects if the subscription ends first or after `ms`. */
  until(condition: (recorder: Recorder) => boolean, ms: number, what: string): Promise<void> {
    const waiting = new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (condition(this)) {
          this.listeners.delete(check);
          resolve();
        } else if (this.done) {
          this.listeners.delete(check);
          reject(new Error(`the subscription ended (${String(this.error)}) before ${what}`));
        }
      };
      this.listeners.add(check);
      check();
    });
    return within(waiting, ms, `${what} (have ${this.fragments().length} fragments)`);
  }

  /** Resolves once the subscription has ended (error or completion). */
  ended(ms: number): Promise<void> {
    return within(this.finished, ms, 'the subscription to end');
  }

  /** Leaves the subscription and waits for the pump to stop. */
  async stop(): Promise<void> {
    await this.iterator.return?.();
    await this.finished;
  }

  private async pump(): Promise<void> {
    try {
      for await (const event of this.iterator) {
        this.received.push({ event, at: Date.now() });
        this.onEvent(event);
        this.notify();
      }
    } catch (error) {
      // Kept for the test to assert on (a coded DomainError is an expected outcome in K8 and R1).
      this.error = error;
    } finally {
      this.done = true;
      this.notify();
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

interface Harness {
  readonly emulator: KinesisVideoEmulator;
  readonly hub: LocalFragmentHub;
  readonly media: KinesisMediaDataSource;
  /** Every start position the hub opened GetMedia with, in order. */
  readonly opened: MediaStart[];
  /** With `mediaCredentials`: the access key id each GetMedia request was signed with, in order. */
  readonly signedWith: string[];
  /** Subscribes through the hub and records the events. */
  subscribe(start: MediaStart, onEvent?: (event: LiveEvent) => void): Recorder;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface HarnessOptions {
  readonly hub?: Partial<LocalHubOptions>;
  readonly emulator?: KinesisVideoEmulatorOptions;
  /** Fragments added before anything subscribes. */
  readonly history?: number;
  /** Start the accelerated producer. */
  readonly producer?: boolean;
  /**
   * A credential provider for the GetMedia clients, in place of the static test credentials (as a deployment's
   * default chain would be). The SDK caches what it returns; only a forced refresh asks it again.
   */
  readonly mediaCredentials?: () => Promise<{ readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }>;
}

async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = await KinesisVideoEmulator.start({ idleEndMs: 200, ...options.emulator });
  cleanups.push(() => emulator.close());
  emulator.createStream(STREAM, { retentionHours: 24, mediaType: 'video/h264' });
  for (let i = 0; i < (options.history ?? 0); i += 1) emulator.addFragment(STREAM, { durationMs: FRAGMENT_MS, fps: PRODUCER.fps, frameBytes: PRODUCER.frameBytes });
  const clients = createKinesisClients({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 2, credentials: CREDENTIALS });
  cleanups.push(() => Promise.resolve(clients.destroy()));
  const control = new KinesisVideoDataSource(clients.control, { timeoutMs: 2_000, endpointTtlMs: 600_000 });
  const ownMediaClients = new Map<string, KinesisVideoMediaClient>();
  const signedWith: string[] = [];
  const mediaClient = (endpoint: string): KinesisVideoMediaClient => {
    const credentials = options.mediaCredentials;
    if (credentials === undefined) return clients.media(endpoint);
    let client = ownMediaClients.get(endpoint);
    if (client === undefined) {
      const created = new KinesisVideoMediaClient({ region: 'us-east-1', endpoint, maxAttempts: 1, credentials });
      // The deserialize step runs after signing: the request here is the one sent.
      created.middlewareStack.add(
        (next) => (args) => {
          const authorization = (args.request as { readonly headers?: Record<string, string> }).headers?.['authorization'] ?? '';
          signedWith.push(/Credential=([^/]+)\//.exec(authorization)?.[1] ?? '');
          return next(args);
        },
        { step: 'deserialize', name: 'recordSigningKey' },
      );
      cleanups.push(() => Promise.resolve(created.destroy()));
      ownMediaClients.set(endpoint, created);
      client = created;
    }
    return client;
  };
  const media = new KinesisMediaDataSource(control, mediaClient, { timeoutMs: 2_000 });
  // Wired as a deployment should be: a refused session re-resolves the endpoint and the credentials (K11).
  const open = kinesisMediaOpener({
    getMedia: async (stream, start, signal) => (await media.getMedia({ name: stream }, start, signal)).payload,
    invalidateEndpoint: (stream) => control.invalidateEndpoint({ name: stream }, 'GET_MEDIA'),
    refreshCredentials: () => Promise.all([...ownMediaClients.values()].map((client) => client.config.credentials({ forceRefresh: true }))),
  });
  const opened: MediaStart[] = [];
  const hub = new LocalFragmentHub(
    (stream, start, signal, openOptions): Promise<Readable> => {
      opened.push(start);
      return open(stream, start, signal, openOptions);
    },
    { ...FAST_HUB, ...options.hub },
  );
  cleanups.push(() => hub.close());
  const controller = new AbortController();
  cleanups.push(() => Promise.resolve(controller.abort()));
  if (options.producer === true) emulator.startProducer(STREAM, PRODUCER);
  return {
    emulator,
    hub,
    media,
    opened,
    signedWith,
    subscribe: (start, onEvent) => new Recorder(hub.subscribe(STREAM, start, { signal: controller.signal }), onEvent),
  };
}

/** Asserts `got` is strictly increasing (BigInt) and is exactly a contiguous run of the emulator's fragments. */
function expectContiguous(all: readonly EmulatedFragment[], got: readonly string[], firstExpected?: string): void {
  expect(got.length).toBeGreaterThan(0);
  for (let i = 1; i < got.length; i += 1) expect(compareFragmentNumbers(got[i - 1] ?? '', got[i] ?? '')).toBeLessThan(0);
  const numbers = all.map((fragment) => fragment.fragmentNumber);
  for (let i = 1; i < numbers.length; i += 1) expect(compareFragmentNumbers(numbers[i - 1] ?? '', numbers[i] ?? '')).toBeLessThan(0);
  const start = numbers.indexOf(got[0] ?? '');
  expect(start).toBeGreaterThanOrEqual(0);
  if (firstExpected !== undefined) expect(got[0]).toBe(firstExpected);
  expect(got).toEqual(numbers.slice(start, start + got.length));
}

/** Most calls inside any half-open window of `windowMs`. */
function maxCallsInWindow(calls: readonly number[], windowMs: number): number {
  let max = 0;
  for (let i = 0; i < calls.length; i += 1) {
    let count = 0;
    for (let j = i; j < calls.length && (calls[j] ?? Infinity) - (calls[i] ?? 0) < windowMs; j += 1) count += 1;
    max = Math.max(max, count);
  }
  return max;
}

/** Resolves when the emulator has recorded `n` GetMedia calls naming `stream` since the call log was reset. */
function nthGetMedia(emulator: KinesisVideoEmulator, n: number, stream = STREAM): Promise<unknown> {
  let seen = 0;
  return emulator.waitForRequest((request) => request.operation === 'GetMedia' && request.stream === stream && ++seen >= n);
}

function sessionsOf(emulator: KinesisVideoEmulator, stream = STREAM): GetMediaSessionRecord[] {
  return emulator.getMediaSessions.filter((session) => session.stream === stream).sort((a, b) => a.id - b.id);
}

/**
 * Faults only apply to sessions and requests that start after they are injected. To hit a running reader's
 * resume, its first session stalls after 4 fragments; `onStall` runs once 3 have been delivered (the 4th is
 * on the wire then), which leaves the whole watchdog period before the reader calls again.
 */
async function stallThen(h: Harness, onStall: () => void): Promise<Recorder> {
  h.emulator.injectFault({ kind: 'stall', stream: STREAM, afterFragments: 4, times: 1 });
  const r = h.subscribe(NOW);
  await r.until((x) => x.fragments().length >= 3, 5_000, 'the first fragments');
  onStall();
  return r;
}

function fragmentIndex(emulator: KinesisVideoEmulator, fragmentNumber: string): number {
  return emulator.fragments(STREAM).findIndex((fragment) => fragment.fragmentNumber === fragmentNumber);
}

describe('LocalFragmentHub against the Kinesis Video emulator', () => {
  it('delivers every fragment exactly once and in order, resuming in under 1 s, when the connection drops every few fragments (K1)', async () => {
    const h = await startHarness({ producer: true });
    const fragmentBytes = h.emulator.fragments(STREAM)[0]?.sizeBytes ?? 0;
    expect(fragmentBytes).toBeGreaterThan(500);
    // Eight drops, one per session, alternating on a fragment boundary and in the middle of a fragment.
    const drops = 8;
    for (let i = 0; i < drops; i += 1) {
      h.emulator.injectFault(
        i % 2 === 0
          ? { kind: 'drop', stream: STREAM, afterFragments: 6, times: 1 }
          : { kind: 'drop', stream: STREAM, afterBytes: Math.round(5.5 * fragmentBytes), times: 1 },
      );
    }
    const r = h.subscribe(NOW);
    await r.until((x) => x.fragments().length >= 60, 15_000, '60 fragments');
    await within(h.emulator.waitForGetMediaEnd((s) => s.reason === 'dropped' && sessionsOf(h.emulator).filter((x) => x.reason === 'dropped').length >= drops), 5_000, 'the last drop');
    await r.until((x) => x.fragments().length >= 70, 5_000, '70 fragments');

    const got = r.fragments();
    expectContiguous(h.emulator.fragments(STREAM), got);
    expect(new Set(got).size).toBe(got.length);
    expect(r.gaps()).toEqual([]);

    // Every resume used the continuation token of the last fragment delivered.
    expect(h.opened[0]).toEqual(NOW);
    for (const start of h.opened.slice(1)) expect(start.type).toBe('CONTINUATION_TOKEN');

    // Resume time: from the emulator closing the dropped connection to the next session starting.
    const sessions = sessionsOf(h.emulator);
    const dropped = sessions.filter((s) => s.reason === 'dropped');
    expect(dropped).toHaveLength(drops);
    const resumes = dropped.map((s) => {
      const calls = h.emulator.getMediaCalls(STREAM).filter((at) => at >= s.endedAt);
      return (calls[0] ?? Infinity) - s.endedAt;
    });
    expect(Math.max(...resumes)).toBeLessThan(1_000);
    // Client side: no fragment waited more than 1 s after the previous one.
    const times = r.fragmentTimes();
    const stalls = times.slice(1).map((t, i) => t.at - (times[i]?.at ?? t.at));
    expect(Math.max(...stalls)).toBeLessThan(1_000);
    console.info(`K1: ${got.length} fragments, ${drops} drops, max resume ${Math.max(...resumes)} ms, max inter-fragment ${Math.max(...stalls)} ms`);
    await r.stop();
  });

  it('aborts a stalled session with the idle watchdog and resumes without loss (K2)', async () => {
    const h = await startHarness({ producer: true });
    h.emulator.injectFault({ kind: 'stall', stream: STREAM, afterFragments: 5, times: 1 });
    const r = h.subscribe(NOW);
    const stalled = await within(h.emulator.waitForGetMediaEnd((s) => s.id === 1), 5_000, 'the stalled session to be aborted');
    await r.until((x) => x.fragments().length >= 25, 5_000, '25 fragments');

    expect(stalled.reason).toBe('client-closed');
    expect(stalled.fragmentsSent).toBe(5);
    const lastSent = h.emulator.fragments(STREAM).find((f) => f.fragmentNumber === stalled.lastFragmentNumber);
    // Detection: from the last byte the stalled session wrote (its 5th fragment, sent as it was added) to the abort.
    const detectionMs = stalled.endedAt - (lastSent?.serverTimestamp ?? 0);
    expect(detectionMs).toBeGreaterThanOrEqual(FAST_HUB.reader.idleTimeoutMs - 5);
    expect(detectionMs).toBeLessThan(FAST_HUB.reader.idleTimeoutMs + 500);
    expectContiguous(h.emulator.fragments(STREAM), r.fragments());
    expect(r.gaps()).toEqual([]);
    expect(r.statuses()).toContainEqual({ status: 'RECONNECTING', detail: 'UPSTREAM_TIMEOUT' });
    console.info(`K2: stall detected after ${detectionMs} ms (watchdog ${FAST_HUB.reader.idleTimeoutMs} ms), 0 lost`);
    await r.stop();
  });

  it('keeps GetMedia calls at or under one per second while the producer is idle, then resumes without loss (K3)', async () => {
    const h = await startHarness({ history: 2 });
    const producerStop = h.emulator.startProducer(STREAM, PRODUCER);
    const r = h.subscribe(NOW);
    await r.until((x) => x.fragments().length >= 5, 5_000, '5 fragments');
    producerStop();
    const idleSince = Date.now();
    const callsBefore = h.emulator.getMediaCalls(STREAM).length;
    await within(nthGetMedia(h.emulator, callsBefore + 3), 10_000, 'three GetMedia calls while idle');
    const idleCalls = h.emulator.getMediaCalls(STREAM).filter((at) => at >= idleSince);
    expect(idleCalls.length).toBeGreaterThanOrEqual(3);
    const gaps = idleCalls.slice(1).map((at, i) => at - (idleCalls[i] ?? at));
    const perSecond = ((idleCalls.length - 1) * 1000) / ((idleCalls.at(-1) ?? 0) - (idleCalls[0] ?? 0));
    // Averaged from the moment the producer stopped, the first reconnect included.
    const sinceIdle = (idleCalls.length * 1000) / ((idleCalls.at(-1) ?? 0) - idleSince);
    expect(perSecond).toBeLessThanOrEqual(1);
    expect(sinceIdle).toBeLessThanOrEqual(1);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);

    const before = r.fragments().length;
    h.emulator.startProducer(STREAM, PRODUCER);
    await r.until((x) => x.fragments().length >= before + 5, 5_000, 'fragments after the producer resumed');
    expectContiguous(h.emulator.fragments(STREAM), r.fragments());
    expect(r.gaps()).toEqual([]);
    console.info(`K3: ${perSecond.toFixed(2)} calls/s between idle calls, ${sinceIdle.toFixed(2)} calls/s since idle, min gap ${Math.min(...gaps)} ms`);
    await r.stop();
  });

  it('never makes more than 5 GetMedia calls in any 1 s window during throttling bursts (K4)', async () => {
    // A tiny backoff: without the call budget the reader would retry ~50 times a second.
    const h = await startHarness({ producer: true, hub: { reader: { ...FAST_HUB.reader, backoffBaseMs: 5, backoffCapMs: 40 } } });
    // Burst 1 at the first connection; burst 2 when the reader resumes after a stall (see stallThen).
    h.emulator.injectFault({ kind: 'throttle', stream: STREAM, operation: 'GetMedia', times: 8 });
    const r = await stallThen(h, () => h.emulator.injectFault({ kind: 'throttle', stream: STREAM, operation: 'GetMedia', times: 8 }));
    await within(nthGetMedia(h.emulator, 18), 10_000, 'the throttled calls');
    const settled = r.fragments().length;
    await r.until((x) => x.fragments().length >= settled + 10, 5_000, 'fragments after the bursts');

    const calls = h.emulator.getMediaCalls(STREAM);
    expect(calls.length).toBeGreaterThanOrEqual(18);
    const peak = maxCallsInWindow(calls, 1_000);
    expect(peak).toBeLessThanOrEqual(5);
    expect(r.statuses()).toContainEqual({ status: 'THROTTLED', detail: 'call rate limit' });
    expectContiguous(h.emulator.fragments(STREAM), r.fragments());
    expect(r.gaps()).toEqual([]);
    console.info(`K4: ${calls.length} calls (16 throttled), peak ${peak} in any 1 s window`);
    await r.stop();
  });

  it('serves 50 subscribers with mixed starts from 1 live reader plus bounded catch-up, each getting its exact sequence (K5)', async () => {
    // The emulator would allow far more than the service does, so only the hub's own budgets keep the figures.
    const h = await startHarness({ emulator: { limits: { maxConnectionsPerStream: 100, getMediaCallsPerSecond: 1_000 } } });
    // History with exact spacing (40 ms fragments back to back, ending 1 s ago), then the live producer.
    const base = Date.now() - 60 * FRAGMENT_MS - 1_000;
    for (let i = 0; i < 60; i += 1) {
      const at = base + i * FRAGMENT_MS;
      h.emulator.addFragment(STREAM, { serverTimestamp: at, producerTimestamp: at - 500, durationMs: FRAGMENT_MS, fps: PRODUCER.fps, frameBytes: PRODUCER.frameBytes });
    }
    h.emulator.startProducer(STREAM, PRODUCER);
    let maxHubSessions = 0;
    const sample = (): void => {
      maxHubSessions = Math.max(maxHubSessions, h.hub.stats(STREAM).upstreamSessions);
    };
    // Checked on every connection open and close: a 4th concurrent GetMedia would resolve it.
    const overThree = watch(h.emulator.waitForActiveGetMedia(STREAM, 4));
    const primer = h.subscribe(NOW, sample);
    await primer.until((x) => x.fragments().length >= FAST_HUB.windowSize + 5, 10_000, 'a full replay window');

    const all = h.emulator.fragments(STREAM);
    const history = all.slice(0, 60);
    const seen = primer.fragments();
    const inWindow = seen.slice(-20, -5);
    const at = (i: number): EmulatedFragment => history[i] ?? (all[0] as EmulatedFragment);
    const liveFragment = (n: string): EmulatedFragment => all.find((f) => f.fragmentNumber === n) ?? (all[0] as EmulatedFragment);
    const plans: { readonly start: MediaStart; readonly first: (fragments: readonly EmulatedFragment[]) => string | undefined }[] = [];
    const after = (n: string) => (fragments: readonly EmulatedFragment[]) => fragments[fragments.findIndex((f) => f.fragmentNumber === n) + 1]?.fragmentNumber;
    const firstAtOrAfter = (kind: 'server' | 'producer', t: number) => (fragments: readonly EmulatedFragment[]) =>
      fragments.find((f) => (kind === 'server' ? f.serverTimestamp : f.producerTimestamp) >= t)?.fragmentNumber;
    for (let i = 0; i < 13; i += 1) plans.push({ start: NOW, first: () => undefined });
    for (let i = 0; i < 4; i += 1) plans.push({ start: { type: 'EARLIEST' }, first: (f) => f[0]?.fragmentNumber });
    for (let i = 0; i < 13; i += 1) {
      const n = inWindow[i % inWindow.length] ?? '';
      plans.push({ start: { type: 'FRAGMENT_NUMBER', fragmentNumber: n }, first: after(n) });
    }
    for (let i = 0; i < 5; i += 1) {
      const n = at(5 + i * 9).fragmentNumber;
      plans.push({ start: { type: 'FRAGMENT_NUMBER', fragmentNumber: n }, first: after(n) });
    }
    for (let i = 0; i < 3; i += 1) {
      const t = at(10 + i * 15).serverTimestamp + (i === 2 ? FRAGMENT_MS / 2 : 0);
      plans.push({ start: { type: 'SERVER_TIMESTAMP', timestamp: new Date(t) }, first: firstAtOrAfter('server', t) });
    }
    for (let i = 0; i < 2; i += 1) {
      const t = at(20 + i * 20).producerTimestamp;
      plans.push({ start: { type: 'PRODUCER_TIMESTAMP', timestamp: new Date(t) }, first: firstAtOrAfter('producer', t) });
    }
    for (let i = 0; i < 8; i += 1) {
      const f = liveFragment(inWindow[(i * 3) % inWindow.length] ?? '');
      const t = i % 2 === 0 ? f.serverTimestamp : f.producerTimestamp;
      plans.push({ start: { type: i % 2 === 0 ? 'SERVER_TIMESTAMP' : 'PRODUCER_TIMESTAMP', timestamp: new Date(t) }, first: firstAtOrAfter(i % 2 === 0 ? 'server' : 'producer', t) });
    }
    plans.push({ start: { type: 'CONTINUATION_TOKEN', token: inWindow[3] ?? '' }, first: after(inWindow[3] ?? '') });
    expect(plans).toHaveLength(49);

    const lastSeenByPrimer = seen.at(-1) ?? '';
    const recorders = plans.map((plan) => h.subscribe(plan.start, sample));
    // Everyone must reach a fragment produced well after all of them subscribed.
    const targetAfter = Date.now() + 400;
    const target = await within(h.emulator.waitForFragment((f) => f.serverTimestamp > targetAfter), 5_000, 'a target fragment');
    const reached = (x: Recorder): boolean => x.fragments().some((n) => compareFragmentNumbers(n, target.fragmentNumber) >= 0);
    await Promise.all(recorders.map((x, i) => x.until(reached, 20_000, `subscriber ${i} (${plans[i]?.start.type}) to reach the target`)));

    const fragments = h.emulator.fragments(STREAM);
    recorders.forEach((x, i) => {
      const plan = plans[i];
      if (plan === undefined) return;
      const got = x.fragments();
      const upToTarget = got.slice(0, got.indexOf(target.fragmentNumber) + 1);
      const expectedFirst = plan.first(fragments);
      if (plan.start.type === 'NOW') expect(compareFragmentNumbers(upToTarget[0] ?? '0', lastSeenByPrimer)).toBeGreaterThan(0);
      expect({ subscriber: i, start: plan.start.type, gaps: x.gaps() }).toEqual({ subscriber: i, start: plan.start.type, gaps: [] });
      expectContiguous(fragments, upToTarget, expectedFirst);
      expect(x.error).toBeUndefined();
    });
    // Exactly one live reader: the hub opened GetMedia at NOW once, and the emulator saw one NOW call, for 14 NOW
    // subscribers and 36 others (catch-up readers start at their own positions; the live reader resumes by token).
    expect(h.opened.filter((start) => start.type === 'NOW')).toHaveLength(1);
    const nowCalls = h.emulator.requests.filter((request) => {
      const selector = request.input?.['StartSelector'];
      return request.operation === 'GetMedia' && typeof selector === 'object' && selector !== null && (selector as Record<string, unknown>)['StartSelectorType'] === 'NOW';
    });
    expect(nowCalls).toHaveLength(1);
    expect(h.hub.stats(STREAM).liveReaderRunning).toBe(true);
    // Concurrency: never a 4th GetMedia connection, in the emulator or in the hub's own count.
    expect(overThree.happened()).toBe(false);
    expect(maxHubSessions).toBeLessThanOrEqual(3);
    const sessions = sessionsOf(h.emulator);
    const calls = h.emulator.getMediaCalls(STREAM);
    expect(maxCallsInWindow(calls, 1_000)).toBeLessThanOrEqual(5);
    console.info(`K5: 50 subscribers, ${calls.length} GetMedia calls, ${sessions.length} finished sessions, max hub sessions ${maxHubSessions}, peak ${maxCallsInWindow(calls, 1_000)} calls/s`);
    await Promise.all([primer, ...recorders].map((x) => x.stop()));
  });

  it('backs off at most once a second and reports THROTTLED while other readers hold every connection (K6)', async () => {
    const h = await startHarness({ producer: true });
    // Three readers outside the hub hold the stream's three connections.
    const outside = new AbortController();
    const held = await Promise.all([0, 1, 2].map(() => h.media.getMedia({ name: STREAM }, NOW, outside.signal)));
    for (const session of held) session.payload.resume();
    await within(h.emulator.waitForActiveGetMedia(STREAM, 3), 2_000, 'three outside sessions');
    const callsBefore = h.emulator.getMediaCalls(STREAM).length;

    const r = h.subscribe(NOW);
    await r.until((x) => x.statuses().some((s) => s.status === 'THROTTLED'), 5_000, 'a THROTTLED status');
    await within(nthGetMedia(h.emulator, callsBefore + 3), 5_000, 'three refused calls');
    const refused = h.emulator.getMediaCalls(STREAM).slice(callsBefore);
    outside.abort();
    for (const session of held) session.payload.destroy();
    await r.until((x) => x.fragments().length >= 10, 5_000, 'fragments once connections are free');

    const gaps = refused.slice(1).map((at, i) => at - (refused[i] ?? at));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);
    expect(r.statuses()).toContainEqual({ status: 'THROTTLED', detail: 'connection limit' });
    expect(r.statuses().at(-1)).toEqual({ status: 'CONNECTED', detail: null });
    expectContiguous(h.emulator.fragments(STREAM), r.fragments());
    console.info(`K6: gaps between refused calls ${gaps.join(', ')} ms`);
    await r.stop();
  });

  it('emits a RETENTION gap with the range and keeps delivering after error 4000 on the live reader (K7)', async () => {
    const h = await startHarness({ producer: true });
    h.emulator.injectFault({ kind: 'errorTag', stream: STREAM, errorId: 4000, afterFragments: 4, times: 1 });
    const r = h.subscribe(NOW);
    await r.until((x) => x.gaps().length > 0, 5_000, 'a gap event');
    await r.until((x) => x.fragments().length >= 20, 5_000, 'fragments after the gap');

    const gapIndex = r.received.findIndex(({ event }) => event.kind === 'gap');
    const numbers = (slice: readonly Received[]): string[] =>
      slice.flatMap(({ event }) => (event.kind === 'fragment' && event.fragment.fragmentNumber !== null ? [event.fragment.fragmentNumber] : []));
    const before = numbers(r.received.slice(0, gapIndex));
    const after = numbers(r.received.slice(gapIndex + 1));
    expect(r.gaps()).toHaveLength(1);
    expect(r.gaps()[0]).toMatchObject({ reason: 'RETENTION', afterFragmentNumber: before.at(-1), beforeFragmentNumber: after[0] });
    expect(before).toHaveLength(4);
    const all = h.emulator.fragments(STREAM);
    expectContiguous(all, before);
    expectContiguous(all, after);
    expect(sessionsOf(h.emulator)[0]?.errorIds).toEqual([4000]);
    await r.stop();
  });

  it('emits a RETENTION gap from the requested fragment to the earliest retained one when a catch-up starts beyond retention (K7)', async () => {
    // 40 fragments, 20 retained; no producer, so the retained set stays put while the test reads it.
    const h = await startHarness({ emulator: { maxFragmentsPerStream: 20 }, history: 40 });
    const retained = h.emulator.fragments(STREAM).map((f) => f.fragmentNumber);
    expect(retained).toHaveLength(20);
    // The fragment log still has the first fragment ever added; retention has evicted it.
    const evicted = (await h.emulator.waitForFragment()).fragmentNumber;
    expect(retained).not.toContain(evicted);
    const primer = h.subscribe(NOW);
    const r = h.subscribe({ type: 'FRAGMENT_NUMBER', fragmentNumber: evicted });
    await r.until((x) => x.fragments().length >= 20, 5_000, 'the retained fragments');

    expect(r.gaps()).toHaveLength(1);
    expect(r.received.findIndex(({ event }) => event.kind === 'gap')).toBeLessThan(r.received.findIndex(({ event }) => event.kind === 'fragment'));
    expect(r.gaps()[0]).toMatchObject({ reason: 'RETENTION', afterFragmentNumber: evicted, beforeFragmentNumber: retained[0] });
    expect(r.fragments()).toEqual(retained);
    expect(sessionsOf(h.emulator).some((s) => s.selector === 'FRAGMENT_NUMBER' && s.errorIds.includes(4000))).toBe(true);
    await Promise.all([primer.stop(), r.stop()]);
  });

  it('ends subscriptions with UPSTREAM_UNAVAILABLE and does not retry in a loop after a KMS error (K8)', async () => {
    const h = await startHarness({ producer: true });
    // Every session would fail: a retry loop would show up as repeated calls.
    h.emulator.injectFault({ kind: 'errorTag', stream: STREAM, errorId: 4501, afterFragments: 3 });
    const a = h.subscribe(NOW);
    const b = h.subscribe(NOW);
    await Promise.all([a.ended(5_000), b.ended(5_000)]);
    for (const x of [a, b]) {
      expect(x.error).toBeInstanceOf(DomainError);
      expect((x.error as DomainError).code).toBe('UPSTREAM_UNAVAILABLE');
      expect((x.error as DomainError).details).toEqual({ upstreamErrorId: 4501 });
    }
    const callsAtFailure = h.emulator.getMediaCalls(STREAM).length;
    // A new subscriber inside the cooldown fails at once, without a call.
    const c = h.subscribe(NOW);
    await c.ended(1_000);
    expect((c.error as DomainError).code).toBe('UPSTREAM_UNAVAILABLE');
    const since = Date.now();
    const another = watch(h.emulator.waitForRequest((request) => request.operation === 'GetMedia' && request.at >= since));
    expect(await another.within(1_500)).toBe(false);
    expect(h.emulator.getMediaCalls(STREAM).length).toBe(callsAtFailure);
    expect(callsAtFailure).toBe(1);
    expect(h.hub.stats(STREAM).liveReaderRunning).toBe(false);
  });

  it('retries from the last token after error tags 3002 and 5000 and HTTP 500/503, losing nothing (K9)', async () => {
    const h = await startHarness({ producer: true });
    // Session 1 stalls (HTTP 500 then 503 answer its resume), session 2 ends with 3002, session 3 with 5000.
    const r = await stallThen(h, () => {
      h.emulator.injectFault({ kind: 'errorTag', stream: STREAM, errorId: 3002, afterFragments: 3, times: 1 });
      h.emulator.injectFault({ kind: 'errorTag', stream: STREAM, errorId: 5000, afterFragments: 3, times: 1 });
      h.emulator.injectFault({ kind: 'error', stream: STREAM, operation: 'GetMedia', status: 500, times: 1 });
      h.emulator.injectFault({ kind: 'error', stream: STREAM, operation: 'GetMedia', status: 503, times: 1 });
    });
    await within(h.emulator.waitForGetMediaEnd((s) => s.errorIds.includes(5000)), 5_000, 'error 5000');
    const afterFaults = r.fragments().length;
    await r.until((x) => x.fragments().length >= afterFaults + 15, 5_000, 'fragments after the faults');

    expectContiguous(h.emulator.fragments(STREAM), r.fragments());
    expect(r.gaps()).toEqual([]);
    const sessions = sessionsOf(h.emulator);
    expect(sessions.map((s) => s.errorIds).flat()).toEqual([3002, 5000]);
    // Every call is a session (3 finished, 1 running) except the two answered 500 and 503.
    expect(h.emulator.getMediaCalls(STREAM).length - sessions.length - h.emulator.activeGetMedia(STREAM)).toBe(2);
    expect(h.opened[0]).toEqual(NOW);
    expect(h.opened.slice(1).map((start) => start.type)).toEqual(Array.from({ length: h.opened.length - 1 }, () => 'CONTINUATION_TOKEN'));
    const details = r.statuses().map((s) => s.detail);
    expect(details).toEqual(expect.arrayContaining(['UPSTREAM_TIMEOUT', 'upstream error 3002', 'upstream error 5000']));
    await r.stop();
  });

  it('asks GetDataEndpoint again and recovers in under 2 s after InvalidEndpointException (K10)', async () => {
    const h = await startHarness({ producer: true });
    let endpointCalls = 0;
    const r = await stallThen(h, () => {
      endpointCalls = h.emulator.count('GetDataEndpoint');
      h.emulator.injectFault({ kind: 'invalidEndpoint', stream: STREAM, operation: 'GetMedia', times: 2 });
    });
    const stalled = await within(h.emulator.waitForGetMediaEnd((s) => s.id === 1), 5_000, 'the stalled session');
    const lastBefore = r.fragments().at(-1) ?? '';
    const isNew = (t: { readonly fragment: string; readonly at: number }): boolean => t.at >= stalled.endedAt && compareFragmentNumbers(t.fragment, lastBefore) > 0;
    await r.until((x) => x.fragmentTimes().some(isNew), 5_000, 'recovery');
    const firstRefusal = h.emulator.requests.find((q) => q.operation === 'GetMedia' && q.at >= stalled.endedAt)?.at ?? 0;
    const recoveryMs = (r.fragmentTimes().find(isNew)?.at ?? Infinity) - firstRefusal;
    expect(recoveryMs).toBeLessThan(2_000);
    expect(h.emulator.count('GetDataEndpoint')).toBeGreaterThanOrEqual(endpointCalls + 2);
    const settled = r.fragments().length;
    await r.until((x) => x.fragments().length >= settled + 5, 5_000, 'more fragments');
    expectContiguous(h.emulator.fragments(STREAM), r.fragments());
    expect(r.gaps()).toEqual([]);
    console.info(`K10: recovered ${recoveryMs} ms after the first InvalidEndpointException; GetDataEndpoint ${endpointCalls} -> ${h.emulator.count('GetDataEndpoint')}`);
    await r.stop();
  });

  it('re-resolves the credentials and the data endpoint after NotAuthorizedException, then resumes with 0 lost and 0 duplicated (K11)', async () => {
    let resolved = 0;
    // Each resolution is a new session (a new key id, so the test can see which one signed each call).
    const credentials = (): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> => {
      resolved += 1;
      return Promise.resolve({ accessKeyId: `AKIDK11SESSION${resolved}`, secretAccessKey: 'k11-test-secret', sessionToken: `k11-session-${resolved}` });
    };
    const h = await startHarness({ producer: true, mediaCredentials: credentials });
    let endpointCalls = 0;
    const r = await stallThen(h, () => {
      endpointCalls = h.emulator.count('GetDataEndpoint');
      h.emulator.injectFault({ kind: 'notAuthorized', stream: STREAM, operation: 'GetMedia', times: 2 });
    });
    await within(nthGetMedia(h.emulator, 4), 5_000, 'two refused calls and a successful one');
    const settled = r.fragments().length;
    await r.until((x) => x.fragments().length >= settled + 10, 5_000, 'fragments after the refusals');
    const got = r.fragments();
    expectContiguous(h.emulator.fragments(STREAM), got);
    expect(new Set(got).size).toBe(got.length);
    expect(r.gaps()).toEqual([]);
    // Two calls refused (401), then the resume: 1 stalled session + 2 refusals + 1 running session.
    expect(h.emulator.getMediaCalls(STREAM)).toHaveLength(4);
    expect(sessionsOf(h.emulator)).toHaveLength(1);
    expect(h.opened.slice(1).map((start) => start.type)).toEqual(['CONTINUATION_TOKEN', 'CONTINUATION_TOKEN', 'CONTINUATION_TOKEN']);
    // The first refusal came with the first session's credentials; each call after a refusal resolved them again
    // (the SDK alone would have kept the cached ones), and so did the data endpoint.
    expect(resolved).toBe(3);
    expect(h.signedWith).toEqual(['AKIDK11SESSION1', 'AKIDK11SESSION1', 'AKIDK11SESSION2', 'AKIDK11SESSION3']);
    expect(h.emulator.count('GetDataEndpoint')).toBe(endpointCalls + 2);
    expect(r.statuses()).toContainEqual({ status: 'RECONNECTING', detail: 'UPSTREAM_TIMEOUT' });
    await r.stop();
  });

  it('emits a RETENTION gap from a fragment number newer than any, then every retained fragment, as GetMedia answers 4000 (K7)', async () => {
    const h = await startHarness({ history: 10, producer: true });
    const primer = h.subscribe(NOW);
    await primer.until((x) => x.fragments().length >= 3, 5_000, 'the live window');
    const newest = h.emulator.fragments(STREAM).at(-1)?.fragmentNumber ?? '0';
    // Beyond everything the stream has: the window cannot know it, so the service decides.
    const beyond = (BigInt(newest) + 10n ** 30n).toString();
    const r = h.subscribe({ type: 'FRAGMENT_NUMBER', fragmentNumber: beyond });
    await r.until((x) => x.fragments().length >= 15, 5_000, 'the retained fragments after the gap');

    const all = h.emulator.fragments(STREAM);
    expect(r.received[0]?.event.kind === 'status' ? r.received[1]?.event.kind : r.received[0]?.event.kind).toBe('gap');
    expect(r.gaps()).toEqual([
      { kind: 'gap', stream: STREAM, reason: 'RETENTION', afterFragmentNumber: beyond, beforeFragmentNumber: all[0]?.fragmentNumber, missedFragments: null },
    ]);
    expectContiguous(all, r.fragments(), all[0]?.fragmentNumber);
    expect(sessionsOf(h.emulator).some((s) => s.selector === 'FRAGMENT_NUMBER' && s.errorIds.includes(4000))).toBe(true);
    await Promise.all([primer.stop(), r.stop()]);
  });

  it('sends a slow subscriber a SLOW_CONSUMER gap while a fast one on the same stream gets every fragment promptly (R1, policy gap)', async () => {
    const h = await startHarness({ producer: true, hub: { subscriberBuffer: 8 } });
    const fast = h.subscribe(NOW);
    await fast.until((x) => x.fragments().length >= 2, 5_000, 'the live reader');
    const controller = new AbortController();
    const slow = h.hub.subscribe(STREAM, NOW, { signal: controller.signal });
    cleanups.push(() => Promise.resolve(controller.abort()));
    const startCount = fast.fragments().length;
    await fast.until((x) => x.fragments().length >= startCount + 40, 5_000, '40 fragments on the fast subscriber');

    // The fast subscriber: every fragment, none held back by the slow one. A fan-out that waited for the slow
    // subscriber would stall the fast one for good once the slow buffer filled (seconds, not this bound); the bound
    // leaves room for a busy machine (250 ms failed once at a load average of 8).
    expectContiguous(h.emulator.fragments(STREAM), fast.fragments());
    const lags = fast.fragmentTimes().slice(startCount).map((t) => t.at - (t.serverTimestamp ?? 0));
    lags.sort((x, y) => x - y);
    const p99 = lags[Math.floor(lags.length * 0.99)] ?? Infinity;
    expect(p99).toBeLessThan(1_000);

    // The slow subscriber finally reads: what fitted in its buffer, then one gap, then live fragments again.
    const events: LiveEvent[] = [];
    for (;;) {
      const next = await within(slow.next(), 2_000, 'a slow subscriber event');
      if (next.done === true) throw new Error('the slow subscription ended');
      events.push(next.value);
      if (next.value.kind === 'gap') break;
    }
    const buffered = events.flatMap((e) => (e.kind === 'fragment' ? [e.fragment.fragmentNumber ?? ''] : []));
    expect(events.length).toBeLessThanOrEqual(9);
    const gap = events.at(-1);
    const afterGap = await within(slow.next(), 2_000, 'the fragment after the gap');
    const resumedAt = afterGap.done === true || afterGap.value.kind !== 'fragment' ? '' : (afterGap.value.fragment.fragmentNumber ?? '');
    const all = h.emulator.fragments(STREAM);
    expectContiguous(all, buffered);
    const missed = fragmentIndex(h.emulator, resumedAt) - fragmentIndex(h.emulator, buffered.at(-1) ?? '') - 1;
    expect(gap).toMatchObject({ kind: 'gap', reason: 'SLOW_CONSUMER', afterFragmentNumber: buffered.at(-1), beforeFragmentNumber: resumedAt, missedFragments: missed });
    expect(missed).toBeGreaterThan(20);
    console.info(`R1 gap: fast p99 lag ${p99} ms over ${lags.length} fragments; slow buffered ${buffered.length}, missed ${missed}`);
    await slow.return?.();
    await fast.stop();
  });

  it('ends a slow subscriber with RATE_LIMITED while a fast one keeps every fragment (R1, policy close)', async () => {
    const h = await startHarness({ producer: true, hub: { subscriberBuffer: 8, overflow: 'close' } });
    const fast = h.subscribe(NOW);
    await fast.until((x) => x.fragments().length >= 2, 5_000, 'the live reader');
    const controller = new AbortController();
    cleanups.push(() => Promise.resolve(controller.abort()));
    const slow = h.hub.subscribe(STREAM, NOW, { signal: controller.signal });
    const startCount = fast.fragments().length;
    await fast.until((x) => x.fragments().length >= startCount + 30, 5_000, '30 fragments on the fast subscriber');
    await expect(slow.next()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(await slow.next()).toEqual({ value: undefined, done: true });
    expect(h.hub.stats(STREAM).subscribers).toBe(1);
    expectContiguous(h.emulator.fragments(STREAM), fast.fragments());
    const lags = fast.fragmentTimes().slice(startCount).map((t) => t.at - (t.serverTimestamp ?? 0));
    expect(Math.max(...lags)).toBeLessThan(250);
    await fast.stop();
  });

  it('stops the live reader and every upstream session after the linger when the last subscriber leaves (release)', async () => {
    const h = await startHarness({ producer: true, history: 20 });
    const a = h.subscribe(NOW);
    const b = h.subscribe({ type: 'EARLIEST' });
    await Promise.all([a.until((x) => x.fragments().length >= 5, 5_000, 'live fragments'), b.until((x) => x.fragments().length >= 30, 5_000, 'caught-up fragments')]);
    expect(h.hub.stats(STREAM)).toMatchObject({ subscribers: 2, liveReaderRunning: true });
    await a.stop();
    await b.stop();
    const leftAt = Date.now();
    // Still running during the linger, so a quick re-subscribe reuses it.
    expect(h.hub.stats(STREAM)).toMatchObject({ subscribers: 0, liveReaderRunning: true });
    const closed = await within(h.emulator.waitForGetMediaEnd((s) => s.reason === 'client-closed' && s.endedAt >= leftAt), 2_000, 'the live session to close');
    await within(h.emulator.waitForActiveGetMedia(STREAM, 0), 2_000, '0 active GetMedia');
    expect(closed.endedAt - leftAt).toBeGreaterThanOrEqual(FAST_HUB.lingerMs - 5);
    expect(h.hub.stats(STREAM)).toEqual({ subscribers: 0, upstreamSessions: 0, liveReaderRunning: false, windowSize: 0 });
    expect(h.emulator.activeGetMedia(STREAM)).toBe(0);
  });
});
