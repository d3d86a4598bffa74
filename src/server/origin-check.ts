import type { VerifyClientCallbackAsync } from 'ws';
import type { Logger } from '../core/logger.js';

/**
 * WebSocket upgrades from a browser page of another origin are refused with 403 (RELIABILITY.md W8): a page the
 * user visits must not ride on their cookies or network position. Requests without `Origin` (non-browser
 * clients) and from the server's own origin pass, as do the configured `WS_ALLOWED_ORIGINS`.
 */
export function originCheck(allowed: readonly string[], logger: Logger): VerifyClientCallbackAsync {
  const extra = new Set(allowed);
  return (info, callback) => {
    const origin = info.origin;
    if (origin === undefined || origin === '' || extra.has(origin)) {
      callback(true);
      return;
    }
    let sameOrigin = false;
    try {
      // Host only, not scheme: behind a TLS-terminating proxy the page is https while this server sees plain http.
      // A cross-site page cannot choose the Host its browser sends, so the host alone tells same-site from foreign.
      sameOrigin = new URL(origin).host === info.req.headers.host;
    } catch {
      // An Origin that is not a URL is foreign by definition.
      sameOrigin = false;
    }
    if (!sameOrigin) logger.info({ origin }, 'WebSocket upgrade from a foreign origin refused');
    callback(sameOrigin, sameOrigin ? undefined : 403, sameOrigin ? undefined : 'Forbidden origin');
  };
}
