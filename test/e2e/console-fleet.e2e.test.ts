import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { JWT_AUTH_ENV, mintToken } from '../helpers/auth.js';
import { deletePrefix, uniquePrefix } from '../helpers/fleet.js';
import { postGraphql, TEST_SIGNING_SECRET } from '../helpers/gateway.js';
import { LiveSubscription } from '../helpers/live-subscription.js';
import { redisAvailable, TEST_REDIS_URL } from '../helpers/redis.js';
import { consoleBuildDirectory, removeConsoleBuild } from '../helpers/console-build.js';

/*
 * The console's Fleet view in Chromium against demo-seeded gateways: one with the in-process hub (fleet mode off: this
 * instance and its local streams), one with LIVE_HUB=redis on the shared Redis under a key prefix of the test's own
 * (this instance and the demo stream's lease holder once a subscriber starts); axe and a screenshot of each. And the
 * Streams view's subscriber and upstream-session columns, shown only to a credential with ops:read.
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const chromiumMissing = !existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (chromiumMissing && !inCi) {
  console.warn(`SKIPPING the console Fleet view tests: ${CHROMIUM} is not installed. Run .ci/install-chromium.sh to enable them.`);
}
const redisUp = chromiumMissing && !inCi ? false : await redisAvailable();

/** Where the screenshots of the views land (gitignored), beside those of console.e2e.test.ts. */
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'console');
const SETUP_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 30_000;
/** The view reads liveHub every 3 s; a change shows within two reads. */
const VIEW_UPDATE_MS = 8_000;
const STREAM = 'demo-stream';
const silent = (): Writable => new Writable({ write: (_chunk, _encoding, callback) => callback() });

function gatewayConfig(extra: Record<string, string> = {}): ReturnType<typeof loadConfig> {
  return loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', SIGNING_SECRET: TEST_SIGNING_SECRET, SHUTDOWN_GRACE_MS: '1000', EMULATOR_DEMO_FRAGMENT_MS: '250', ...extra });
}

/** A page that records every browser console error and uncaught exception in `errors`. */
async function openPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

async function expectNoSevereAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const severe = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  expect(severe.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
}

/** The answering instance's id, from the API the view reads. */
async function instanceOf(gateway: Gateway): Promise<string> {
  const answer = await postGraphql<{ liveHub: { instance: string } }>(`${gateway.url}/graphql`, { query: '{ liveHub { instance } }' });
  const instance = answer.data?.liveHub.instance;
  if (instance === undefined) throw new Error(`liveHub failed: ${JSON.stringify(answer.errors)}`);
  return instance;
}

/** A subscriber of {@link STREAM} over graphql-ws, once its first fragment arrived. */
async function subscriberOf(gateway: Gateway): Promise<LiveSubscription> {
  const subscription = await LiveSubscription.open(`${gateway.url.replace(/^http/, 'ws')}/graphql`, STREAM);
  await subscription.until(() => subscription.fragments.length > 0, 10_000, 'a first fragment');
  return subscription;
}

describe.skipIf(chromiumMissing && !inCi)('console Fleet view in Chromium', () => {
  let browser: Browser | undefined;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    if (chromiumMissing) throw new Error(`${CHROMIUM} is missing and CI=true forbids skipping; run .ci/install-chromium.sh first`);
    await consoleBuildDirectory();
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, SETUP_TIMEOUT_MS);

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A demo-seeded gateway with `env`, closed after the test. */
  async function gatewayWith(env: Record<string, string> = {}): Promise<Gateway> {
    const gateway = await startGateway(gatewayConfig(env), { consoleDirectory: await consoleBuildDirectory(), seedDemo: true, logger: createLogger('warn', silent()) });
    closers.push(() => gateway.close());
    return gateway;
  }

  async function pageAt(url: string, errors: string[]): Promise<Page> {
    if (browser === undefined) throw new Error('no browser');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    closers.push(() => context.close());
    const page = await openPage(context, errors);
    await page.goto(url);
    return page;
  }

  it('says fleet mode is off and shows this instance and its local stream once a subscriber starts, when LIVE_HUB=local', async () => {
    const gateway = await gatewayWith();
    const errors: string[] = [];
    const page = await pageAt(`${gateway.url}/console/#fleet`, errors);
    await page.getByRole('heading', { name: 'Fleet', level: 2 }).waitFor({ timeout: 5_000 });
    await page.getByTestId('fleet-mode').filter({ hasText: 'Fleet mode is off' }).waitFor({ timeout: 5_000 });
    expect(await page.getByTestId('this-instance').textContent()).toBe(await instanceOf(gateway));

    const subscriber = await subscriberOf(gateway);
    closers.push(() => subscriber.close());
    const row = page.getByRole('row').filter({ hasText: STREAM });
    await row.waitFor({ timeout: VIEW_UPDATE_MS });
    expect(await row.getByRole('cell').allTextContents()).toEqual([STREAM, 'CONNECTED', '1', '1', 'running']);
    await expectNoSevereAxeViolations(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'fleet-local.png') });
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it.skipIf(!redisUp)('shows this instance among the fleet and as the demo stream\'s lease holder once a subscriber starts, when LIVE_HUB=redis', async () => {
    const prefix = uniquePrefix('console-fleet');
    closers.push(() => deletePrefix(TEST_REDIS_URL, prefix));
    const gateway = await gatewayWith({ LIVE_HUB: 'redis', REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, LIVE_LEASE_TTL_MS: '3000' });
    const errors: string[] = [];
    const page = await pageAt(`${gateway.url}/console/#fleet`, errors);
    await page.getByTestId('fleet-mode').filter({ hasText: 'Fleet mode is on' }).waitFor({ timeout: 5_000 });
    const instance = await instanceOf(gateway);
    expect(await page.getByTestId('this-instance').textContent()).toBe(instance);

    const subscriber = await subscriberOf(gateway);
    closers.push(() => subscriber.close());
    await page.getByTestId(`holder-${STREAM}`).filter({ hasText: instance }).waitFor({ timeout: VIEW_UPDATE_MS });
    expect(await page.getByTestId(`holder-${STREAM}`).textContent()).toBe(`${instance} (this instance)`);
    await page.getByTestId('fleet-instances').getByRole('row').filter({ hasText: instance }).waitFor({ timeout: VIEW_UPDATE_MS });
    await expectNoSevereAxeViolations(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'fleet.png') });
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows subscribers and upstream sessions in the Streams view only to a credential with ops:read', async () => {
    const gateway = await gatewayWith({ ...JWT_AUTH_ENV });
    const errors: string[] = [];
    const page = await pageAt(`${gateway.url}/console/#streams`, errors);
    await page.getByLabel('Token or key').fill(await mintToken({ scope: 'streams:read streams:subscribe' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: STREAM, exact: true }).click();
    await expect.poll(() => page.getByTestId(`feed-${STREAM}`).textContent(), { timeout: 5_000 }).toBe('CONNECTED');
    expect(await page.getByRole('columnheader', { name: 'Subscribers here' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token or key').fill(await mintToken({ scope: 'streams:read streams:subscribe ops:read' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('columnheader', { name: 'Upstream sessions here' }).waitFor({ timeout: VIEW_UPDATE_MS });
    await page.getByRole('button', { name: STREAM, exact: true }).click();
    // The page's own subscription: one subscriber, one GetMedia session on this instance.
    await expect.poll(() => page.getByTestId(`subscribers-${STREAM}`).textContent(), { timeout: VIEW_UPDATE_MS }).toBe('1');
    expect(await page.getByTestId(`sessions-${STREAM}`).textContent()).toBe('1');
    await page.screenshot({ path: join(SCREENSHOTS, 'streams-operator.png') });
    // The browser itself logs each 401 (the sign-in probe) and 403 (liveHub refused) it receives; the page logs nothing.
    expect(errors.filter((text) => !/^Failed to load resource: the server responded with a status of 40[13]/.test(text))).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

afterAll(removeConsoleBuild);
