import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/server/gateway.js';
import { expectNoSevereAxeViolations, horizontalOverflow, launchChromium, openDesktopPage, skipWithoutChromium } from '../helpers/browser.js';
import { CONSOLE_SCREENSHOTS, consoleBuildDirectory, makeScreenshotDirectory, removeConsoleBuild, startConsoleGateway } from '../helpers/console-build.js';
import { postGraphql, testGatewayConfig, type GraphqlResponse } from '../helpers/gateway.js';

const skipBrowser = skipWithoutChromium('the console browser tests');

const BROWSER_TEST_TIMEOUT_MS = 60_000;
const MIB = 1024 * 1024;

describe('console route', () => {
  beforeAll(async () => {
    await consoleBuildDirectory();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('serves the page with a strict Content-Security-Policy and its assets when CONSOLE is on', async () => {
    const started = await startConsoleGateway({ CONSOLE: 'on' }, { seedDemo: false });
    try {
      const redirect = await fetch(`${started.url}/console`, { redirect: 'manual' });
      expect(redirect.status).toBe(301);
      expect(redirect.headers.get('location')).toBe('/console/');
      const page = await fetch(`${started.url}/console/`);
      expect(page.status).toBe(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain('unsafe');
      const html = await page.text();
      expect(html).not.toMatch(/<script>|<style>|\son\w+=/);
      const script = await fetch(`${started.url}/console/assets/app.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const etag = script.headers.get('etag') ?? '';
      expect((await fetch(`${started.url}/console/assets/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
      expect((await fetch(`${started.url}/console/assets/..%2Fpackage.json`)).status).toBe(404);
    } finally {
      await started.close();
    }
  });

  it('answers 404 at /console when CONSOLE is off, and production serves it only when enabled', async () => {
    const gateway = await startConsoleGateway({ CONSOLE: 'off' }, { seedDemo: false });
    try {
      expect((await fetch(`${gateway.url}/console/`)).status).toBe(404);
    } finally {
      await gateway.close();
    }
    expect(testGatewayConfig({ NODE_ENV: 'production' }).console).toBe(false);
    expect(testGatewayConfig({ NODE_ENV: 'production', CONSOLE: 'on' }).console).toBe(true);
    expect(testGatewayConfig({ NODE_ENV: 'development' }).console).toBe(true);
  });
});

describe.skipIf(skipBrowser)('console in Chromium against a demo-seeded gateway', () => {
  let gateway: Gateway;
  let browser: Browser | undefined;
  let page: Page;
  const errors: string[] = [];
  const hosts = new Set<string>();
  let files: string | undefined;

  beforeAll(async () => {
    await makeScreenshotDirectory();
    gateway = await startConsoleGateway({ EMULATOR_DEMO_FRAGMENT_MS: '250' });
    browser = await launchChromium();
    page = await openDesktopPage(browser, errors, { acceptDownloads: true });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:' && url.protocol !== 'blob:') hosts.add(url.hostname);
    });
    await page.goto(`${gateway.url}/console/`);
  }, BROWSER_TEST_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await gateway.close();
    if (files !== undefined) await rm(files, { recursive: true, force: true });
  });

  /** Large files go to the browser by path: as an in-memory buffer Playwright pushes them through the protocol slowly. */
  async function fileOf(name: string, body: Buffer): Promise<string> {
    files ??= await mkdtemp(join(tmpdir(), 'console-e2e-'));
    const path = join(files, name);
    await writeFile(path, body);
    return path;
  }

  it('loads with no browser console errors and lists the demo streams', async () => {
    await page.getByRole('button', { name: 'demo-stream', exact: true }).waitFor();
    for (const name of ['demo-archive-lobby', 'demo-camera-entrance']) await page.getByRole('button', { name, exact: true }).waitFor();
    expect([...hosts]).toEqual(['127.0.0.1']);
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  it('draws points on the live chart of demo-stream within 5 s of selecting it', async () => {
    await page.getByRole('button', { name: 'demo-stream', exact: true }).click();
    const chart = page.locator('.chart [data-points]');
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    await page.locator('table.fragments tbody tr').first().waitFor();
    await expect.poll(() => page.getByTestId('feed-demo-stream').textContent(), { timeout: 5_000 }).toBe('CONNECTED');
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  /** How many fragments the API's own `Stream.fragments` lists for demo-stream in `[from, to)`, paging to the end. */
  async function archivedCount(from: string, to: string): Promise<number> {
    const query = `query ($from: DateTimeISO!, $to: DateTimeISO!, $after: String) {
      stream(name: "demo-stream") { fragments(first: 100, after: $after, from: $from, to: $to) { edges { cursor } pageInfo { hasNextPage endCursor } } }
    }`;
    type Answer = { stream: { fragments: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } };
    let count = 0;
    let after: string | null = null;
    for (;;) {
      const answer: GraphqlResponse<Answer> = await postGraphql<Answer>(`${gateway.url}/graphql`, { query, variables: { from, to, after } });
      const fragments = answer.data?.stream.fragments;
      if (fragments === undefined) throw new Error(`fragments query failed: ${JSON.stringify(answer.errors)}`);
      count += fragments.edges.length;
      if (!fragments.pageInfo.hasNextPage) return count;
      after = fragments.pageInfo.endCursor;
    }
  }

  /** The range the page loaded, as the ISO times it shows, once it shows a loaded archive. */
  async function loadedRange(): Promise<{ from: string; to: string }> {
    await page.locator('[data-testid="archive-status"][data-state="done"]').waitFor({ timeout: 10_000 });
    const from = await page.getByTestId('archive-from').getAttribute('datetime');
    const to = await page.getByTestId('archive-to').getAttribute('datetime');
    if (from === null || to === null) throw new Error('the archive summary shows no range');
    return { from, to };
  }

  it('draws as many archived fragments on the chart as the API lists when "Last 5 min" is chosen', async () => {
    const chart = page.locator('.chart [data-archived-points]');
    expect(await chart.getAttribute('data-archived-points')).toBe('0');
    await page.getByRole('button', { name: 'Last 5 min' }).click();
    const { from, to } = await loadedRange();
    expect(Date.parse(to) - Date.parse(from)).toBe(5 * 60_000);
    const expected = await archivedCount(from, to);
    // The demo gateway has been making a fragment every 250 ms since it started.
    expect(expected).toBeGreaterThan(0);
    expect(Number(await chart.getAttribute('data-archived-points'))).toBe(expected);
    expect(Number((await page.getByTestId('archive-count').textContent())?.replace(/\D/g, ''))).toBe(expected);
    expect(await page.getByTestId('archive-summary').textContent()).toMatch(/First\d{10,}/);
    expect(await page.getByTestId('archive-capped').count()).toBe(0);
    await expectNoSevereAxeViolations(page);
    await page.screenshot({ path: join(CONSOLE_SCREENSHOTS, 'streams.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  it('loads a range typed into From and To from the keyboard, and refuses one that ends before it starts', async () => {
    const localInput = (date: Date): string => {
      const two = (value: number): string => String(value).padStart(2, '0');
      return `${String(date.getFullYear())}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
    };
    // Whole seconds, since the inputs hold no more; Chromium and this process share the machine's time zone.
    const end = new Date(Math.floor(Date.now() / 1000) * 1000);
    const start = new Date(end.getTime() - 10_000);
    await page.getByLabel('From', { exact: true }).fill(localInput(end));
    await page.getByLabel('To', { exact: true }).fill(localInput(start));
    await page.getByLabel('To', { exact: true }).press('Enter');
    await page.getByRole('alert').getByText('From must be before To.').waitFor({ timeout: 5_000 });
    await page.getByLabel('From', { exact: true }).fill(localInput(start));
    await page.getByLabel('To', { exact: true }).fill(localInput(end));
    await page.getByLabel('To', { exact: true }).press('Enter');
    await expect.poll(() => page.getByTestId('archive-from').getAttribute('datetime').catch(() => null), { timeout: 10_000 }).toBe(start.toISOString());
    const { from, to } = await loadedRange();
    expect([from, to]).toEqual([start.toISOString(), end.toISOString()]);
    const expected = await archivedCount(from, to);
    expect(expected).toBeGreaterThan(0);
    expect(Number(await page.locator('.chart [data-archived-points]').getAttribute('data-archived-points'))).toBe(expected);
    await page.getByRole('button', { name: 'Clear' }).click();
    expect(await page.locator('.chart [data-archived-points]').getAttribute('data-archived-points')).toBe('0');
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  it('pauses the fragment table, resumes from the last fragment number and exports NDJSON', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    const last = await page.getByLabel('Resume from fragment number').inputValue();
    expect(last).toMatch(/^\d+$/);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export NDJSON' }).click();
    const file = await download;
    const text = await (await file.createReadStream()).toArray();
    const lines = Buffer.concat(text as Buffer[]).toString('utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect((JSON.parse(lines.at(-1) ?? '{}') as { fragmentNumber?: string }).fragmentNumber).toBe(last);
    const rowsBefore = await page.locator('table.fragments tbody tr').count();
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('table.fragments tbody tr').count(), { timeout: 5_000 }).toBeGreaterThan(Math.min(rowsBefore, 49));
    const numbers = await page.locator('table.fragments tbody tr td:first-child').allTextContents();
    // Resumed right after the last fragment seen: no fragment appears twice.
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  it('shows a fault injected at the Kinesis emulator as a status change within 5 s', async () => {
    const kinesis = gateway.emulators.kinesis;
    if (kinesis === undefined) throw new Error('the demo gateway has no embedded Kinesis emulator');
    kinesis.injectFault({ kind: 'throttle', stream: 'demo-camera-entrance', operation: 'GetMedia', times: 3 });
    await page.getByRole('button', { name: 'demo-camera-entrance', exact: true }).click();
    await page.getByTestId('feed-events').getByText(/Status THROTTLED/).waitFor({ timeout: 5_000 });
    expect(Number(await page.locator('.chart [data-markers]').getAttribute('data-markers'))).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.getByTestId('feed-demo-camera-entrance').textContent(), { timeout: 5_000 }).not.toBe('connecting');
    kinesis.clearFaults();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('stops at 2,000 archived fragments and says so when the range holds more', async () => {
    const kinesis = gateway.emulators.kinesis;
    if (kinesis === undefined) throw new Error('the demo gateway has no embedded Kinesis emulator');
    // 2,050 short fragments over the last 3 minutes of an idle demo stream: more than the cap, inside "Last 5 min".
    const now = Date.now();
    for (let index = 0; index < 2_050; index += 1) {
      kinesis.addFragment('demo-archive-parking', { serverTimestamp: now - 180_000 + index * 80, durationMs: 80, fps: 25, frameBytes: 16 });
    }
    await page.getByRole('button', { name: 'demo-archive-parking', exact: true }).click();
    await page.getByRole('button', { name: 'Last 5 min' }).click();
    await loadedRange();
    expect(Number(await page.locator('.chart [data-archived-points]').getAttribute('data-archived-points'))).toBe(2_000);
    expect(await page.getByTestId('archive-count').textContent()).toBe((2_000).toLocaleString('en-US'));
    expect(await page.getByTestId('archive-capped').textContent()).toContain('Stopped at 2,000 fragments: the range holds more.');
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  it('uploads a 20 MB file with a progress bar reaching 100%, lists it, and downloads it byte for byte', async () => {
    await page.getByRole('link', { name: 'Objects' }).click();
    await page.getByRole('heading', { name: 'Objects', exact: true }).waitFor();
    const body = randomBytes(20 * MIB);
    await page.getByLabel('choose files').setInputFiles(await fileOf('console-upload.bin', body));
    const item = page.locator('li[data-upload="console-upload.bin"]');
    await page.locator('li[data-upload="console-upload.bin"][data-state="done"]').waitFor({ timeout: 20_000 });
    expect(await item.textContent()).toContain('100%');
    const entry = page.getByRole('button', { name: 'console-upload.bin', exact: true });
    await entry.waitFor({ timeout: 5_000 });
    await entry.click();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download console-upload.bin' }).click();
    const chunks = (await (await download).createReadStream().then((stream) => stream.toArray())) as Buffer[];
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    await page.screenshot({ path: join(CONSOLE_SCREENSHOTS, 'objects.png') });
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  it('leaves nothing behind when an upload is cancelled midway', async () => {
    const s3 = gateway.emulators.s3;
    if (s3 === undefined) throw new Error('the demo gateway has no embedded S3 emulator');
    // Parts wait upstream, so the browser is still sending when Cancel is pressed.
    s3.injectFault({ kind: 'latency', ms: 4_000, operation: 'UploadPart' });
    try {
      await page.getByLabel('choose files').setInputFiles(await fileOf('console-cancel.bin', randomBytes(20 * MIB)));
      const item = page.locator('li[data-upload="console-cancel.bin"]');
      await item.getByRole('button', { name: 'Cancel upload of console-cancel.bin' }).click({ timeout: 5_000 });
      await page.locator('li[data-upload="console-cancel.bin"][data-state="cancelled"]').waitFor({ timeout: 5_000 });
      expect(await item.textContent()).not.toContain('100%');
    } finally {
      s3.clearFaults();
    }
    await expect.poll(() => s3.multipartUploads().filter((upload) => upload.key.endsWith('console-cancel.bin')).length, { timeout: 10_000 }).toBe(0);
    const found = await postGraphql<{ object: unknown }>(`${gateway.url}/graphql`, { query: 'query { object(path: "console-cancel.bin") { path } }' });
    expect(found.data?.object).toBeNull();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('button', { name: 'console-upload.bin', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'console-cancel.bin', exact: true }).count()).toBe(0);
  }, BROWSER_TEST_TIMEOUT_MS);

  it('deletes an object after confirmation', async () => {
    await page.getByRole('button', { name: 'console-upload.bin', exact: true }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Confirm delete' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'console-upload.bin', exact: true }).count(), { timeout: 5_000 }).toBe(0);
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  it('has no serious or critical accessibility violations (axe-core)', async () => {
    await expectNoSevereAxeViolations(page);
  }, BROWSER_TEST_TIMEOUT_MS);

  it('is readable at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(CONSOLE_SCREENSHOTS, 'streams-phone.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);
});

afterAll(removeConsoleBuild);
