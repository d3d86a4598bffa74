import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/server/gateway.js';
import { JWT_AUTH_ENV, mintToken } from '../helpers/auth.js';
import { besidesRefusedResponses, expectNoSevereAxeViolations, launchChromium, openDesktopPage, skipWithoutChromium } from '../helpers/browser.js';
import { CONSOLE_SCREENSHOTS, consoleBuildDirectory, makeScreenshotDirectory, removeConsoleBuild, startConsoleGateway } from '../helpers/console-build.js';
import { deletePrefix, uniquePrefix } from '../helpers/fleet.js';
import { postGraphql } from '../helpers/gateway.js';
import { LiveSubscription } from '../helpers/live-subscription.js';
import { redisAvailable, TEST_REDIS_URL } from '../helpers/redis.js';

/*
 * The console's Fleet view in Chromium against demo-seeded gateways: one with the in-process hub (fleet mode off: this
 * instance and its local streams), one with LIVE_HUB=redis on the shared Redis under a key prefix of the test's own
 * (this instance and the demo stream's lease holder once a subscriber starts); axe and a screenshot of each. And the
 * Streams view's subscriber and upstream-session columns, shown only to a credential with ops:read.
 */

const skipBrowser = skipWithoutChromium('the console Fleet view tests');
const redisUp = skipBrowser ? false : await redisAvailable();

const SETUP_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 30_000;
/** The view reads liveHub every 3 s; a change shows within two reads. */
const VIEW_UPDATE_MS = 8_000;
const STREAM = 'demo-stream';

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

describe.skipIf(skipBrowser)('console Fleet view in Chromium', () => {
  let browser: Browser | undefined;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    await consoleBuildDirectory();
    await makeScreenshotDirectory();
    browser = await launchChromium();
  }, SETUP_TIMEOUT_MS);

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A demo-seeded gateway with `env`, closed after the test. */
  async function gatewayWith(env: Record<string, string> = {}): Promise<Gateway> {
    const gateway = await startConsoleGateway({ EMULATOR_DEMO_FRAGMENT_MS: '250', ...env });
    closers.push(() => gateway.close());
    return gateway;
  }

  async function pageAt(url: string, errors: string[]): Promise<Page> {
    if (browser === undefined) throw new Error('no browser');
    const page = await openDesktopPage(browser, errors);
    closers.push(() => page.context().close());
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
    await page.screenshot({ path: join(CONSOLE_SCREENSHOTS, 'fleet-local.png') });
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
    await page.screenshot({ path: join(CONSOLE_SCREENSHOTS, 'fleet.png') });
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
    await page.screenshot({ path: join(CONSOLE_SCREENSHOTS, 'streams-operator.png') });
    // The browser itself logs each 401 (the sign-in probe) and 403 (liveHub refused) it receives; the page logs nothing.
    expect(besidesRefusedResponses(errors)).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

afterAll(removeConsoleBuild);
