import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Request, Response, Router } from 'express';
import type { Logger } from '../core/logger.js';

/** Where the console is mounted. */
export const CONSOLE_PATH = '/console';

/** Options of {@link createConsoleRouter}. */
export interface ConsoleOptions {
  /** `false` (`CONSOLE=off`) gives a router with no routes, so `/console` is a plain 404. */
  readonly enabled: boolean;
  /** Directory of the built console (`index.html`, `assets/`); defaults to the repository's `dist/console/`. */
  readonly directory?: string;
  readonly logger: Logger;
}

const TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * No inline script or style element and no eval: everything the page runs comes from `/console/assets/`. Styles
 * that React and uPlot set go through the CSSOM, which `style-src` does not restrict. `connect-src 'self'` covers
 * the GraphQL endpoint, its WebSocket on the same host (CSP Level 3) and signed object URLs of this gateway.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface StaticFile {
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * Serves the web console built by `npm run build` (console/ → dist/console/): `GET /console` redirects to
 * `/console/`, which is the page, and `GET /console/assets/<name>` its script and stylesheet. The page uses only the
 * public GraphQL API, so it needs no server code of its own. Files are read once, on first request, and served with a
 * strong ETag and `Cache-Control: no-cache`; the page carries a strict Content-Security-Policy. When the console was
 * not built the page answers 503 saying so (logged once as a warning); unknown assets are 404. Never throws.
 */
export function createConsoleRouter(options: ConsoleOptions): Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  if (!options.enabled) return router;
  const directory = options.directory ?? defaultDirectory();
  const files = new Map<string, Promise<StaticFile | undefined>>();
  let warned = false;
  const load = (relative: string): Promise<StaticFile | undefined> => {
    let pending = files.get(relative);
    if (pending === undefined) {
      pending = readFile(join(directory, relative)).then(
        (body) => ({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }),
        (error: unknown) => {
          files.delete(relative);
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.logger.error({ err: error, file: relative }, 'console file unreadable');
          return undefined;
        },
      );
      files.set(relative, pending);
    }
    return pending;
  };

  router.get(CONSOLE_PATH, (_req, res) => res.redirect(301, `${CONSOLE_PATH}/`));
  router.get(`${CONSOLE_PATH}/`, (req, res) => {
    void load('index.html').then((file) => {
      if (file === undefined) {
        if (!warned) options.logger.warn({ directory }, 'the console is not built; run npm run build');
        warned = true;
        plain(res, 503, 'The console is not built: run npm run build.');
        return;
      }
      res.set({ 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'Referrer-Policy': 'no-referrer', 'Cross-Origin-Opener-Policy': 'same-origin' });
      send(req, res, file, 'text/html; charset=utf-8');
    });
  });
  router.get(`${CONSOLE_PATH}/assets/:name`, (req, res) => {
    const { name } = req.params;
    const type = /^[\w-]+\.(js|css)$/.exec(name ?? '')?.[1];
    if (name === undefined || type === undefined) {
      plain(res, 404, 'Not found');
      return;
    }
    void load(join('assets', name)).then((file) => {
      if (file === undefined) plain(res, 404, 'Not found');
      else send(req, res, file, TYPES[type] ?? 'application/octet-stream');
    });
  });
  return router;
}

/** `dist/console/` of the package, whether this module runs compiled (dist/src/server/) or from source (src/server/). */
function defaultDirectory(): string {
  const above = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return basename(above) === 'dist' ? join(above, 'console') : join(above, 'dist', 'console');
}

function send(req: Request, res: Response, file: StaticFile, contentType: string): void {
  res.set({ 'Content-Type': contentType, ETag: file.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  if (req.headers['if-none-match']?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag) === true) {
    res.status(304).end();
    return;
  }
  res.status(200).set('Content-Length', String(file.body.length));
  res.end(file.body);
}

function plain(res: Response, status: number, text: string): void {
  res.status(status).set({ 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}
