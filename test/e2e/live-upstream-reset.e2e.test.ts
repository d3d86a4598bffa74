import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { compareFragmentNumbers } from '../../src/mkv/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { LiveSubscription, type StreamEvent } from '../helpers/live-subscription.js';

/*
 * The Kinesis endpoint restarts under a live subscription (issue 18, item 3): the emulator is closed and started
 * again on the same port with the same stream, whose fragment numbers start over far below the last one delivered.
 * The old stream ran long enough that its numbers would stay ahead of the new ones for the whole test.
 */

const STREAM = 'e2e-upstream-reset';
const PRODUCER = { fragmentIntervalMs: 50, fps: 10, frameBytes: 256 } as const;
/** Fragments the stream had before the restart: 20 s of the producer's cadence. */
const HISTORY = 400;

type GapEvent = Extract<StreamEvent, { __typename: 'GapEvent' }>;

describe('a live subscription across a restart of the Kinesis endpoint', () => {
  let kinesis: KinesisVideoEmulator;
  let t: TestGateway;
  let subscription: LiveSubscription | undefined;

  beforeAll(async () => {
    kinesis = await KinesisVideoEmulator.start({ idleEndMs: 200 });
    kinesis.createStream(STREAM, { retentionHours: 24, mediaType: 'video/h264' });
    for (let i = 0; i < HISTORY; i += 1) kinesis.addFragment(STREAM, { durationMs: PRODUCER.fragmentIntervalMs, fps: PRODUCER.fps, frameBytes: PRODUCER.frameBytes });
    kinesis.startProducer(STREAM, PRODUCER);
    t = await startTestGateway({ KINESIS_ENDPOINT: kinesis.endpoint, LIVE_IDLE_TIMEOUT_MS: '1000' });
  });

  afterAll(async () => {
    await subscription?.close();
    await t.close();
    await kinesis.close();
  });

  it('sends an UPSTREAM_RESET gap and then the restarted stream\'s fragments within seconds when the endpoint comes back with lower fragment numbers', async () => {
    subscription = await LiveSubscription.open(t.graphqlUrl.replace(/^http/, 'ws'), STREAM);
    const live = subscription;
    await live.until(() => live.fragments.length >= 3, 10_000, 'fragments before the restart');
    const port = Number(new URL(kinesis.endpoint).port);
    await kinesis.close();
    kinesis = await KinesisVideoEmulator.start({ port, idleEndMs: 200 });
    // In the same turn as the start: the reader never finds the endpoint without its stream.
    kinesis.createStream(STREAM, { retentionHours: 24, mediaType: 'video/h264' });
    kinesis.startProducer(STREAM, PRODUCER);
    const restarted = (): string[] => kinesis.fragments(STREAM).map((fragment) => fragment.fragmentNumber);

    const gapIndex = (): number => live.events.findIndex((event) => event.__typename === 'GapEvent');
    await live.until(
      () => gapIndex() !== -1 && live.events.slice(gapIndex()).filter((event) => event.__typename === 'FragmentEvent').length >= 3,
      8_000,
      'a gap and then three fragments of the restarted stream',
    );
    const gaps = live.events.filter((event): event is GapEvent => event.__typename === 'GapEvent');
    const before = live.events.slice(0, gapIndex()).flatMap((event) => (event.__typename === 'FragmentEvent' ? [event.fragment.fragmentNumber] : []));
    const after = live.events.slice(gapIndex()).flatMap((event) => (event.__typename === 'FragmentEvent' ? [event.fragment.fragmentNumber] : []));
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ reason: 'UPSTREAM_RESET', afterFragmentNumber: before.at(-1), beforeFragmentNumber: after[0] });
    // The new fragments are the restarted stream's, in its order, numbered below those before the restart.
    const produced = restarted();
    const first = produced.indexOf(after[0] ?? '');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(after).toEqual(produced.slice(first, first + after.length));
    expect(compareFragmentNumbers(after[0] ?? '', before.at(-1) ?? '')).toBeLessThan(0);
    expect(live.errors).toBeUndefined();
  });
});
