import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { TextDecoder } from 'node:util';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { RequestHandler } from 'express';
import { BodyError } from './body-errors.js';
import { exceedsJsonDepth, JsonDepthScanner } from './json-depth.js';

/** Options for {@link jsonBody}. */
export interface JsonBodyOptions {
  /** Largest body accepted, in bytes after decompression; a larger declared length is refused before reading. */
  readonly limitBytes: number;
  /** Deepest nesting of arrays and objects accepted (`GRAPHQL_JSON_MAX_DEPTH`). */
  readonly maxDepth: number;
  /** Media types read as JSON; a body of any other type is left unread and `req.body` undefined. */
  readonly types: readonly string[];
  /** Query-string parameters that carry JSON (GraphQL over GET: `variables`, `extensions`), held to the same depth. */
  readonly queryParameters?: readonly string[];
}

/**
 * Express middleware that reads a JSON request body into `req.body`, like `express.json({ strict: true })`, but
 * never builds a value nested deeper than `maxDepth` (RELIABILITY.md S16): the body is checked by
 * {@link JsonDepthScanner} chunk by chunk as it arrives, so a body of `[[[[…` is refused at its first bracket past
 * the limit, before it is buffered, let alone parsed. Query-string JSON parameters are checked the same way.
 *
 * Refusals go to `next(error)` as a {@link BodyError} at once, while the rest of the body is read off and discarded
 * (so the connection stays usable and nothing more is kept): `entity.too.large` (413) for a body over `limitBytes` (a declared `Content-Length` over it is refused
 * without reading), `entity.too.deep` (400) past `maxDepth`, `entity.parse.failed` (400) for a body that is not
 * one JSON object or array, or a corrupt compressed body, `charset.unsupported` / `encoding.unsupported` (415) for
 * a charset other than UTF-8/UTF-16 or a `Content-Encoding` other than gzip, deflate and br,
 * `request.size.invalid` and `request.aborted` (400) when the body ends short of its declared length or the
 * client goes away. An empty body reads as `{}`. Memory: at most `limitBytes` of text per request.
 */
export function jsonBody(options: JsonBodyOptions): RequestHandler {
  const types = [...options.types];
  const queryParameters = options.queryParameters ?? [];
  const tooDeep = (): BodyError =>
    new BodyError(
      'entity.too.deep',
      `The JSON in this request nests arrays and objects deeper than ${options.maxDepth} levels (GRAPHQL_JSON_MAX_DEPTH).`,
      400,
      { limit: 'jsonDepth', max: options.maxDepth },
    );
  return (req, _res, next) => {
    // Apollo's Express integration insists on the property being present, parsed or not (as body-parser leaves it).
    if (!('body' in req)) (req as { body?: unknown }).body = undefined;
    if (queryParameters.length > 0 && req.url.includes('?')) {
      const search = new URL(req.url, 'http://localhost').searchParams;
      if (queryParameters.some((name) => search.getAll(name).some((value) => exceedsJsonDepth(value, options.maxDepth)))) {
        next(tooDeep());
        return;
      }
    }
    if (req.readableEnded || !hasBody(req) || !req.is(types)) {
      next();
      return;
    }
    const decoder = textDecoder(req.headers['content-type']);
    if (decoder === undefined) {
      req.resume();
      next(new BodyError('charset.unsupported', 'The request body must be JSON in UTF-8 (or UTF-16).', 415));
      return;
    }
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    const inflate = decompressor(contentEncoding);
    if (inflate === null) {
      req.resume();
      next(new BodyError('encoding.unsupported', `Content-Encoding ${contentEncoding} is not supported; use gzip, deflate or br.`, 415));
      return;
    }
    const declared = inflate === undefined ? declaredLength(req) : undefined;
    const tooLarge = (): BodyError =>
      new BodyError('entity.too.large', 'Request body too large.', 413, { maxBytes: options.limitBytes });
    if (declared !== undefined && declared > options.limitBytes) {
      req.resume();
      next(tooLarge());
      return;
    }
    const source: Readable = inflate === undefined ? req : req.pipe(inflate);
    const scanner = new JsonDepthScanner(options.maxDepth);
    const pieces: string[] = [];
    let received = 0;
    let settled = false;
    const settle = (error: BodyError | undefined): void => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onSourceError);
      req.off('close', onClose);
      if (error === undefined) {
        const parsed = parseStrict(pieces.join(''));
        pieces.length = 0;
        if (parsed instanceof BodyError) next(parsed);
        else {
          (req as { body?: unknown }).body = parsed;
          next();
        }
        return;
      }
      pieces.length = 0;
      if (inflate !== undefined) {
        req.unpipe(inflate);
        inflate.destroy();
      }
      // With no `data` listener left, the rest of the body flows into the void; Node would not do this itself for
      // a request that was being read.
      req.resume();
      next(error);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > options.limitBytes) {
        settle(tooLarge());
        return;
      }
      const text = decoder.decode(chunk, { stream: true });
      if (!scanner.push(text)) {
        settle(tooDeep());
        return;
      }
      pieces.push(text);
    };
    const onEnd = (): void => {
      if (declared !== undefined && received !== declared) {
        settle(new BodyError('request.size.invalid', 'The request body did not match its Content-Length.', 400));
        return;
      }
      const rest = decoder.decode();
      if (!scanner.push(rest)) {
        settle(tooDeep());
        return;
      }
      pieces.push(rest);
      settle(undefined);
    };
    const onSourceError = (): void => settle(new BodyError('entity.parse.failed', 'Malformed request body.', 400));
    const onClose = (): void => {
      if (!req.complete) settle(new BodyError('request.aborted', 'The client closed the request before its body arrived.', 400));
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onSourceError);
    req.once('close', onClose);
  };
}

/** Whether the request has a body at all (a length or a transfer coding), as body-parser decides it. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number.parseInt(req.headers['content-length'] ?? '', 10));
}

function declaredLength(req: IncomingMessage): number | undefined {
  const length = Number.parseInt(req.headers['content-length'] ?? '', 10);
  return Number.isNaN(length) ? undefined : length;
}

/** A streaming decoder for the body's charset (UTF-8 when none is named), or undefined when it is not a UTF. */
function textDecoder(contentType: string | undefined): TextDecoder | undefined {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  const charset = (match?.[1] ?? match?.[2] ?? 'utf-8').toLowerCase();
  // JSON is a UTF (RFC 8259); anything else is refused without trying it.
  if (!charset.startsWith('utf-')) return undefined;
  try {
    return new TextDecoder(charset);
  } catch {
    // A label TextDecoder does not know (utf-7, utf-32): refused like any other unsupported charset.
    return undefined;
  }
}

/** The decompressor for a `Content-Encoding`: undefined for identity, null when unsupported. */
function decompressor(contentEncoding: string): Transform | undefined | null {
  switch (contentEncoding) {
    case 'identity':
      return undefined;
    case 'gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

/** Space, tab, line feed and carriage return: the only whitespace JSON allows (RFC 8259). */
const JSON_WHITESPACE: ReadonlySet<number> = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** JSON.parse of a body that must be an object or an array (empty reads as `{}`), as body-parser's strict mode. */
function parseStrict(text: string): unknown {
  if (text.length === 0) return {};
  let start = 0;
  while (start < text.length && JSON_WHITESPACE.has(text.charCodeAt(start))) start += 1;
  const first = text[start];
  if (first !== '{' && first !== '[') return new BodyError('entity.parse.failed', 'Malformed request body.', 400);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The parser's message quotes the body; clients get the fixed one.
    return new BodyError('entity.parse.failed', 'Malformed request body.', 400);
  }
}
