import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import type { Logger } from './logger.js';

/**
 * What the code below the server knows about the request it is working for, without a parameter through every
 * layer: its id (sent to providers that take one, e.g. OCI's `opc-request-id`), its child logger, and the count of
 * upstream calls made for it (for the access log). Carried by async context from the HTTP middleware, or the start
 * of a graphql-ws operation, down to the SDK call. The only async context of the process: OpenTelemetry's context
 * manager reads the trace position from here too (`RequestScopeContextManager` in `tracing.ts`).
 */
export interface RequestScope {
  /** The request id (the caller's valid `x-request-id`, or one made up). */
  readonly requestId: string;
  /** The request's child logger (carries `reqId`). */
  readonly logger: Logger;
  /** Upstream calls made for this request so far; incremented by the upstream observer. */
  upstreamCalls: number;
  /**
   * Where spans started for this request hang (see {@link RequestTrace}); set by the tracing middleware right after
   * the scope is made (graphql-ws: when the operation's scope is made), and absent when tracing is off. Kept here
   * rather than in an async context of OpenTelemetry's own: the server already re-enters this scope wherever a body
   * parser loses the async context, and a second AsyncLocalStorage would cost every promise of every request.
   */
  trace?: RequestTrace;
}

/** The trace position of one request. */
export interface RequestTrace {
  /**
   * The OpenTelemetry context a span started now for the request takes as its parent: the GraphQL operation's span
   * while exactly one operation of the request runs, else the request's own span. A context whose tracing is
   * suppressed for requests that are not traced (probes, scrapes).
   */
  parent(): Context;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` (and everything it starts asynchronously) inside `scope`. */
export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the request the current code works for; `undefined` outside any (startup, background readers). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` (and everything it starts asynchronously) outside any request scope and trace: for long-lived work a
 * request happens to start but does not own, such as a live reader every subscriber shares. Its upstream calls are
 * then neither counted for that request nor traced under it (they start traces of their own).
 */
export function runOutsideRequestScope<T>(fn: () => T): T {
  return storage.exit(() => context.with(ROOT_CONTEXT, fn));
}
