import type { Config } from '../config.js';
import type { ObjectStore } from '../datasources/object-store/object-store.js';
import { createObjectLoaders, type ObjectLoaders } from '../datasources/object-store/object.loaders.js';
import type { CursorCodec } from '../pagination/cursor-codec.js';
import type { Logger } from './logger.js';
import type { UrlSigner } from './signed-url.js';

/** Long-lived dependencies shared by every request. Built once at startup. */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly objectStore: ObjectStore;
  readonly cursors: CursorCodec;
  readonly urls: UrlSigner;
}

/** What every resolver receives as its context. Lifetime: one GraphQL operation (one HTTP request or subscription). */
export interface RequestContext {
  readonly services: Services;
  readonly loaders: ObjectLoaders;
  /** Aborts when the client goes away or the server shuts down; passed to every upstream call. */
  readonly signal: AbortSignal;
}

/** Builds a fresh per-operation context (new DataLoader caches). */
export function createRequestContext(services: Services, signal: AbortSignal): RequestContext {
  return {
    services,
    signal,
    loaders: createObjectLoaders(services.objectStore, { concurrency: services.config.describeConcurrency, signal }),
  };
}
