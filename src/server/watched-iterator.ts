import type { ExecutionResult } from 'graphql';

/** How a watched subscription ended: its source finished, the client stopped it, or it failed. */
export type SubscriptionEnd = 'completed' | 'closed' | 'error';

/** What {@link watchResults} reports. `end` is called once, whichever way the iterator ends. */
export interface ResultWatcher {
  /** Each result the iterator yields, before the transport sends it. */
  readonly result: (result: ExecutionResult) => void;
  readonly end: (how: SubscriptionEnd) => void;
}

/**
 * Wraps a subscription's result iterator so its results and its end are seen (metrics, the access log, traces),
 * passing every call through unchanged. The wrapper is its own async iterator, as graphql-ws and graphql-sse expect.
 */
export function watchResults(inner: AsyncIterableIterator<ExecutionResult>, watcher: ResultWatcher): AsyncIterableIterator<ExecutionResult> {
  let ended = false;
  const end = (how: SubscriptionEnd): void => {
    if (ended) return;
    ended = true;
    watcher.end(how);
  };
  const wrapped: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      try {
        const step = await inner.next();
        if (step.done === true) end('completed');
        else watcher.result(step.value);
        return step;
      } catch (error) {
        end('error');
        throw error;
      }
    },
    return: async (value?: unknown) => {
      end('closed');
      return inner.return === undefined ? { done: true, value: undefined } : inner.return(value);
    },
    throw: async (error?: unknown) => {
      end('error');
      if (inner.throw === undefined) throw error instanceof Error ? error : new Error(String(error));
      return inner.throw(error);
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  return wrapped;
}
