import { Writable } from 'node:stream';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { IDE_TABS } from '../../src/server/ide-examples.js';
import { launchChromium, skipWithoutChromium } from '../helpers/browser.js';
import { TEST_SIGNING_SECRET } from '../helpers/gateway.js';
import { within } from '../helpers/within.js';


/** What each tab runs: its operation's name (the tab's title), kind and root fields. */
interface TabOperation {
  readonly name: string;
  readonly kind: 'query' | 'mutation' | 'subscription';
  readonly rootFields: readonly string[];
}

const TABS: readonly TabOperation[] = IDE_TABS.map((tab) => {
  const operation = parse(tab.query).definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (operation?.name === undefined) throw new Error(`an IDE tab without a named operation:\n${tab.query}`);
  return {
    name: operation.name.value,
    kind: operation.operation,
    rootFields: operation.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : [])),
  };
});

interface GraphqlResult {
  readonly data?: Readonly<Record<string, unknown>> | null;
  readonly errors?: readonly unknown[];
}

/** Root fields of `data` that came back empty: null, or a connection without edges (the demo data fills them all). */
function emptyRootFields(data: Readonly<Record<string, unknown>>, fields: readonly string[]): string[] {
  return fields.filter((field) => {
    const value = data[field] as { edges?: readonly unknown[] } | null | undefined;
    return value === null || value === undefined || (Array.isArray(value.edges) && value.edges.length === 0);
  });
}

/** A browser on a busy two-core machine needs seconds per step; the default 30 s is too tight for a whole tab. */
const BROWSER_TEST_TIMEOUT_MS = 90_000;

describe.skipIf(skipWithoutChromium('the gateway IDE browser test'))('GraphQL IDE of the gateway in Chromium', () => {
  let gateway: Gateway;
  let browser: Browser | undefined;
  // One page for every test, as a user would click through the tabs; a fresh context has no saved tabs.
  let page: Page;
  const errors: string[] = [];
  const hosts = new Set<string>();

  beforeAll(async () => {
    const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    // What `media-graph serve` runs: every provider on its embedded emulator, seeded with the demo data.
    const config = loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      SIGNING_SECRET: TEST_SIGNING_SECRET,
      SHUTDOWN_GRACE_MS: '1000',
      EMULATOR_DEMO_FRAGMENT_MS: '250',
    });
    gateway = await startGateway(config, { seedDemo: true, logger: createLogger('warn', silent) });
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:') hosts.add(url.hostname);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${gateway.url}/graphiql`);
    await page.locator('.graphiql-container').waitFor();
  }, BROWSER_TEST_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await gateway.close();
  });

  async function selectTab(name: string): Promise<void> {
    await page.locator(`.graphiql-tab button[title="${name}"]`).click();
    await page.locator(`.graphiql-tab-active button[title="${name}"]`).waitFor();
  }

  it('opens with one tab per provider example and one subscription, in order, the first one active', async () => {
    expect(TABS.map((tab) => tab.name)).toHaveLength(5);
    for (const tab of TABS) await page.locator(`.graphiql-tab button[title="${tab.name}"]`).waitFor();
    const titles = await page.locator('.graphiql-tab button[title]').evaluateAll((buttons) => buttons.map((button) => button.getAttribute('title')));
    expect(titles).toEqual(TABS.map((tab) => tab.name));
    await page.locator(`.graphiql-tab-active button[title="${TABS[0]?.name ?? ''}"]`).waitFor();
    expect([...hosts]).toEqual(['127.0.0.1']);
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  it.each(TABS.filter((tab) => tab.kind === 'query'))('runs the $name tab and shows data without errors', async (tab) => {
    await selectTab(tab.name);
    const answered = page.waitForResponse(
      (response) =>
        response.url() === `${gateway.url}/graphql` &&
        response.request().method() === 'POST' &&
        // The tab's own document, whatever operationName GraphiQL attached (see the fetcher in ide.ts).
        (response.request().postDataJSON() as { query?: string }).query?.includes(`query ${tab.name} `) === true,
    );
    await page.locator('.graphiql-execute-button').click();
    const response = await answered;
    const result = (await response.json()) as GraphqlResult;
    expect(response.status()).toBe(200);
    expect(result.errors).toBeUndefined();
    expect(emptyRootFields(result.data ?? {}, tab.rootFields)).toEqual([]);
    await page.locator('.graphiql-response', { hasText: `"${tab.rootFields[0] ?? ''}"` }).waitFor();
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);

  it.each(TABS.filter((tab) => tab.kind === 'subscription'))('runs the $name tab over WebSocket and shows live fragments without errors', async (tab) => {
    const messages: { type: string; payload?: GraphqlResult }[] = [];
    let fragmentArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      fragmentArrived = resolve;
    });
    page.on('websocket', (socket) => {
      socket.on('framereceived', (frame) => {
        const message = JSON.parse(String(frame.payload)) as { type: string; payload?: GraphqlResult };
        messages.push(message);
        const event = message.payload?.data?.[tab.rootFields[0] ?? ''] as { __typename?: string } | undefined;
        if (message.type === 'next' && event?.__typename === 'FragmentEvent') fragmentArrived();
      });
    });
    await selectTab(tab.name);
    await page.locator('.graphiql-execute-button').click();
    await within(arrived, 30_000, `a FragmentEvent from the ${tab.name} tab`);
    const results = messages.filter((message) => message.type === 'next' || message.type === 'error');
    expect(results.map((message) => message.type)).not.toContain('error');
    expect(results.flatMap((message) => message.payload?.errors ?? [])).toEqual([]);
    await page.locator('.graphiql-response', { hasText: 'FragmentEvent' }).waitFor();
    // The same button stops the subscription.
    await page.locator('.graphiql-execute-button').click();
    expect(errors).toEqual([]);
  }, BROWSER_TEST_TIMEOUT_MS);
});
