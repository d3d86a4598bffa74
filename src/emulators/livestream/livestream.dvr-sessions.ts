import type { ResourceContext } from './livestream.assets.js';
import type { ListRequest, ListSchema } from './livestream.list-query.js';
import { listPage } from './livestream.list-query.js';
import { optionalRequestId, parseChannelName, parseDvrSessionName, requireResourceId } from './livestream.names.js';
import { LiveStreamRpcError, invalidArgument } from './livestream.status.js';
import type { StoredChannel, StoredDvrSession, StoredDvrWindow, StoredOperation } from './livestream.store.js';
import { dvrSessionState } from './livestream.store.js';

/**
 * DVR sessions (`projects.locations.channels.dvrSessions`), transport-neutral; the REST layer decodes bodies into
 * {@link DvrSessionBody} and renders the records. Rules follow the REST reference and the "Create and manage DVR
 * sessions" guide; PROTOCOL.md marks emulator choices.
 */

/** The client-settable parts of a DvrSession body, decoded. `undefined` = absent from the body. */
export interface DvrSessionBody {
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** `dvrManifests[].manifestKey`. */
  readonly manifestKeys: readonly string[] | undefined;
  /** `dvrWindows[].timeInterval`, epoch ms. */
  readonly windows: readonly StoredDvrWindow[] | undefined;
}

const DVR_STATES = ['STATE_UNSPECIFIED', 'PENDING', 'UPDATING', 'SCHEDULED', 'LIVE', 'FINISHED', 'FAILED', 'DELETING', 'POST_PROCESSING', 'COOLDOWN', 'STOPPING'] as const;

/** Filterable and sortable fields of DVR sessions; `state` is evaluated at `now`. */
function dvrSessionSchema(now: number): ListSchema<StoredDvrSession> {
  return {
    name: (session) => session.name,
    labels: (session) => session.labels,
    fields: {
      name: { type: 'string', get: (session) => session.name, sortable: true },
      state: { type: 'enum', get: (session) => dvrSessionState(session, now), values: DVR_STATES, sortable: true },
      create_time: { type: 'timestamp', get: (session) => session.createTime, sortable: true },
      update_time: { type: 'timestamp', get: (session) => session.updateTime, sortable: true },
    },
  };
}

function requireChannel(ctx: ResourceContext, name: string): StoredChannel {
  parseChannelName(name);
  const channel = ctx.store.channels.get(name);
  if (channel === undefined) throw new LiveStreamRpcError('NOT_FOUND', `Channel ${name} not found.`);
  return channel;
}

function requireWindows(windows: readonly StoredDvrWindow[] | undefined): readonly StoredDvrWindow[] {
  if (windows === undefined || windows.length === 0) throw invalidArgument('dvrWindows must hold at least one window');
  for (const window of windows) {
    if (!(window.startTime < window.endTime)) throw invalidArgument('every dvrWindows[].timeInterval needs startTime before endTime');
  }
  return windows.map((window) => ({ ...window }));
}

function outputUri(channel: StoredChannel, sessionId: string, fileName: string): string {
  // Documented: {channel.output.uri}/dvr/{dvrSessionId}/{channel.manifests.fileName}
  return `${channel.outputUri.replace(/\/+$/, '')}/dvr/${sessionId}/${fileName}`;
}

/**
 * dvrSessions.create: the session starts PENDING; its operation makes it follow its windows (SCHEDULED, LIVE,
 * FINISHED) or FAILED when an `operationFailure` fault is planned.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT (ids, manifests, windows), NOT_FOUND (channel), FAILED_PRECONDITION
 *   (channel without retention config), ALREADY_EXISTS.
 */
export function createDvrSession(
  ctx: ResourceContext,
  parent: string,
  sessionId: string,
  requestIdInput: string | undefined,
  body: DvrSessionBody,
): StoredOperation {
  parseChannelName(parent);
  const requestId = optionalRequestId(requestIdInput);
  const earlier = ctx.store.findByRequestId('CreateDvrSession', requestId);
  if (earlier !== undefined) return earlier;
  requireResourceId(sessionId, 'dvrSessionId');
  const channel = requireChannel(ctx, parent);
  if (channel.retentionWindowSeconds === undefined) {
    throw new LiveStreamRpcError('FAILED_PRECONDITION', `Channel ${parent} has no retention config; DVR sessions need one.`);
  }
  const keys = body.manifestKeys ?? [];
  if (keys.length !== 1) throw invalidArgument('dvrManifests must hold exactly one manifest');
  const manifests = keys.map((key) => {
    const manifest = channel.manifests.find((candidate) => candidate.key === key);
    if (manifest === undefined) throw invalidArgument(`dvrManifests[].manifestKey ${JSON.stringify(key)} is not a manifest key of the channel`);
    return { manifestKey: key, outputUri: outputUri(channel, sessionId, manifest.fileName) };
  });
  const windows = requireWindows(body.windows);
  const name = `${parent}/dvrSessions/${sessionId}`;
  if (ctx.store.dvrSessions.has(name)) throw new LiveStreamRpcError('ALREADY_EXISTS', `DVR session ${name} already exists.`);
  const now = ctx.store.now();
  const session: StoredDvrSession = {
    name,
    parent,
    id: sessionId,
    createTime: now,
    updateTime: now,
    labels: { ...body.labels },
    phase: 'PENDING',
    error: undefined,
    manifests,
    windows,
  };
  ctx.store.dvrSessions.set(name, session);
  return ctx.store.startOperation('CreateDvrSession', name, 'create', requestId, ctx.faults.takeOperationFailure('CreateDvrSession'), {
    complete: () => {
      session.phase = 'READY';
      session.updateTime = ctx.store.now();
      return { type: 'DvrSession', session: { ...session } };
    },
    fail: (status) => {
      session.phase = 'FAILED';
      session.error = status;
      session.updateTime = ctx.store.now();
    },
    cancel: () => {
      ctx.store.dvrSessions.delete(name);
    },
  });
}

/**
 * dvrSessions.get.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT for a malformed name, NOT_FOUND.
 */
export function getDvrSession(ctx: ResourceContext, name: string): StoredDvrSession {
  parseDvrSessionName(name);
  const session = ctx.store.dvrSessions.get(name);
  if (session === undefined) throw new LiveStreamRpcError('NOT_FOUND', `DVR session ${name} not found.`);
  return session;
}

/**
 * dvrSessions.list of one channel.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT (parent, page size, filter, order_by, page token), NOT_FOUND (channel).
 */
export function listDvrSessions(ctx: ResourceContext, parent: string, request: ListRequest): { items: StoredDvrSession[]; nextPageToken: string } {
  requireChannel(ctx, parent);
  const items = [...ctx.store.dvrSessions.values()].filter((session) => session.parent === parent);
  return listPage(items, request, dvrSessionSchema(ctx.store.now()), `dvrSessions\0${parent}`, ctx.pageSizes);
}

/**
 * dvrSessions.patch: only `dvrWindows` may be updated (documented). The session is UPDATING until the operation
 * applies the new windows; a failed or cancelled update keeps the old ones.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT (mask, windows), NOT_FOUND, FAILED_PRECONDITION while another
 *   operation runs on the session or after it failed.
 */
export function updateDvrSession(
  ctx: ResourceContext,
  name: string,
  updateMask: string,
  requestIdInput: string | undefined,
  body: DvrSessionBody,
): StoredOperation {
  parseDvrSessionName(name);
  const requestId = optionalRequestId(requestIdInput);
  const earlier = ctx.store.findByRequestId('UpdateDvrSession', requestId);
  if (earlier !== undefined) return earlier;
  const paths = updateMask.split(',').map((path) => path.trim()).filter((path) => path !== '');
  if (paths.length === 0) throw invalidArgument('updateMask is required');
  const unsupported = paths.filter((path) => path !== 'dvrWindows' && path !== 'dvr_windows');
  if (unsupported.length > 0) throw invalidArgument(`updateMask may only name dvrWindows, got ${unsupported.join(',')}`);
  const windows = requireWindows(body.windows);
  const session = getDvrSession(ctx, name);
  if (session.phase !== 'READY') {
    throw new LiveStreamRpcError('FAILED_PRECONDITION', `DVR session ${name} is ${session.phase.toLowerCase()} and cannot be updated now.`);
  }
  session.phase = 'UPDATING';
  session.updateTime = ctx.store.now();
  const restore = (): void => {
    session.phase = 'READY';
    session.updateTime = ctx.store.now();
  };
  return ctx.store.startOperation('UpdateDvrSession', name, 'update', requestId, ctx.faults.takeOperationFailure('UpdateDvrSession'), {
    complete: () => {
      session.windows = windows;
      restore();
      return { type: 'DvrSession', session: { ...session } };
    },
    fail: restore,
    cancel: restore,
  });
}

/**
 * dvrSessions.delete: the session is DELETING until its operation removes it; a failed or cancelled delete
 * restores its previous phase.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION while another operation runs on it.
 */
export function deleteDvrSession(ctx: ResourceContext, name: string, requestIdInput: string | undefined): StoredOperation {
  parseDvrSessionName(name);
  const requestId = optionalRequestId(requestIdInput);
  const earlier = ctx.store.findByRequestId('DeleteDvrSession', requestId);
  if (earlier !== undefined) return earlier;
  const session = getDvrSession(ctx, name);
  if (session.phase === 'PENDING' || session.phase === 'UPDATING' || session.phase === 'DELETING') {
    throw new LiveStreamRpcError('FAILED_PRECONDITION', `DVR session ${name} is ${session.phase.toLowerCase()}; retry when the operation is done.`);
  }
  const previous = session.phase;
  session.phase = 'DELETING';
  session.updateTime = ctx.store.now();
  const restore = (): void => {
    session.phase = previous;
    session.updateTime = ctx.store.now();
  };
  return ctx.store.startOperation('DeleteDvrSession', name, 'delete', requestId, ctx.faults.takeOperationFailure('DeleteDvrSession'), {
    complete: () => {
      ctx.store.dvrSessions.delete(name);
      return { type: 'Empty' };
    },
    fail: restore,
    cancel: restore,
  });
}
