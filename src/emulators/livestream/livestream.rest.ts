import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceContext } from './livestream.assets.js';
import { listOperations } from './livestream.assets.js';
import { createDvrSession, deleteDvrSession, getDvrSession, listDvrSessions, updateDvrSession } from './livestream.dvr-sessions.js';
import type { LiveStreamFaultSchedule, LiveStreamOperation } from './livestream.faults.js';
import type { ListRequest } from './livestream.list-query.js';
import type { RecordedRequest } from './livestream.request-log.js';
import type { JsonObject } from './livestream.rest-json.js';
import { decodeDvrSessionBody, dvrSessionJson, operationJson } from './livestream.rest-json.js';
import { LiveStreamRpcError, RPC_STATUS_HTTP, invalidArgument } from './livestream.status.js';

/**
 * The REST side of the emulator (`/v1/...` of livestream.googleapis.com): the DVR session routes, which the npm
 * SDK predates, and the operations resource. Errors use Google's JSON error format.
 */

/** Largest request body accepted, in bytes (emulator choice). */
export const MAX_REST_BODY_BYTES = 1024 * 1024;

/** What the REST handler needs from the emulator. */
export interface RestContext extends ResourceContext {
  readonly faults: LiveStreamFaultSchedule;
  readonly now: () => number;
  readonly record: (request: RecordedRequest) => void;
  /** Require `Authorization: Bearer <token>` (default on: google-auth-library always sends it). */
  readonly requireAuthorization: boolean;
  readonly delay: (ms: number, run: () => void) => void;
  readonly onInternalError: (error: unknown) => void;
}

interface Route {
  readonly operation: LiveStreamOperation;
  /** The resource the path names (decoded), e.g. `projects/p/locations/l/channels/c/dvrSessions/d`. */
  readonly resource: string;
  /** The parent collection's owner: the channel for DVR sessions, the location for operations. */
  readonly parent: string;
}

const SEGMENT = '[^/:]+';
const DVR_COLLECTION = new RegExp(`^(projects/${SEGMENT}/locations/${SEGMENT}/channels/${SEGMENT})/dvrSessions$`);
const DVR_ITEM = new RegExp(`^(projects/${SEGMENT}/locations/${SEGMENT}/channels/${SEGMENT})/dvrSessions/${SEGMENT}$`);
const OPERATION_COLLECTION = new RegExp(`^(projects/${SEGMENT}/locations/${SEGMENT})/operations$`);
const OPERATION_ITEM = new RegExp(`^(projects/${SEGMENT}/locations/${SEGMENT})/operations/${SEGMENT}$`);
const OPERATION_CANCEL = new RegExp(`^((projects/${SEGMENT}/locations/${SEGMENT})/operations/${SEGMENT}):cancel$`);

/** Maps method and decoded path (after `/v1/`) to an operation. */
function route(method: string, path: string): Route {
  let match = DVR_COLLECTION.exec(path);
  if (match?.[1] !== undefined) {
    if (method === 'GET') return { operation: 'ListDvrSessions', resource: path, parent: match[1] };
    if (method === 'POST') return { operation: 'CreateDvrSession', resource: path, parent: match[1] };
  }
  match = DVR_ITEM.exec(path);
  if (match?.[1] !== undefined) {
    const parent = match[1];
    if (method === 'GET') return { operation: 'GetDvrSession', resource: path, parent };
    if (method === 'PATCH') return { operation: 'UpdateDvrSession', resource: path, parent };
    if (method === 'DELETE') return { operation: 'DeleteDvrSession', resource: path, parent };
  }
  match = OPERATION_COLLECTION.exec(path);
  if (match?.[1] !== undefined && method === 'GET') return { operation: 'ListOperations', resource: path, parent: match[1] };
  match = OPERATION_ITEM.exec(path);
  if (match?.[1] !== undefined && method === 'GET') return { operation: 'GetOperation', resource: path, parent: match[1] };
  match = OPERATION_CANCEL.exec(path);
  if (match?.[1] !== undefined && match[2] !== undefined && method === 'POST') {
    return { operation: 'CancelOperation', resource: match[1], parent: match[2] };
  }
  return { operation: 'Unknown', resource: path, parent: '' };
}

/** Decodes `/v1/a%2Fb/...` segment by segment; `undefined` when the path is not under `/v1/` or not decodable. */
function decodePath(pathname: string): string | undefined {
  if (!pathname.startsWith('/v1/')) return undefined;
  try {
    return pathname.slice(4).split('/').map(decodeURIComponent).join('/');
  } catch {
    return undefined;
  }
}

function listRequest(query: URLSearchParams): ListRequest {
  const size = query.get('pageSize') ?? '';
  if (size !== '' && !/^-?\d+$/.test(size)) throw invalidArgument(`Invalid value at 'page_size' (TYPE_INT32), "${size}"`);
  return { pageSize: size === '' ? 0 : Number(size), pageToken: query.get('pageToken') ?? '', filter: query.get('filter') ?? '', orderBy: query.get('orderBy') ?? '' };
}

function sendJson(res: ServerResponse, status: number, body: JsonObject): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes `error` in Google's JSON error format with the HTTP status its code maps to. */
function sendRestError(res: ServerResponse, error: LiveStreamRpcError): void {
  sendJson(res, RPC_STATUS_HTTP[error.status], { error: { code: RPC_STATUS_HTTP[error.status], message: error.message, status: error.status } });
}

/** Reads the whole body (bounded); resolves `undefined` when it exceeds {@link MAX_REST_BODY_BYTES}. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REST_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw invalidArgument('Invalid JSON payload received.');
  }
}

function dispatch(ctx: RestContext, target: Route, query: URLSearchParams, body: Buffer): { status: number; json: JsonObject } {
  const now = ctx.now();
  const requestId = query.get('requestId') ?? undefined;
  switch (target.operation) {
    case 'CreateDvrSession':
      return {
        status: 200,
        json: operationJson(createDvrSession(ctx, target.parent, query.get('dvrSessionId') ?? '', requestId, decodeDvrSessionBody(parseJson(body))), now),
      };
    case 'ListDvrSessions': {
      const page = listDvrSessions(ctx, target.parent, listRequest(query));
      return {
        status: 200,
        json: {
          ...(page.items.length === 0 ? {} : { dvrSessions: page.items.map((session) => dvrSessionJson(session, now)) }),
          ...(page.nextPageToken === '' ? {} : { nextPageToken: page.nextPageToken }),
        },
      };
    }
    case 'GetDvrSession':
      return { status: 200, json: dvrSessionJson(getDvrSession(ctx, target.resource), now) };
    case 'UpdateDvrSession':
      return {
        status: 200,
        json: operationJson(updateDvrSession(ctx, target.resource, query.get('updateMask') ?? '', requestId, decodeDvrSessionBody(parseJson(body))), now),
      };
    case 'DeleteDvrSession':
      return { status: 200, json: operationJson(deleteDvrSession(ctx, target.resource, requestId), now) };
    case 'GetOperation':
      return { status: 200, json: operationJson(ctx.store.getOperation(target.resource), now) };
    case 'ListOperations': {
      const page = listOperations(ctx, target.parent, listRequest(query));
      return {
        status: 200,
        json: {
          ...(page.items.length === 0 ? {} : { operations: page.items.map((operation) => operationJson(operation, now)) }),
          ...(page.nextPageToken === '' ? {} : { nextPageToken: page.nextPageToken }),
        },
      };
    }
    case 'CancelOperation':
      ctx.store.cancelOperation(target.resource);
      return { status: 200, json: {} };
    default:
      throw new LiveStreamRpcError('NOT_FOUND', 'The requested URL was not found on this server.');
  }
}

/**
 * Handles one REST request: record, read the body, authorization, faults (latency, status, stall), then the
 * route. Errors are answered only after the body has been read, so a client still sending sees the answer.
 */
export function handleRestRequest(ctx: RestContext, req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const path = decodePath(url.pathname);
  const target = path === undefined ? { operation: 'Unknown' as const, resource: url.pathname, parent: '' } : route(method, path);
  const requestId = url.searchParams.get('requestId');
  ctx.record({
    transport: 'rest',
    operation: target.operation,
    method,
    resource: target.resource,
    query: url.search.startsWith('?') ? url.search.slice(1) : '',
    requestId: requestId === null || requestId === '' ? undefined : requestId,
    at: ctx.now(),
  });
  readBody(req).then(
    (body) => {
      if (body === undefined) {
        sendRestError(res, invalidArgument('Request payload size exceeds the limit.'));
        return;
      }
      if (ctx.requireAuthorization && !/^Bearer \S+/.test(req.headers.authorization ?? '')) {
        sendRestError(res, new LiveStreamRpcError('UNAUTHENTICATED', 'Request is missing required authentication credential. Expected OAuth 2 access token.'));
        return;
      }
      const decision = ctx.faults.takeRequest(target.operation, 'rest');
      const proceed = (): void => {
        if (decision.terminal?.kind === 'stall') return;
        if (decision.terminal?.kind === 'status') {
          sendRestError(res, new LiveStreamRpcError(decision.terminal.status, decision.terminal.message ?? `Injected ${decision.terminal.status}.`));
          return;
        }
        try {
          const answer = dispatch(ctx, target, url.searchParams, body);
          sendJson(res, answer.status, answer.json);
        } catch (error: unknown) {
          if (error instanceof LiveStreamRpcError) {
            sendRestError(res, error);
            return;
          }
          ctx.onInternalError(error);
          sendRestError(res, new LiveStreamRpcError('INTERNAL', 'Internal error encountered.'));
        }
      };
      if (decision.latencyMs > 0) ctx.delay(decision.latencyMs, proceed);
      else proceed();
    },
    (error: unknown) => {
      // The client went away mid-body; there is nobody to answer.
      if (!res.destroyed) res.destroy(error instanceof Error ? error : new Error(String(error)));
    },
  );
}
