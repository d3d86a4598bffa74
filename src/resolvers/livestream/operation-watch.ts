import {
  rereadLiveStreamOperation,
  type LiveStreamSources,
  type ReadOperation,
} from '../../datasources/livestream/livestream.loaders.js';
import { backoffDelay, type BackoffPolicy } from '../../core/backoff.js';
import { sleep } from '../../datasources/livestream/livestream.retry.js';
import type { LongRunningOperation } from '../../datasources/livestream/livestream.types.js';

/** Polling of a watched operation: 250 ms growing x1.5, never more than 5 s between polls. */
export const OPERATION_WATCH_POLL: BackoffPolicy = { initialDelayMs: 250, maxDelayMs: 5_000, multiplier: 1.5 };

/** What a change of an operation is judged by: everything a client can see of it. */
function fingerprint(operation: LongRunningOperation): string {
  return JSON.stringify([operation.done, operation.error, operation.metadata, operation.result]);
}

/**
 * The states of an operation, starting with `first` (already read): polls with backoff (bounded by
 * `policy.maxDelayMs`, reset after every change), yields each state that differs from the previous one, and ends
 * after yielding a done state. Polls stop when `signal` aborts (the subscriber left), and so does the iteration
 * (with an AbortError).
 *
 * @throws DomainError from a poll (e.g. NOT_FOUND once the operation is gone), AbortError when `signal` aborts.
 */
export async function* watchOperation(
  sources: LiveStreamSources,
  first: ReadOperation,
  signal: AbortSignal,
  policy: BackoffPolicy = OPERATION_WATCH_POLL,
): AsyncGenerator<LongRunningOperation, void, undefined> {
  const name = first.operation.name;
  let last = fingerprint(first.operation);
  yield first.operation;
  if (first.operation.done) return;
  for (let n = 0; ; n += 1) {
    await sleep(backoffDelay(policy, n), signal);
    const operation = await rereadLiveStreamOperation(sources, first.via, name, { signal });
    const current = fingerprint(operation);
    if (current !== last) {
      last = current;
      n = -1;
      yield operation;
    }
    if (operation.done) return;
  }
}
