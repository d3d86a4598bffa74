import { randomUUID } from 'node:crypto';
import { badInput } from '../../core/domain-error.js';
import type { CallOptions } from '../object-store/object-store.js';
import {
  CHANNEL_NAME,
  DVR_SESSION_NAME,
  OPERATION_NAME,
  pageToken,
  requestIdFor,
  requireName,
  requirePageQuery,
  requireResourceId,
  runCall,
} from './livestream.call.js';
import type { LiveStreamRestClient } from './livestream.clients.js';
import { toDvrSession, toDvrSessionBody, toDvrWindowsBody, toOperationFromJson } from './livestream.mapper.js';
import type { BackoffPolicy } from '../../core/backoff.js';
import type { RetryPolicy } from './livestream.retry.js';
import { DEFAULT_OPERATION_POLL, DEFAULT_READ_RETRY, pollUntil, retryRead } from './livestream.retry.js';
import type { CreateDvrSessionInput, DvrSession, DvrWindow, ListQuery, LiveStreamPage, LongRunningOperation } from './livestream.types.js';
import type { MutationOptions, WaitOptions } from './livestream.datasource.js';

/** Options of {@link DvrSessionsDataSource}. */
export interface DvrSessionsDataSourceOptions {
  /** Deadline of one call, retries included, in ms. */
  readonly timeoutMs: number;
  /** Retry of idempotent reads (GET on 429/503 and network failures); default {@link DEFAULT_READ_RETRY}. */
  readonly retry?: RetryPolicy;
  /** Backoff between operation polls; default {@link DEFAULT_OPERATION_POLL}. */
  readonly poll?: BackoffPolicy;
  /** Request id generator for mutations; default `crypto.randomUUID`. */
  readonly newRequestId?: () => string;
}

type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const JSON_OBJECT = (value: unknown): Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function requireWindows(windows: readonly DvrWindow[]): readonly DvrWindow[] {
  if (windows.length === 0) throw badInput('A DVR session needs at least one window.');
  for (const window of windows) {
    if (Number.isNaN(window.startTime.getTime()) || Number.isNaN(window.endTime.getTime()) || !(window.startTime < window.endTime)) {
      throw badInput('Every DVR window must start before it ends.');
    }
  }
  return windows;
}

/**
 * DVR sessions of Live Stream channels over the REST API (`/v1/{channel}/dvrSessions`), through
 * google-auth-library's authorised `request()` with the same credentials as the gRPC client.
 *
 * Same contract as {@link LiveStreamDataSource}: one deadline per call, reads (GET) retried on
 * UNAVAILABLE/RESOURCE_EXHAUSTED with backoff, mutations sent once with a `requestId`, errors translated by the
 * shared table. Stateless apart from the client.
 *
 * Sessions come back as the REST API describes them: the retention view derived from the parent channel is not
 * read here (no GetChannel per call), so that a request reads each channel once through its loader and a channel
 * read that fails costs only the derived fields (see `DvrSessionsResolver`).
 */
export class DvrSessionsDataSource {
  private readonly retry: RetryPolicy;
  private readonly poll: BackoffPolicy;
  private readonly newRequestId: () => string;

  constructor(
    private readonly rest: LiveStreamRestClient,
    private readonly options: DvrSessionsDataSourceOptions,
  ) {
    this.retry = options.retry ?? DEFAULT_READ_RETRY;
    this.poll = options.poll ?? DEFAULT_OPERATION_POLL;
    this.newRequestId = options.newRequestId ?? randomUUID;
  }

  /**
   * Starts creating a DVR session; the operation completes with the session.
   *
   * @throws DomainError BAD_USER_INPUT (invalid input before any call; unknown manifest key; a channel without
   *   retention config), NOT_FOUND (channel), CONFLICT (the id exists), UPSTREAM_*.
   */
  async createDvrSession(input: CreateDvrSessionInput, options: MutationOptions = {}): Promise<LongRunningOperation> {
    requireName(input.channelName, CHANNEL_NAME, 'channel');
    requireResourceId(input.dvrSessionId, 'dvrSessionId');
    requireWindows(input.windows);
    const requestId = requestIdFor(options.requestId, this.newRequestId);
    const json = await this.mutate(options, 'POST', `${input.channelName}/dvrSessions`, { dvrSessionId: input.dvrSessionId, requestId }, toDvrSessionBody(input));
    return toOperationFromJson(json);
  }

  /** @throws DomainError BAD_USER_INPUT (bad name), NOT_FOUND, UPSTREAM_*. */
  async getDvrSession(name: string, options: CallOptions = {}): Promise<DvrSession> {
    requireName(name, DVR_SESSION_NAME, 'DVR session');
    return toDvrSession(await this.read(options, name, {}));
  }

  /**
   * One page of a channel's DVR sessions.
   *
   * @throws DomainError BAD_USER_INPUT (bad name, page size, filter, ordering, token), NOT_FOUND (channel), UPSTREAM_*.
   */
  async listDvrSessions(channelName: string, query: ListQuery, options: CallOptions = {}): Promise<LiveStreamPage<DvrSession>> {
    requireName(channelName, CHANNEL_NAME, 'channel');
    requirePageQuery(query);
    const params = { pageSize: String(query.pageSize), pageToken: query.pageToken, filter: query.filter, orderBy: query.orderBy };
    const page = JSON_OBJECT(await this.read(options, `${channelName}/dvrSessions`, params));
    const sessions = Array.isArray(page['dvrSessions']) ? (page['dvrSessions'] as unknown[]) : [];
    const token = typeof page['nextPageToken'] === 'string' ? page['nextPageToken'] : undefined;
    return { items: sessions.map((session) => toDvrSession(session)), nextPageToken: pageToken(token) };
  }

  /**
   * Replaces the session's windows (the only updatable field, `updateMask=dvrWindows`); the operation completes
   * with the updated session.
   *
   * @throws DomainError BAD_USER_INPUT (bad input; the session is busy or failed), NOT_FOUND, UPSTREAM_*.
   */
  async updateDvrSessionWindows(name: string, windows: readonly DvrWindow[], options: MutationOptions = {}): Promise<LongRunningOperation> {
    requireName(name, DVR_SESSION_NAME, 'DVR session');
    requireWindows(windows);
    const requestId = requestIdFor(options.requestId, this.newRequestId);
    const json = await this.mutate(options, 'PATCH', name, { updateMask: 'dvrWindows', requestId }, { dvrWindows: toDvrWindowsBody(windows) });
    return toOperationFromJson(json);
  }

  /**
   * Starts deleting the session; the operation completes with an `Empty` result.
   *
   * @throws DomainError BAD_USER_INPUT (bad name; the session is busy), NOT_FOUND, UPSTREAM_*.
   */
  async deleteDvrSession(name: string, options: MutationOptions = {}): Promise<LongRunningOperation> {
    requireName(name, DVR_SESSION_NAME, 'DVR session');
    const requestId = requestIdFor(options.requestId, this.newRequestId);
    return toOperationFromJson(await this.mutate(options, 'DELETE', name, { requestId }, undefined));
  }

  /**
   * The operation's current state over REST (`projects.locations.operations.get`), which decodes DVR session
   * results.
   *
   * @throws DomainError BAD_USER_INPUT (bad name), NOT_FOUND, UPSTREAM_*.
   */
  async getOperation(name: string, options: CallOptions = {}): Promise<LongRunningOperation> {
    requireName(name, OPERATION_NAME, 'operation');
    return toOperationFromJson(await this.read(options, name, {}));
  }

  /**
   * Polls the operation with backoff until it is done or `timeoutMs` has passed.
   *
   * @returns the last state seen (`done` false when the wait timed out).
   * @throws DomainError from a poll; AbortError when `signal` aborts.
   */
  async waitForOperation(name: string, options: WaitOptions): Promise<LongRunningOperation> {
    requireName(name, OPERATION_NAME, 'operation');
    return pollUntil(
      this.poll,
      Date.now() + options.timeoutMs,
      options.signal,
      () => this.getOperation(name, { signal: options.signal }),
      (operation) => operation.done,
    );
  }

  private read(options: CallOptions, path: string, params: Readonly<Record<string, string | undefined>>): Promise<unknown> {
    return runCall(this.options.timeoutMs, options.signal, (signal, deadlineAt) =>
      retryRead(this.retry, deadlineAt, signal, () => this.send('GET', path, params, undefined, signal)),
    );
  }

  private mutate(
    options: CallOptions,
    method: HttpMethod,
    path: string,
    params: Readonly<Record<string, string | undefined>>,
    body: unknown,
  ): Promise<unknown> {
    // Sent once: see LiveStreamDataSource.mutate.
    return runCall(this.options.timeoutMs, options.signal, (signal) => this.send(method, path, params, body, signal));
  }

  private async send(
    method: HttpMethod,
    path: string,
    params: Readonly<Record<string, string | undefined>>,
    body: unknown,
    signal: AbortSignal,
  ): Promise<unknown> {
    const defined = Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
    // Resource names keep their slashes; each segment is encoded on its own.
    const url = `${this.rest.baseUrl}/v1/${path.split('/').map(encodeURIComponent).join('/')}`;
    const response = await this.rest.auth.request<unknown>({
      url,
      method,
      params: defined,
      ...(body === undefined ? {} : { data: body }),
      signal,
      responseType: 'json',
      // No retries inside the HTTP client: reads are retried by retryRead, mutations never blindly.
      retry: false,
    });
    return response.data;
  }
}
