import type { Access } from './access.js';
import { servicesFor } from './tenant-services.js';
import type { RequestContext, Services } from './services.js';
import { createObjectLoaders } from '../datasources/object-store/object.loaders.js';
import { createStreamLoaders } from '../datasources/kinesis/stream.loaders.js';
import { createOciLoaders } from '../datasources/oci/oci.loaders.js';
import { createLiveStreamLoaders } from '../datasources/livestream/livestream.loaders.js';

export type { Api, RequestContext, Services } from './services.js';

/**
 * Builds a fresh per-operation context (new DataLoader caches) for the caller `access` describes. The context's
 * services and loaders are that caller's guarded view (see `servicesFor`).
 */
export function createRequestContext(processServices: Services, signal: AbortSignal, access: Access): RequestContext {
  const services = servicesFor(processServices, access);
  return {
    services,
    access,
    signal,
    loaders: {
      ...createObjectLoaders(services.objectStore, { concurrency: services.config.describeConcurrency, signal }),
      ...createStreamLoaders(services.kinesis.control, signal),
      ...createOciLoaders(services.oci?.mediaServices, signal),
      ...createLiveStreamLoaders(services.livestream, signal),
    },
  };
}
