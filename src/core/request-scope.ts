import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './logger.js';

/**
 * What the code below the server knows about the request it is working for, without a parameter through every
 * layer: its id (sent to providers that take one, e.g. OCI's `opc-request-id`), its child logger, and the count of
 * upstream calls made for it (for the access log). Carried by async context from the HTTP middleware or the
 * subscription start down to the SDK call.
 */
export interface RequestScope {
  /** The request id (the caller's valid `x-request-id`, or one made up). */
  readonly requestId: string;
  /** The request's child logger (carries `reqId`). */
  readonly logger: Logger;
  /** Upstream calls made for this request so far; incremented by the upstream observer. */
  upstreamCalls: number;
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
