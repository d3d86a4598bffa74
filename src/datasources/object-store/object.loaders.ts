import DataLoader from 'dataloader';
import pLimit from 'p-limit';
import { isDomainError } from '../../core/domain-error.js';
import type { ObjectMetadata, ObjectStore } from './object-store.js';

/** Per-request loaders over an {@link ObjectStore}. */
export interface ObjectLoaders {
  /** Describes objects by validated path; resolves `null` for a missing object. Deduplicates within a request. */
  readonly describe: DataLoader<string, ObjectMetadata | null>;
}

/**
 * Creates the loaders for one request. MediaStore has no batch describe, so a batch becomes one describe per
 * distinct path with at most `concurrency` in flight; DataLoader's cache makes a repeated path cost nothing.
 * Lifetime: one GraphQL operation (never share across requests: the cache is not invalidated by writes).
 */
export function createObjectLoaders(
  store: ObjectStore,
  options: { readonly concurrency: number; readonly signal?: AbortSignal | undefined },
): ObjectLoaders {
  const limit = pLimit(options.concurrency);
  const describe = new DataLoader<string, ObjectMetadata | null>(
    (paths) =>
      Promise.all(
        paths.map((path) =>
          limit(async () => {
            try {
              return await store.describe(path, { signal: options.signal });
            } catch (error) {
              if (isDomainError(error) && error.code === 'NOT_FOUND') return null;
              return error instanceof Error ? error : new Error(String(error));
            }
          }),
        ),
      ),
    { maxBatchSize: 1000 },
  );
  return { describe };
}
