import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import express from 'express';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createHandler } from 'graphql-http/lib/use/express';
import { useServer } from 'graphql-ws/use/ws';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createIdeRouter } from '../../src/server/ide.js';
import { launchChromium, skipWithoutChromium } from '../helpers/browser.js';


const DEFAULT_QUERY = 'query Hello {\n  hello(name: "IDE")\n}\n';
const SUBSCRIPTION = 'subscription Greetings {\n  greetings\n}\n';
const GREETINGS = ['first greeting', 'last greeting'] as const;

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** What the tiny GraphQL backend saw, so the tests can prove the IDE really talked to it. */
interface Traffic {
  httpOperations: number;
  introspections: number;
  wsSubscriptions: number;
  readonly firstIntrospection: Deferred;
}

function testSchema(): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        hello: {
          type: GraphQLString,
          args: { name: { type: GraphQLString } },
          resolve: (_source: unknown, args: { name?: string | null }) => `Hello, ${args.name ?? 'world'}!`,
        },
      },
    }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        greetings: {
          type: GraphQLString,
          // A Readable is an AsyncIterable, which is all graphql's subscribe needs.
          subscribe: () => Readable.from(GREETINGS.map((greeting) => ({ greetings: greeting }))),
        },
      },
    }),
  });
}

interface Backend {
  readonly origin: string;
  readonly traffic: Traffic;
  close(): Promise<void>;
}

async function startBackend(): Promise<Backend> {
  const schema = testSchema();
  const traffic: Traffic = {
    httpOperations: 0,
    introspections: 0,
    wsSubscriptions: 0,
    firstIntrospection: deferred(),
  };
  const app = express();
  const ideOptions = {
    graphqlPath: '/graphql',
    subscriptionsPath: '/graphql',
    title: 'Test <IDE>',
    defaultQuery: DEFAULT_QUERY,
  };
  app.use(createIdeRouter(ideOptions));
  app.use('/tools', createIdeRouter(ideOptions));
  app.all(
    '/graphql',
    createHandler({
      schema,
      onSubscribe: (_req, params) => {
        traffic.httpOperations += 1;
        if (params.query.includes('__schema')) {
          traffic.introspections += 1;
          traffic.firstIntrospection.resolve();
        }
      },
    }),
  );
  const server: Server = createServer(app);
  const sockets = new WebSocketServer({ server, path: '/graphql' });
  const graphqlWs = useServer(
    {
      schema,
      onSubscribe: () => {
        traffic.wsSubscriptions += 1;
      },
    },
    sockets,
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${String(port)}`,
    traffic,
    async close() {
      await graphqlWs.dispose();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

let backend: Backend;

beforeAll(async () => {
  backend = await startBackend();
});

afterAll(async () => {
  await backend.close();
});

function cspDirectives(header: string | null): Map<string, string> {
  expect(header).not.toBeNull();
  return new Map(
    (header ?? '').split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values.join(' ')] as const;
    }),
  );
}

describe('createIdeRouter', () => {
  it('serves the page with a strict nonce-bearing CSP when GET /graphiql', async () => {
    const response = await fetch(`${backend.origin}/graphiql`);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = cspDirectives(response.headers.get('content-security-policy'));
    const nonce = /<script src="[^"]*\/bootstrap\.js" nonce="([^"]+)">/.exec(html)?.[1];
    expect(nonce).toBeDefined();
    expect(csp.get('default-src')).toBe("'none'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('style-src')).toBe(`'self' 'nonce-${nonce ?? ''}'`);
    const host = new URL(backend.origin).host;
    expect(csp.get('connect-src')).toBe(`'self' ws://${host} wss://${host}`);
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(response.headers.get('content-security-policy')).not.toMatch(/unsafe-(inline|eval)/);
    expect(html).toContain('<title>Test &#60;IDE&#62;</title>');
    expect(html).not.toMatch(/<script>|<style>|https?:\/\//);
  });

  it('draws a fresh nonce when the page is requested twice', async () => {
    const pageUrl = `${backend.origin}/graphiql`;
    const [first, second] = await Promise.all([fetch(pageUrl), fetch(pageUrl)]);
    await Promise.all([first.text(), second.text()]);

    expect(first.headers.get('content-security-policy')).not.toBe(second.headers.get('content-security-policy'));
  });

  it('links every asset below the mount point when mounted under a prefix', async () => {
    const html = await (await fetch(`${backend.origin}/tools/graphiql`)).text();
    const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    const assetLinks = links.filter((link) => !link.startsWith('data:'));

    expect(assetLinks).toHaveLength(6);
    for (const link of assetLinks) {
      expect(link).toMatch(/^\/tools\/graphiql\/assets\/[\w.-]+$/);
      const asset = await fetch(`${backend.origin}${link}`);
      await asset.arrayBuffer();
      expect(asset.status, link).toBe(200);
    }
  });

  it.each([
    ['react.production.min.js', 'text/javascript; charset=utf-8', 'React'],
    ['react-dom.production.min.js', 'text/javascript; charset=utf-8', 'ReactDOM'],
    ['graphiql.min.js', 'text/javascript; charset=utf-8', 'GraphiQL'],
    ['graphiql.min.css', 'text/css; charset=utf-8', '.graphiql-container'],
    ['page.css', 'text/css; charset=utf-8', '#graphiql'],
    ['bootstrap.js', 'text/javascript; charset=utf-8', 'createFetcher'],
  ])('serves %s as %s with a strong ETag when requested', async (name, contentType, marker) => {
    const response = await fetch(`${backend.origin}/graphiql/assets/${name}`, {
      headers: { 'accept-encoding': 'identity' },
    });
    const body = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(contentType);
    expect(response.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    expect(body).toContain(marker);
  });

  it('writes the configured paths and default query into bootstrap.js when created with options', async () => {
    const body = await (await fetch(`${backend.origin}/graphiql/assets/bootstrap.js`)).text();

    expect(body).toContain(
      JSON.stringify({ graphqlPath: '/graphql', subscriptionsPath: '/graphql', defaultQuery: DEFAULT_QUERY, defaultTabs: null }),
    );
  });

  it('answers 304 when If-None-Match carries the current ETag', async () => {
    const first = await fetch(`${backend.origin}/graphiql/assets/graphiql.min.css`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag') ?? '';
    const revalidated = await fetch(`${backend.origin}/graphiql/assets/graphiql.min.css`, {
      headers: { 'if-none-match': `"stale", ${etag}` },
    });

    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('etag')).toBe(etag);
  });

  it('sends a gzip copy with its own ETag when the client accepts gzip', async () => {
    const url = `${backend.origin}/graphiql/assets/graphiql.min.js`;
    const plain = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    const plainBody = await plain.text();
    const zipped = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
    // fetch decodes the gzip body transparently, so equal text proves the copy is faithful.
    const zippedBody = await zipped.text();

    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('vary')).toBe('Accept-Encoding');
    expect(Number(zipped.headers.get('content-length'))).toBeLessThan(Buffer.byteLength(plainBody) / 2);
    expect(zipped.headers.get('etag')).not.toBe(plain.headers.get('etag'));
    expect(zippedBody).toBe(plainBody);
  });

  it.each(['unknown.js', 'package.json', '..%2Fpackage.json', 'GRAPHIQL.MIN.JS'])(
    'answers 404 when the asset %s is not one it serves',
    async (name) => {
      const response = await fetch(`${backend.origin}/graphiql/assets/${name}`);
      await response.arrayBuffer();

      expect(response.status).toBe(404);
    },
  );

  it.each(['graphql', '//evil.example/graphql', '/\\evil.example', 'http://127.0.0.1/graphql', '/ graphql'])(
    'throws a TypeError when graphqlPath is %j',
    (graphqlPath) => {
      expect(() => createIdeRouter({ graphqlPath })).toThrow(TypeError);
      expect(() => createIdeRouter({ graphqlPath: '/graphql', subscriptionsPath: graphqlPath })).toThrow(TypeError);
    },
  );
});

describe.skipIf(skipWithoutChromium('the GraphiQL browser tests'))('createIdeRouter in Chromium', () => {
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const requestedUrls: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.on('request', (request) => requestedUrls.push(request.url()));
    page.on('websocket', (socket) => requestedUrls.push(socket.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        consoleErrors.push(message.text());
      }
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Every test ends here: the IDE must stay on 127.0.0.1 and log nothing (CSP violations are console errors). */
  function expectLocalAndQuiet(): void {
    expect(consoleErrors).toEqual([]);
    expect(requestedUrls.length).toBeGreaterThan(0);
    for (const url of requestedUrls) {
      const parsed = new URL(url);
      // data: URLs are GraphiQL's inline fonts and icons; they never touch the network.
      if (parsed.protocol !== 'data:') {
        expect(parsed.hostname, url).toBe('127.0.0.1');
      }
    }
  }

  function responsePane(text: string): ReturnType<Page['locator']> {
    return page.locator('.graphiql-response', { hasText: text });
  }

  it('renders the editor and introspects our endpoint when the page loads', async () => {
    await page.goto(`${backend.origin}/graphiql`);
    await page.locator('.graphiql-container').waitFor();
    await backend.traffic.firstIntrospection.promise;

    expect(await page.title()).toBe('Test <IDE>');
    expect(backend.traffic.introspections).toBeGreaterThanOrEqual(1);
    await page.locator('.graphiql-query-editor', { hasText: 'hello(name: "IDE")' }).waitFor();
    expectLocalAndQuiet();
  });

  it('shows the result in the response pane when the default query is run', async () => {
    const before = backend.traffic.httpOperations;
    await page.locator('.graphiql-execute-button').click();
    await responsePane('Hello, IDE!').waitFor();

    expect(backend.traffic.httpOperations).toBe(before + 1);
    expectLocalAndQuiet();
  });

  it('streams a subscription over graphql-ws on the page host when a subscription is run', async () => {
    // CodeMirror 5 keeps its editor on the wrapper element; setting the value avoids auto-closed brackets.
    const editor = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror";
    await page.evaluate(`${editor}.setValue(${JSON.stringify(SUBSCRIPTION)})`);
    // GraphiQL picks up editor changes after a debounce; the tab title shows when it has the new operation.
    await page.locator('.graphiql-tab-active button[title="Greetings"]').waitFor();
    await page.locator('.graphiql-execute-button').click();
    await responsePane(GREETINGS[1]).waitFor();

    expect(backend.traffic.wsSubscriptions).toBe(1);
    expect(requestedUrls).toContain(`${backend.origin.replace(/^http/, 'ws')}/graphql`);
    expectLocalAndQuiet();
  });

  it('opens the settings dialog without CSP violations when its button is clicked', async () => {
    // The dialog's scroll lock injects a <style> element, which only the page nonce lets through.
    await page.getByRole('button', { name: 'Open settings dialog' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    expectLocalAndQuiet();
  });
});
