import { afterAll, beforeAll, describe } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DvrSessionsDataSource } from '../../src/datasources/livestream/dvr-sessions.datasource.js';
import { createLiveStreamClients, type LiveStreamClients } from '../../src/datasources/livestream/livestream.clients.js';
import { LiveStreamDataSource } from '../../src/datasources/livestream/livestream.datasource.js';
import { runContractBodies } from './bodies/contract-body.js';
import { LIVESTREAM_BODIES, LIVESTREAM_NEEDS_ASSET_URI, type LiveStreamContractTarget } from './bodies/livestream.bodies.js';
import { CONTRACT_ALLOW_WRITES, CONTRACT_RUN_ID, CONTRACT_TIMEOUT_MS, Cleanup, env, skipUnless } from './contract-env.js';

/*
 * The Live Stream contract bodies against a real project: LIVESTREAM_PROJECT, LIVESTREAM_LOCATION (and
 * LIVESTREAM_KEY_FILE, LIVESTREAM_API_ENDPOINT, LIVESTREAM_REST_ENDPOINT) as for the gateway; Google application
 * default credentials otherwise. With CONTRACT_ALLOW_WRITES=1 and CONTRACT_LIVESTREAM_ASSET_URI (a gs:// video the
 * project can read) a body creates the asset `<run id>-asset` and deletes it, also when it fails.
 */

const skip = skipUnless('livestream', ['LIVESTREAM_PROJECT'], 'a Google Cloud project with the Live Stream API, plus Google credentials');
const assetUri = env('CONTRACT_LIVESTREAM_ASSET_URI');

describe.skipIf(skip)('Live Stream contract (real project)', () => {
  const cleanup = new Cleanup();
  let clients: LiveStreamClients | undefined;
  let target: LiveStreamContractTarget | undefined;

  beforeAll(() => {
    const config = loadConfig();
    const project = config.livestream.project ?? '';
    clients = createLiveStreamClients({
      mode: 'google',
      apiEndpoint: config.livestream.apiEndpoint,
      restEndpoint: config.livestream.restEndpoint,
      keyFilename: config.livestream.keyFile,
      projectId: project,
    });
    const options = { timeoutMs: config.upstream.timeoutMs };
    target = {
      live: new LiveStreamDataSource(clients.grpc, options),
      dvr: new DvrSessionsDataSource(clients.rest, options),
      parent: `projects/${project}/locations/${config.livestream.location}`,
      runId: CONTRACT_RUN_ID,
      assetUri,
      operationTimeoutMs: CONTRACT_TIMEOUT_MS,
      cleanup,
    };
  });

  afterAll(async () => {
    try {
      await cleanup.run();
    } finally {
      await clients?.close();
    }
  });

  runContractBodies(LIVESTREAM_BODIES, {
    writes: CONTRACT_ALLOW_WRITES,
    provides: new Set(assetUri === undefined ? [] : [LIVESTREAM_NEEDS_ASSET_URI]),
    timeoutMs: CONTRACT_TIMEOUT_MS * 3,
    target: () => {
      if (target === undefined) throw new Error('no target');
      return target;
    },
  });
});
