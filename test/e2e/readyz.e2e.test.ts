import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { PROVIDERS, type EmbeddedEmulators } from '../../src/server/providers/registry.js';
import { TEST_SIGNING_SECRET } from '../helpers/gateway.js';

/** The providers `/readyz` must cover when each runs on its embedded emulator (issue: MediaStore and Kinesis only). */
const REQUIRED = ['kinesis', 'livestream', 's3', 'oci'];

interface Readiness {
  readonly status: number;
  readonly body: { readonly status: string; readonly checks: Readonly<Record<string, string>> };
}

async function readyz(gateway: Gateway): Promise<Readiness> {
  const response = await fetch(`${gateway.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

/**
 * How to stop each provider's embedded emulator, i.e. make its upstream fail. A provider added to the registry
 * needs an entry here: the first test fails until it has one.
 */
const STOP: Readonly<Record<string, (emulators: EmbeddedEmulators) => Promise<void> | undefined>> = {
  s3: (emulators) => emulators.s3?.close(),
  mediastore: (emulators) => emulators.mediastore?.close(),
  kinesis: (emulators) => emulators.kinesis?.close(),
  livestream: (emulators) => emulators.livestream?.close(),
  oci: (emulators) => emulators.oci?.emulator.close(),
};

describe('/readyz', () => {
  let gateway: Gateway;
  let emulated: string[];

  beforeAll(async () => {
    const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    // Every provider on its embedded emulator, as `npm start` runs them.
    const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', SIGNING_SECRET: TEST_SIGNING_SECRET, UPSTREAM_MAX_ATTEMPTS: '1', SHUTDOWN_GRACE_MS: '1000' });
    gateway = await startGateway(config, { logger: createLogger('warn', silent) });
    emulated = Object.keys(PROVIDERS).filter((name) => (gateway.emulators as unknown as Readonly<Record<string, unknown>>)[name] !== undefined);
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('checks every provider that runs and answers 200 when all of them answer', async () => {
    expect(emulated).toEqual(expect.arrayContaining(REQUIRED));
    expect(Object.keys(STOP)).toEqual(expect.arrayContaining(emulated));
    const { status, body } = await readyz(gateway);
    // `breakers` lists the circuit breaker of every provider endpoint used so far (operations.md, Circuit breakers).
    expect(body).toEqual({ status: 'ready', checks: Object.fromEntries(emulated.map((name) => [name, 'ok'])), breakers: expect.any(Object) });
    expect(status).toBe(200);
  });

  it('answers 503 naming exactly the providers whose upstream stopped when they stop one after another', async () => {
    const stopped: string[] = [];
    // Stopping one more each round shows each provider's own check turning it 503, the first round with one alone.
    for (const name of emulated) {
      await STOP[name]?.(gateway.emulators);
      stopped.push(name);
      const { status, body } = await readyz(gateway);
      expect({ status, body }, `after stopping ${stopped.join(', ')}`).toEqual({
        status: 503,
        body: {
          status: 'not-ready',
          checks: Object.fromEntries(emulated.map((other) => [other, stopped.includes(other) ? 'unreachable' : 'ok'])),
          breakers: expect.any(Object),
        },
      });
    }
  });
});
