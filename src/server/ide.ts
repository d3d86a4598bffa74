import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import express from 'express';
import type { Request, Response, Router } from 'express';

/** How the GraphiQL page finds the API it talks to and what it shows first. */
export interface IdeOptions {
  /**
   * Absolute path of the GraphQL over HTTP endpoint, e.g. `'/graphql'`. The browser turns it into a URL on
   * the page's own origin, so the IDE works behind any host, port or TLS terminator.
   */
  readonly graphqlPath: string;
  /**
   * Absolute path of the graphql-ws endpoint, usually the same as `graphqlPath`; the browser uses `ws:` or
   * `wss:` to match the page. When omitted the IDE runs queries and mutations only, and a subscription
   * fails in the IDE with GraphiQL's "not configured for websocket subscriptions" message.
   */
  readonly subscriptionsPath?: string;
  /** Text of the page's `<title>`; defaults to `'GraphiQL'`. */
  readonly title?: string;
  /**
   * Operation shown in the editor when the browser has no saved GraphiQL tabs for this origin. Ignored when
   * `defaultTabs` is given.
   */
  readonly defaultQuery?: string;
  /**
   * Tabs the IDE opens with, in order, the first one active, when the browser has no saved GraphiQL tabs for this
   * origin (GraphiQL keeps a user's tabs in localStorage, so edits survive a reload). Each tab is titled with its
   * operation's name.
   */
  readonly defaultTabs?: readonly IdeTab[];
}

/** One tab of the IDE: a GraphQL document and, optionally, its variables. */
export interface IdeTab {
  /** The document, usually one named operation (the name becomes the tab's title). */
  readonly query: string;
  /** Variables as a JSON object text, e.g. `'{ "first": 10 }'`. */
  readonly variables?: string;
}

/** Path of the IDE page below the router's mount point. */
const PAGE_PATH = '/graphiql';
const ASSETS_PATH = `${PAGE_PATH}/assets`;

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** One encoding of an asset, with the strong validator that identifies exactly these bytes. */
interface Representation {
  readonly body: Buffer;
  readonly etag: string;
}

interface Asset {
  readonly contentType: string;
  readonly identity: Representation;
  readonly gzip: Representation | undefined;
}

interface PackageFile {
  readonly packageName: string;
  readonly file: string;
  readonly contentType: string;
}

/**
 * The browser builds of our own dependencies. Each is resolved through the package's `package.json`
 * because graphiql's `exports` map hides its UMD files from `require.resolve`.
 */
const PACKAGE_FILES: ReadonlyMap<string, PackageFile> = new Map([
  ['react.production.min.js', { packageName: 'react', file: 'umd/react.production.min.js', contentType: JS }],
  [
    'react-dom.production.min.js',
    { packageName: 'react-dom', file: 'umd/react-dom.production.min.js', contentType: JS },
  ],
  ['graphiql.min.js', { packageName: 'graphiql', file: 'graphiql.min.js', contentType: JS }],
  ['graphiql.min.css', { packageName: 'graphiql', file: 'graphiql.min.css', contentType: CSS }],
]);

// GraphiQL mounts into #graphiql and needs a sized box; a file keeps the page free of inline styles.
const PAGE_CSS = 'html, body { height: 100%; margin: 0; }\n#graphiql { height: 100vh; }\n';

const gzipAsync = promisify(gzip);
const requireFromHere = createRequire(import.meta.url);

// Installed files do not change while the process runs, so every router shares one read of each.
const packageAssets: ReadonlyMap<string, () => Promise<Asset>> = new Map(
  [...PACKAGE_FILES].map(([name, spec]) => [name, onceUnlessFailed(() => loadPackageFile(spec))] as const),
);

const pageCssAsset = identityAsset(CSS, Buffer.from(PAGE_CSS, 'utf8'));

/**
 * Creates a router that serves the GraphiQL IDE at `GET /graphiql` (relative to where it is mounted) and
 * its scripts and styles at `GET /graphiql/assets/<name>`, all from installed packages (graphiql@4 and the
 * react@18 / react-dom@18 UMD builds), so the IDE works offline. The page carries a strict
 * Content-Security-Policy: scripts, styles and connections from the page's own origin only (plus `ws:`/`wss:`
 * to the same host for subscriptions), with a per-response nonce that only GraphiQL's injected dialog
 * styles use. Package files are read once, on first request, and kept in memory with a gzip copy; assets
 * carry a strong ETag and `Cache-Control: no-cache`, so browsers revalidate cheaply and see upgrades.
 * An unknown asset name is a 404; a package file that cannot be read reaches Express's error handling.
 * @throws TypeError when `graphqlPath` or `subscriptionsPath` is not an absolute path on this origin.
 */
export function createIdeRouter(options: IdeOptions): Router {
  const graphqlPath = requireOriginPath('graphqlPath', options.graphqlPath);
  const subscriptionsPath =
    options.subscriptionsPath === undefined
      ? undefined
      : requireOriginPath('subscriptionsPath', options.subscriptionsPath);
  const title = options.title ?? 'GraphiQL';
  const generated: ReadonlyMap<string, Asset> = new Map([
    [
      'bootstrap.js',
      identityAsset(JS, Buffer.from(renderBootstrap(graphqlPath, subscriptionsPath, options.defaultQuery, options.defaultTabs))),
    ],
    ['page.css', pageCssAsset],
  ]);

  const router = express.Router({ caseSensitive: true });

  router.get(PAGE_PATH, (req, res) => {
    // A fresh nonce per response keeps it unguessable; that is also why the page itself is never cached.
    const nonce = randomBytes(16).toString('base64');
    const body = Buffer.from(renderPage(`${req.baseUrl}${ASSETS_PATH}`, title, nonce), 'utf8');
    res.status(200);
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
      'Content-Security-Policy': contentSecurityPolicy(nonce, req.headers.host),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
    });
    res.end(body);
  });

  router.get(`${ASSETS_PATH}/:name`, (req, res, next) => {
    const { name } = req.params;
    const fixed = generated.get(name);
    if (fixed !== undefined) {
      sendAsset(req, res, fixed);
      return;
    }
    const load = packageAssets.get(name);
    if (load === undefined) {
      res.status(404).set({ 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end('Not found');
      return;
    }
    load().then((asset) => {
      sendAsset(req, res, asset);
    }, next);
  });

  return router;
}

/**
 * A path that resolves against the page's origin. Protocol-relative (`//host`) and backslash forms would
 * point the browser at another host, which the CSP would then block with a confusing error.
 */
function requireOriginPath(field: string, value: string): string {
  if (!/^\/(?![/\\])[^\s\\]*$/.test(value)) {
    throw new TypeError(`IdeOptions.${field} must be an absolute path on this origin, such as '/graphql'`);
  }
  return value;
}

function renderPage(assetsBase: string, title: string, nonce: string): string {
  const asset = (name: string): string => escapeHtml(`${assetsBase}/${name}`);
  // `data:,` as icon stops the browser's automatic /favicon.ico request.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset('graphiql.min.css')}">
<link rel="stylesheet" href="${asset('page.css')}">
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="${asset('react.production.min.js')}"></script>
<script src="${asset('react-dom.production.min.js')}"></script>
<script src="${asset('graphiql.min.js')}"></script>
<script src="${asset('bootstrap.js')}" nonce="${nonce}"></script>
</body>
</html>
`;
}

/**
 * The page's only script of our own. It is a static file rather than inline code so `script-src` can stay
 * `'self'`; the nonce attribute on its tag is not needed to run it but hands the nonce to
 * react-remove-scroll (bundled in GraphiQL for its dialogs), which reads the global `__webpack_nonce__`
 * when it injects a `<style>` element.
 */
function renderBootstrap(
  graphqlPath: string,
  subscriptionsPath: string | undefined,
  defaultQuery: string | undefined,
  defaultTabs: readonly IdeTab[] | undefined,
): string {
  const config = JSON.stringify({
    graphqlPath,
    subscriptionsPath: subscriptionsPath ?? null,
    defaultQuery: defaultQuery ?? null,
    defaultTabs: defaultTabs === undefined ? null : defaultTabs.map((tab) => ({ query: tab.query, variables: tab.variables ?? null })),
  });
  return `(function () {
  'use strict';
  var config = ${config};
  var script = document.currentScript;
  if (script && script.nonce) {
    window.__webpack_nonce__ = script.nonce;
  }
  var fetcherOptions = { url: new URL(config.graphqlPath, window.location.href).href };
  if (config.subscriptionsPath !== null) {
    var ws = new URL(config.subscriptionsPath, window.location.href);
    ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
    fetcherOptions.subscriptionUrl = ws.href;
  }
  var fetchOperation = GraphiQL.createFetcher(fetcherOptions);
  // GraphiQL derives operationName and documentAST from a debounced parse of the editor, so a run started right
  // after a tab switch sends the new tab's text with the previous tab's name: the server refuses the name as
  // unknown, and GraphiQL, which picks WebSocket or HTTP from that name in that AST, sends a subscription over
  // HTTP. When the name is not one the text defines, both are rebuilt from the text's operation headers: the
  // only name, or none when there are several (the server then asks for one), and an AST holding just the
  // headers, which is all the transport choice reads. Comments are stripped first so prose such as
  // "a subscription in" is not taken for an operation.
  function operationHeaders(query) {
    var headers = [];
    var header = /\\b(query|mutation|subscription)\\s+([_A-Za-z][_0-9A-Za-z]*)/g;
    var text = query.replace(/#[^\\n\\r]*/g, '');
    for (var match = header.exec(text); match !== null; match = header.exec(text)) {
      headers.push({ kind: 'OperationDefinition', operation: match[1], name: { kind: 'Name', value: match[2] } });
    }
    return headers;
  }
  function fetcher(params, options) {
    if (params && typeof params.operationName === 'string' && typeof params.query === 'string') {
      var headers = operationHeaders(params.query);
      var named = headers.some(function (header) { return header.name.value === params.operationName; });
      if (!named) {
        params = Object.assign({}, params, { operationName: headers.length === 1 ? headers[0].name.value : undefined });
        options = Object.assign({}, options, { documentAST: { kind: 'Document', definitions: headers } });
      }
    }
    return fetchOperation(params, options);
  }
  var props = { fetcher: fetcher };
  if (config.defaultTabs !== null) {
    props.defaultTabs = config.defaultTabs;
  } else if (config.defaultQuery !== null) {
    props.defaultQuery = config.defaultQuery;
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));
})();
`;
}

/**
 * CSP Level 3 browsers let `'self'` cover ws:/wss: on the same host; older ones need the host spelled
 * out, which is only done for a well-formed Host header so the header cannot smuggle extra directives.
 */
function contentSecurityPolicy(nonce: string, host: string | undefined): string {
  const sameHostSockets =
    host !== undefined && /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)
      ? ` ws://${host} wss://${host}`
      : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    `connect-src 'self'${sameHostSockets}`,
    // GraphiQL's stylesheet embeds its fonts and a few icons as data: URLs.
    "img-src 'self' data:",
    "font-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function sendAsset(req: Request, res: Response, asset: Asset): void {
  const chosen =
    asset.gzip !== undefined && req.acceptsEncodings('gzip', 'identity') === 'gzip' ? asset.gzip : asset.identity;
  res.set({
    'Content-Type': asset.contentType,
    ETag: chosen.etag,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  if (asset.gzip !== undefined) {
    res.set('Vary', 'Accept-Encoding');
  }
  if (chosen === asset.gzip) {
    res.set('Content-Encoding', 'gzip');
  }
  if (matchesIfNoneMatch(req.headers['if-none-match'], chosen.etag)) {
    res.status(304).end();
    return;
  }
  res.status(200).set('Content-Length', String(chosen.body.length));
  res.end(chosen.body);
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2), so a `W/` prefix from a proxy still matches. */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) {
    return false;
  }
  return header
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || tag.replace(/^W\//, '') === etag);
}

function identityAsset(contentType: string, body: Buffer): Asset {
  return { contentType, identity: { body, etag: strongEtag(body, '') }, gzip: undefined };
}

async function loadPackageFile(spec: PackageFile): Promise<Asset> {
  let body: Buffer;
  try {
    const packageDir = dirname(requireFromHere.resolve(`${spec.packageName}/package.json`));
    body = await readFile(join(packageDir, spec.file));
  } catch (error) {
    throw new Error(
      `GraphiQL IDE asset ${spec.packageName}/${spec.file} could not be read; ` +
        'the IDE needs graphiql@4 and the UMD builds of react@18 and react-dom@18 (React 19 ships none)',
      { cause: error },
    );
  }
  const compressed = await gzipAsync(body, { level: 9 });
  // The gzip copy gets its own validator: a strong ETag names one exact byte sequence.
  return {
    contentType: spec.contentType,
    identity: { body, etag: strongEtag(body, '') },
    gzip: { body: compressed, etag: strongEtag(body, '-gzip') },
  };
}

function strongEtag(body: Buffer, suffix: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}${suffix}"`;
}

/** Memoizes an async load; a failure is not remembered, so fixing the installation needs no restart. */
function onceUnlessFailed<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${String(char.charCodeAt(0))};`);
}
