import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { DvrSessionsDataSource } from '../../src/datasources/livestream/dvr-sessions.datasource.js';
import { createLiveStreamClients, type LiveStreamClients } from '../../src/datasources/livestream/livestream.clients.js';
import { LiveStreamDataSource } from '../../src/datasources/livestream/livestream.datasource.js';
import { LiveStreamEmulator, type PageSizePolicy } from '../../src/emulators/livestream/livestream.emulator.js';
import { DEMO_DVR_CHANNEL, DEMO_PARENT, seedLiveStreamDemo } from '../../src/emulators/livestream/livestream.seed.js';
import { runContractBodies } from '../contract/bodies/contract-body.js';
import { LIVESTREAM_BODIES, LIVESTREAM_NEEDS_ASSET_URI, type LiveStreamContractTarget } from '../contract/bodies/livestream.bodies.js';
import { Cleanup } from '../contract/contract-env.js';

/*
 * The Live Stream contract bodies (test/contract/bodies) against the emulator, as `npm run test:contract` runs them
 * against a real project. The reference lets the service pick how many items a page holds ("Server may return fewer
 * items than requested"), so they run three times: pages as asked, pages of one item, pages longer than asked.
 */

const PAGE_SIZES: readonly (readonly [string, PageSizePolicy | undefined])[] = [
  ['as asked', undefined],
  ['of one item whatever is asked', () => 1],
  ['longer than asked', (requested) => requested * 2 + 1],
];

describe.each(PAGE_SIZES)('Live Stream contract bodies against the emulator answering pages %s', (_label, pageSizes) => {
  let emulator: LiveStreamEmulator | undefined;
  let clients: LiveStreamClients | undefined;
  let target: LiveStreamContractTarget | undefined;
  const cleanup = new Cleanup();

  beforeAll(async () => {
    emulator = await LiveStreamEmulator.start({ operationDurationMs: 20, ...(pageSizes === undefined ? {} : { pageSizes }) });
    seedLiveStreamDemo(emulator);
    for (let i = 0; i < 9; i += 1) {
      emulator.putAssetDirect({ name: `${DEMO_PARENT}/assets/clip-${i}`, resource: { kind: 'video', uri: `gs://media-graph-demo/clips/${i}.mp4` } });
    }
    for (let i = 0; i < 4; i += 1) {
      const start = Date.UTC(2025, 0, 1, i);
      emulator.putDvrSessionDirect({ name: `${DEMO_DVR_CHANNEL}/dvrSessions/extra-${i}`, manifestKey: 'manifest_hls', windows: [{ startTime: start, endTime: start + 60_000 }] });
    }
    clients = createLiveStreamClients({ mode: 'emulator', host: emulator.host, grpcPort: emulator.grpcPort, restEndpoint: emulator.restEndpoint });
    const options = { timeoutMs: 5_000, poll: { initialDelayMs: 10, maxDelayMs: 40, multiplier: 2 } };
    target = {
      live: new LiveStreamDataSource(clients.grpc, options),
      dvr: new DvrSessionsDataSource(clients.rest, options),
      parent: DEMO_PARENT,
      runId: 'mgc-emulator',
      assetUri: 'gs://media-graph-demo/contract/clip.mp4',
      operationTimeoutMs: 5_000,
      cleanup,
    };
  });

  afterEach(() => cleanup.run());

  afterAll(async () => {
    await clients?.close();
    await emulator?.close();
  });

  runContractBodies(LIVESTREAM_BODIES, {
    writes: true,
    provides: new Set([LIVESTREAM_NEEDS_ASSET_URI]),
    target: () => {
      if (target === undefined) throw new Error('no target');
      return target;
    },
  });
});
