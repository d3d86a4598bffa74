import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { compareFragmentNumbers } from '../../src/mkv/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { LiveSubscription, type StreamEvent } from '../helpers/live-subscription.js';

/*
 * RELIABILITY.md R1 over real sockets: a graphql-ws client that stops reading its socket, next to one that keeps
 * reading, on the same stream and the same shared execution. The kernel's socket buffers would take megabytes from
 * the stalled one before anything queued in the gateway; the overflow policy must apply within
 * LIVE_SUBSCRIBER_BUFFER events all the same.
 */

const STREAM = 'e2e-slow-consumer';
const BUFFER = 8;
const PRODUCER = { fragmentIntervalMs: 40, fps: 10, frameBytes: 256 } as const;

/** The gap events of `events`. */
function gapsOf(events: readonly StreamEvent[]): Extract<StreamEvent, { __typename: 'GapEvent' }>[] {
  return events.filter((event): event is Extract<StreamEvent, { __typename: 'GapEvent' }> => event.__typename === 'GapEvent');
}

/** Fragment numbers strictly increasing, each one the next the emulator produced (nothing skipped). */
function expectContiguous(kinesis: KinesisVideoEmulator, fragments: readonly string[]): void {
  const produced = kinesis.fragments(STREAM).map((fragment) => fragment.fragmentNumber);
  const first = produced.indexOf(fragments[0] ?? '');
  expect(first).toBeGreaterThanOrEqual(0);
  expect(fragments).toEqual(produced.slice(first, first + fragments.length));
}

describe('slow consumers over graphql-ws', () => {
  let kinesis: KinesisVideoEmulator;
  let stopProducer: () => void = () => undefined;
  let gateway: TestGateway | undefined;
  const subscriptions: LiveSubscription[] = [];

  beforeAll(async () => {
    kinesis = await KinesisVideoEmulator.start({ idleEndMs: 200 });
    kinesis.createStream(STREAM, { retentionHours: 24, mediaType: 'video/h264' });
    stopProducer = kinesis.startProducer(STREAM, PRODUCER);
  });

  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) await subscription.close();
    await gateway?.close();
    gateway = undefined;
  });

  afterAll(async () => {
    stopProducer();
    await kinesis.close();
  });

  /** A gateway with a small subscriber buffer and a keep-alive far longer than the test, so only the policy acts. */
  async function start(overflow: 'gap' | 'close'): Promise<string> {
    gateway = await startTestGateway({
      KINESIS_ENDPOINT: kinesis.endpoint,
      LIVE_SUBSCRIBER_BUFFER: String(BUFFER),
      LIVE_OVERFLOW: overflow,
      LIVE_IDLE_TIMEOUT_MS: '1000',
      WS_KEEPALIVE_MS: '60000',
    });
    return gateway.graphqlUrl.replace(/^http/, 'ws');
  }

  /** Opens the fast and the stalled subscriber, waits until both read fragments, then stalls one. */
  async function stallOne(url: string): Promise<{ fast: LiveSubscription; stalled: LiveSubscription; readBeforeStall: number; fastAtStall: number }> {
    const fast = await LiveSubscription.open(url, STREAM);
    subscriptions.push(fast);
    const stalled = await LiveSubscription.open(url, STREAM);
    subscriptions.push(stalled);
    await stalled.until(() => stalled.fragments.length >= 2 && fast.fragments.length >= 2, 10_000, 'both subscribers to read fragments');
    stalled.pause();
    return { fast, stalled, readBeforeStall: stalled.fragments.length, fastAtStall: fast.fragments.length };
  }

  it('sends a client that stops reading a SLOW_CONSUMER gap within LIVE_SUBSCRIBER_BUFFER events while a fast one on the same stream gets everything (R1, policy gap)', async () => {
    const url = await start('gap');
    const { fast, stalled, readBeforeStall, fastAtStall } = await stallOne(url);
    // Three buffers' worth of fragments pass while the stalled client reads nothing.
    await fast.until(() => fast.fragments.length >= fastAtStall + 3 * BUFFER, 10_000, 'the fast subscriber to read three buffers of fragments');
    stalled.resume();
    await stalled.until(
      () => {
        const gap = stalled.events.findIndex((event) => event.__typename === 'GapEvent');
        return gap !== -1 && stalled.events.slice(gap).filter((event) => event.__typename === 'FragmentEvent').length >= 2;
      },
      10_000,
      'a gap and then fragments for the stalled subscriber',
    );
    const gapAt = stalled.events.findIndex((event) => event.__typename === 'GapEvent');
    const beforeGap = stalled.events.slice(0, gapAt).filter((event) => event.__typename === 'FragmentEvent').length;
    // What the stalled client had not read when it stopped is at most its buffer.
    expect(beforeGap - readBeforeStall).toBeLessThanOrEqual(BUFFER);
    const [gap] = gapsOf(stalled.events);
    expect(gap).toMatchObject({ reason: 'SLOW_CONSUMER', afterFragmentNumber: stalled.fragments[beforeGap - 1], beforeFragmentNumber: stalled.fragments[beforeGap] });
    expect(gap?.missedFragments ?? 0).toBeGreaterThanOrEqual(BUFFER);
    expect(compareFragmentNumbers(stalled.fragments[beforeGap] ?? '0', stalled.fragments[beforeGap - 1] ?? '0')).toBeGreaterThan(0);
    // The fast subscriber missed nothing, in order, and got no gap.
    expect(gapsOf(fast.events)).toEqual([]);
    expectContiguous(kinesis, fast.fragments);
    expect(stalled.errors).toBeUndefined();
  });

  it('ends the subscription of a client that stops reading with RATE_LIMITED saying why, within LIVE_SUBSCRIBER_BUFFER events, while a fast one gets everything (R1, policy close)', async () => {
    const url = await start('close');
    const { fast, stalled, readBeforeStall, fastAtStall } = await stallOne(url);
    await fast.until(() => fast.fragments.length >= fastAtStall + 3 * BUFFER, 10_000, 'the fast subscriber to read three buffers of fragments');
    stalled.resume();
    await stalled.until(() => stalled.errors !== undefined, 10_000, 'the stalled subscription to end with an error');
    expect(stalled.fragments.length - readBeforeStall).toBeLessThanOrEqual(BUFFER);
    expect(gapsOf(stalled.events)).toEqual([]);
    const [error] = stalled.errors ?? [];
    expect(error?.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'SLOW_CONSUMER', buffer: BUFFER });
    expect(error?.message).toMatch(new RegExp(`fell ${BUFFER} events behind`));
    // The socket itself stays open for the client's other operations.
    expect(stalled.closed).toBeUndefined();
    await fast.until(() => fast.fragments.length >= fastAtStall + 4 * BUFFER, 10_000, 'the fast subscriber to go on reading');
    expect(gapsOf(fast.events)).toEqual([]);
    expectContiguous(kinesis, fast.fragments);
  });
});
