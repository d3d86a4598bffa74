import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DVR_CHANNEL } from '../../src/emulators/livestream/livestream.seed.js';
import type { Gateway } from '../../src/server/gateway.js';
import { JWT_AUTH_ENV, mintToken } from '../helpers/auth.js';
import { besidesRefusedResponses, expectNoSevereAxeViolations, horizontalOverflow, launchChromium, openDesktopPage, skipWithoutChromium } from '../helpers/browser.js';
import { CONSOLE_SCREENSHOTS, makeScreenshotDirectory, removeConsoleBuild, startConsoleGateway } from '../helpers/console-build.js';
import { postGraphql } from '../helpers/gateway.js';

/*
 * The console's Live Stream and OCI views in Chromium against a gateway on its demo-seeded embedded emulators:
 * channels, DVR sessions created from a manifest key, edited and deleted, an asset's long-running create followed to
 * done; media assets, playlists with their parsed variants, session tokens with their expiry; accessibility (axe),
 * both widths, and what a credential without the views' scopes sees.
 */

const skipBrowser = skipWithoutChromium('the console provider view tests');

const SETUP_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 30_000;

/** Checks that the page fits 1280x800 and a 390 px phone without horizontal scrolling, with a screenshot of each. */
async function checkWidths(page: Page, name: string): Promise<void> {
  expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ path: join(CONSOLE_SCREENSHOTS, `${name}.png`) });
  await page.setViewportSize({ width: 390, height: 800 });
  try {
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(CONSOLE_SCREENSHOTS, `${name}-phone.png`) });
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
}

describe.skipIf(skipBrowser)('console Live Stream and OCI views in Chromium against a demo-seeded gateway', () => {
  let gateway: Gateway;
  let browser: Browser | undefined;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    await makeScreenshotDirectory();
    gateway = await startConsoleGateway();
    browser = await launchChromium();
    page = await openDesktopPage(browser, errors);
    await page.goto(`${gateway.url}/console/#livestream`);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    gateway?.emulators.livestream?.resumeOperations();
    await browser?.close();
    await gateway?.close();
  });

  const graphql = <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> =>
    postGraphql<T>(`${gateway.url}/graphql`, { query, variables }).then((answer) => {
      if (answer.errors !== undefined || answer.data === undefined || answer.data === null) throw new Error(`GraphQL failed: ${JSON.stringify(answer.errors)}`);
      return answer.data;
    });

  /** The list item of an operation the view follows, by its title (e.g. `create asset x`) and state. */
  const operation = (title: string, state: 'running' | 'done') => page.locator(`li[data-operation][data-state="${state}"]`).filter({ hasText: title });

  it('lists the demo channels with their manifest keys and, for the selected channel, its DVR sessions', async () => {
    await page.getByRole('heading', { name: 'Live Stream', exact: true }).waitFor();
    const channels = page.locator('table.channels');
    for (const name of ['news-live', 'sports-live']) await channels.getByRole('button', { name, exact: true }).waitFor();
    const newsRow = channels.locator('tr').filter({ has: page.getByRole('button', { name: 'news-live', exact: true }) });
    expect(await newsRow.textContent()).toContain('manifest_hls: main.m3u8, HLS');
    expect(await newsRow.textContent()).toContain('manifest_dash: main.mpd, DASH');
    // Keyboard: the channel is a button, so Enter selects it.
    await channels.getByRole('button', { name: 'news-live', exact: true }).focus();
    await page.keyboard.press('Enter');
    for (const id of ['morning-show', 'midday-update', 'evening-news']) await page.locator(`tr[data-session="${id}"]`).waitFor();
    expect(await page.locator('tr[data-session="midday-update"]').textContent()).toContain('LIVE');
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('creates a DVR session from a manifest key, lists it, edits its windows and deletes it after confirmation', async () => {
    const form = page.getByRole('form', { name: 'New DVR session on news-live' });
    await form.getByLabel('Session id').fill('console-dvr');
    await form.getByLabel('Manifest key').selectOption('manifest_dash');
    await form.getByRole('button', { name: 'Create DVR session' }).click();
    await page.locator('tr[data-session="console-dvr"]').waitFor({ timeout: 5_000 });
    await operation('create DVR session console-dvr', 'done').waitFor({ timeout: 10_000 });
    const name = `${DEMO_DVR_CHANNEL}/dvrSessions/console-dvr`;
    type Session = { dvrSession: { dvrManifests: { manifestKey: string }[]; dvrWindows: { startTime: string; endTime: string }[] } | null };
    const created = await graphql<Session>('query ($name: String!) { dvrSession(name: $name) { dvrManifests { manifestKey } dvrWindows { startTime endTime } } }', { name });
    expect(created.dvrSession?.dvrManifests).toEqual([{ manifestKey: 'manifest_dash' }]);
    expect(created.dvrSession?.dvrWindows).toHaveLength(1);
    const [first] = created.dvrSession?.dvrWindows ?? [];
    expect(Date.parse(first?.endTime ?? '') - Date.parse(first?.startTime ?? '')).toBe(3_600_000);

    await page.getByRole('button', { name: 'Edit windows of console-dvr' }).click();
    const edit = page.getByRole('form', { name: 'Windows of console-dvr' });
    await edit.getByRole('button', { name: 'Add a window' }).click();
    await edit.getByRole('button', { name: 'Save windows' }).click();
    await operation('update DVR session console-dvr', 'done').waitFor({ timeout: 10_000 });
    const updated = await graphql<Session>('query ($name: String!) { dvrSession(name: $name) { dvrManifests { manifestKey } dvrWindows { startTime endTime } } }', { name });
    expect(updated.dvrSession?.dvrWindows).toHaveLength(2);
    // The first window went back unchanged: the editor keeps the seconds of what it was given.
    expect(updated.dvrSession?.dvrWindows[0]).toEqual(first);
    await expect.poll(() => page.locator('tr[data-session="console-dvr"] td:nth-child(4) li').count(), { timeout: 5_000 }).toBe(2);

    await page.getByRole('button', { name: 'Delete DVR session console-dvr' }).click();
    // The confirmation takes the focus, so the keyboard can answer it at once.
    await expect.poll(() => page.evaluate<string>('document.activeElement?.getAttribute("aria-label") ?? ""')).toBe('Confirm delete of DVR session console-dvr');
    await page.keyboard.press('Enter');
    await operation('delete DVR session console-dvr', 'done').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('tr[data-session="console-dvr"]').count(), { timeout: 5_000 }).toBe(0);
    expect((await graphql<Session>('query ($name: String!) { dvrSession(name: $name) { dvrWindows { startTime } } }', { name })).dvrSession).toBeNull();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('follows an asset create, a long-running operation, from running to done', async () => {
    const livestream = gateway.emulators.livestream;
    if (livestream === undefined) throw new Error('the demo gateway has no embedded Live Stream emulator');
    // Held running until the test lets it finish, so the running state is seen without racing the operation.
    livestream.pauseOperations();
    try {
      // Keyboard only: type into the form and submit it with Enter.
      await page.getByLabel('Asset id').focus();
      await page.keyboard.type('console-asset');
      await page.keyboard.press('Tab');
      await page.keyboard.type('gs://media-graph-demo/assets/console.mp4');
      await page.keyboard.press('Enter');
      const running = operation('create asset console-asset', 'running');
      await running.waitFor({ timeout: 5_000 });
      expect(await running.textContent()).toContain('asset CREATING');
      expect(await running.locator('progress').getAttribute('value')).toBeNull();
      await expect.poll(() => page.locator('tr[data-asset="console-asset"]').textContent(), { timeout: 5_000 }).toContain('CREATING');
      expect(livestream.completePendingOperations()).toBe(1);
    } finally {
      livestream.resumeOperations();
    }
    const done = operation('create asset console-asset', 'done');
    await done.waitFor({ timeout: 10_000 });
    expect(await done.textContent()).toContain('asset ACTIVE');
    expect(await done.locator('progress').getAttribute('value')).toBe('1');
    await expect.poll(() => page.locator('tr[data-asset="console-asset"]').textContent(), { timeout: 5_000 }).toContain('ACTIVE');
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('follows an operation started elsewhere by its name until done, and refreshes the list it changed', async () => {
    const name = 'projects/media-graph-demo/locations/us-central1/assets/console-asset';
    const { deleteAsset } = await graphql<{ deleteAsset: { name: string } }>('mutation ($name: String!) { deleteAsset(input: { name: $name }) { name } }', { name });
    await page.getByLabel('Operation name').fill(deleteAsset.name);
    await page.getByRole('button', { name: 'Follow', exact: true }).click();
    await page.locator(`li[data-operation="${deleteAsset.name}"][data-state="done"]`).waitFor({ timeout: 10_000 });
    expect(await operation('delete asset console-asset', 'done').count()).toBe(1);
    await expect.poll(() => page.locator('tr[data-asset="console-asset"]').count(), { timeout: 5_000 }).toBe(0);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('has no serious or critical accessibility violations on the Live Stream view and fits both widths', async () => {
    await page.getByRole('form', { name: 'New DVR session on news-live' }).waitFor();
    await page.getByRole('button', { name: 'Edit windows of morning-show' }).click();
    const edit = page.getByRole('form', { name: 'Windows of morning-show' });
    await edit.waitFor();
    await expectNoSevereAxeViolations(page);
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await page.evaluate("window.scrollTo(0, 0); for (const region of document.querySelectorAll('.table-wrap')) region.scrollLeft = 0");
    await checkWidths(page, 'livestream');
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('lists the demo media assets and the packaging configurations of the demo channel', async () => {
    await page.getByRole('link', { name: 'OCI Media' }).click();
    await page.getByRole('heading', { name: 'OCI Media', exact: true }).waitFor();
    const { mediaAssets } = await graphql<{ mediaAssets: { edges: { node: { displayName: string } }[] } }>('{ mediaAssets(first: 25) { edges { node { displayName } } } }');
    expect(mediaAssets.edges.length).toBeGreaterThanOrEqual(5);
    for (const { node } of mediaAssets.edges) await page.locator('table.media-assets').getByRole('cell', { name: node.displayName, exact: true }).waitFor();
    for (const config of ['HLS 6s', 'DASH 4s']) await page.locator('table.packaging-configs').getByRole('cell', { name: config, exact: true }).waitFor();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('generates an HLS and a DASH playlist and shows their parsed variants, and a clear refusal for an asset not ready', async () => {
    const form = page.getByRole('form', { name: 'Generate a playlist' });
    await form.getByLabel('Media asset').selectOption({ label: 'Big Buck Bunny (ACTIVE)' });
    await form.getByLabel('Packaging configuration').selectOption({ label: 'HLS 6s (HLS, media-graph demo channel)' });
    await form.getByRole('button', { name: 'Generate playlist' }).click();
    const result = page.getByTestId('playlist');
    await result.getByRole('heading', { name: 'HLS playlist of Big Buck Bunny with HLS 6s' }).waitFor({ timeout: 5_000 });
    const asset = 'ocid1.mediaasset.oc1.iad.amaaaaaamediagraphdemo0001';
    type Parsed = { playlist: { hls: { variants: { resolution: { width: number; height: number } | null }[] } | null; dash: { representations: { representationId: string }[] } | null } };
    const query = 'query ($a: String!, $c: String!) { playlist(mediaAssetId: $a, streamPackagingConfigId: $c) { hls { variants { resolution { width height } } } dash { representations { representationId } } } }';
    const hls = await graphql<Parsed>(query, { a: asset, c: 'ocid1.streampackagingconfig.oc1.iad.amaaaaaamediagraphdemohls' });
    const variants = hls.playlist.hls?.variants ?? [];
    expect(variants.length).toBeGreaterThan(0);
    expect(await result.locator('table.variants tbody tr').count()).toBe(variants.length);
    for (const { resolution } of variants) if (resolution !== null) await result.getByRole('cell', { name: `${resolution.width}×${resolution.height}`, exact: true }).waitFor();

    await form.getByLabel('Packaging configuration').selectOption({ label: 'DASH 4s (DASH, media-graph demo channel)' });
    await form.getByRole('button', { name: 'Generate playlist' }).click();
    await result.getByRole('heading', { name: 'DASH playlist of Big Buck Bunny with DASH 4s' }).waitFor({ timeout: 5_000 });
    const dash = await graphql<Parsed>(query, { a: asset, c: 'ocid1.streampackagingconfig.oc1.iad.amaaaaaamediagraphdemodash' });
    const ids = (dash.playlist.dash?.representations ?? []).map((representation) => representation.representationId);
    expect(ids.length).toBeGreaterThan(0);
    expect(await result.locator('table.variants tbody tr td:first-child').allTextContents()).toEqual(ids);

    await form.getByLabel('Media asset').selectOption({ label: 'Cosmos Laundromat (CREATING)' });
    await form.getByRole('button', { name: 'Generate playlist' }).click();
    await page.getByRole('alert').filter({ hasText: 'CONFLICT' }).waitFor({ timeout: 5_000 });
    expect(await result.count()).toBe(0);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('issues a session token, shows its expiry, and signs a playlist with it', async () => {
    const form = page.getByRole('form', { name: 'Issue a session token' });
    await form.getByLabel('Packaging configuration').selectOption({ label: 'HLS 6s (HLS, media-graph demo channel)' });
    await form.getByLabel('Lifetime (minutes)').fill('30');
    const before = Date.now();
    await form.getByRole('button', { name: 'Issue token' }).click();
    const issued = page.getByTestId('session-token');
    const expiry = issued.locator('time');
    await expiry.waitFor({ timeout: 5_000 });
    const after = Date.now();
    const expiresAt = Date.parse((await expiry.getAttribute('datetime')) ?? '');
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * 60_000 - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 30 * 60_000 + 1_000);
    expect(await issued.textContent()).toContain('(in 30 min)');
    // A credential: hidden until asked for.
    expect(await issued.locator('code').count()).toBe(0);
    await issued.getByRole('button', { name: 'Show token' }).click();
    const token = (await issued.locator('code.token').textContent()) ?? '';
    expect(token.length).toBeGreaterThan(10);

    const playlist = page.getByRole('form', { name: 'Generate a playlist' });
    await playlist.getByLabel('Media asset').selectOption({ label: 'Big Buck Bunny (ACTIVE)' });
    await playlist.getByLabel('Packaging configuration').selectOption({ label: 'HLS 6s (HLS, media-graph demo channel)' });
    await playlist.getByLabel('Sign media URIs with the session token below').check();
    await playlist.getByRole('button', { name: 'Generate playlist' }).click();
    const uri = page.getByTestId('playlist').locator('table.variants tbody tr td:last-child').first();
    await expect.poll(() => uri.textContent(), { timeout: 5_000 }).toContain(encodeURIComponent(token));
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('has no serious or critical accessibility violations on the OCI view and fits both widths', async () => {
    await page.getByText('Playlist text').click();
    await page.getByRole('region', { name: 'Playlist text' }).waitFor();
    await expectNoSevereAxeViolations(page);
    await page.evaluate('window.scrollTo(0, 0)');
    await checkWidths(page, 'oci');
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

describe.skipIf(skipBrowser)('console Live Stream and OCI views for a credential without their scopes', () => {
  let gateway: Gateway;
  let browser: Browser | undefined;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    gateway = await startConsoleGateway({ ...JWT_AUTH_ENV });
    browser = await launchChromium();
    page = await openDesktopPage(browser, errors);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('shows which scope is missing instead of the lists, while the views the scopes allow still work', async () => {
    await page.goto(`${gateway.url}/console/#livestream`);
    await page.getByLabel('Token or key').fill(await mintToken({ scope: 'streams:read' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = page.getByRole('alert');
    await refusal.filter({ hasText: 'livestream:read' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('table').count()).toBe(0);
    expect(await refusal.textContent()).not.toMatch(/FORBIDDEN|\{|requires the/);

    await page.getByRole('link', { name: 'OCI Media' }).click();
    await refusal.filter({ hasText: 'oci:issue' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('table').count()).toBe(0);

    await page.getByRole('link', { name: 'Streams' }).click();
    await page.getByRole('button', { name: 'demo-stream', exact: true }).waitFor({ timeout: 5_000 });
    // The browser itself logs each 401 (the sign-in probe) and 403 (a refused view) it receives; the page logs nothing.
    expect(besidesRefusedResponses(errors)).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('lists Live Stream resources for a reader and says which scope a write needs', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token or key').fill(await mintToken({ scope: 'livestream:read' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Live Stream' }).click();
    await page.locator('table.channels').getByRole('button', { name: 'news-live', exact: true }).waitFor({ timeout: 5_000 });
    await page.getByLabel('Asset id').fill('reader-asset');
    await page.getByLabel('Source file').fill('gs://media-graph-demo/assets/reader.mp4');
    await page.getByRole('button', { name: 'Create asset' }).click();
    await page.getByRole('alert').filter({ hasText: 'livestream:write' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('li[data-operation]').count()).toBe(0);
    expect(besidesRefusedResponses(errors)).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

afterAll(removeConsoleBuild);
