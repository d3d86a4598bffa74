import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContextOptions, type ConsoleMessage, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium: the one browser the tests drive (playwright-core downloads none). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless, without the sandbox (containers lack the namespaces it needs) or a GPU, and without QUIC and the
 * background traffic a first run starts, so a page talks only to the gateway under test.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const chromiumMissing = !existsSync(CHROMIUM);

/**
 * True when the browser tests of `what` (e.g. `the console Fleet view tests`) must skip: Chromium is not installed and
 * CI is not `true`. A skip is announced on stderr, never silent; under CI=true nothing skips and
 * {@link launchChromium} fails instead.
 */
export function skipWithoutChromium(what: string): boolean {
  const skip = chromiumMissing && process.env.CI !== 'true';
  if (skip) console.warn(`SKIPPING ${what}: ${CHROMIUM} is not installed. Run .ci/install-chromium.sh to enable them.`);
  return skip;
}

/**
 * Launches {@link CHROMIUM} with {@link CHROMIUM_ARGS}; the caller closes the browser.
 * @throws Error when Chromium is not installed (only reached under CI=true, which forbids skipping), or playwright's
 *   error when the browser does not start.
 */
export async function launchChromium(): Promise<Browser> {
  if (chromiumMissing) throw new Error(`${CHROMIUM} is missing and CI=true forbids skipping; run .ci/install-chromium.sh first`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
}

/** From now on, appends to `errors` the text of every console error `page` logs and the message of every uncaught exception. */
function recordPageErrors(page: Page, errors: string[]): void {
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
}

/**
 * A page in a new context of `browser` with a 1280x800 viewport (and `options`), recording its console errors and
 * uncaught exceptions in `errors` ({@link recordPageErrors}). Closing the browser closes it; `page.context().close()`
 * closes it sooner.
 */
export async function openDesktopPage(browser: Browser, errors: string[], options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  recordPageErrors(page, errors);
  return page;
}

/**
 * `errors` without the line Chromium logs by itself for each 401 or 403 response it receives: what remains is what the
 * page logged. For tests where a credential is refused on purpose.
 */
export function besidesRefusedResponses(errors: readonly string[]): string[] {
  return errors.filter((text) => !/^Failed to load resource: the server responded with a status of 40[13]/.test(text));
}

/** Fails the test, naming each rule and the elements it flags, when axe-core finds a serious or critical violation on `page` as it is now. */
export async function expectNoSevereAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const severe = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  expect(severe.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
}

/**
 * How far the page sticks out sideways, in CSS pixels (0 or less when it fits the viewport's width). Evaluated as a
 * string, since the tests' TypeScript program has no DOM types.
 */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}
