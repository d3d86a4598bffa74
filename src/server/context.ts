import type { Config } from '../config.js';
import type { ObjectStore } from '../datasources/object-store/object-store.js';
import { createObjectLoaders, type ObjectLoaders } from '../datasources/object-store/object.loaders.js';
import type { KinesisArchivedMediaDataSource } from '../datasources/kinesis/kinesis-archived-media.datasource.js';
import type { KinesisVideoDataSource } from '../datasources/kinesis/kinesis-video.datasource.js';
import { createStreamLoaders, type StreamLoaders } from '../datasources/kinesis/stream.loaders.js';
import type { DvrSessionsDataSource } from '../datasources/livestream/dvr-sessions.datasource.js';
import type { LiveStreamDataSource } from '../datasources/livestream/livestream.datasource.js';
import type { OciMediaServicesDataSource } from '../datasources/oci/oci-media-services.datasource.js';
import type { OciMediaStreamsDataSource } from '../datasources/oci/oci-media-streams.datasource.js';
import { createOciLoaders, type OciLoaders } from '../datasources/oci/oci.loaders.js';
import { createLiveStreamLoaders, type LiveStreamLoaders } from '../datasources/livestream/livestream.loaders.js';
import type { FragmentHub } from '../live/live.types.js';
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
  readonly kinesis: {
    readonly control: KinesisVideoDataSource;
    readonly archived: KinesisArchivedMediaDataSource;
  };
  /** Live fragment fan-out: one upstream reader per stream for the whole process. */
  readonly hub: FragmentHub;
  /** Google Cloud Live Stream; undefined when it is neither configured nor emulated. */
  readonly livestream:
    | {
        readonly api: LiveStreamDataSource;
        readonly dvr: DvrSessionsDataSource;
        /** `projects/{project}/locations/{location}` that lists use when a query names none. */
        readonly defaultParent: string;
      }
    | undefined;
  /** OCI Media Services / Media Streams; undefined when OCI is neither configured nor emulated. */
  readonly oci:
    | {
        readonly mediaServices: OciMediaServicesDataSource;
        readonly mediaStreams: OciMediaStreamsDataSource;
        /** Compartment lists use when the query names none. */
        readonly defaultCompartmentId: string | undefined;
      }
    | undefined;
}

/** What every resolver receives as its context. Lifetime: one GraphQL operation (one HTTP request or subscription). */
export interface RequestContext {
  readonly services: Services;
  readonly loaders: ObjectLoaders & StreamLoaders & OciLoaders & LiveStreamLoaders;
  /** Aborts when the client goes away or the server shuts down; passed to every upstream call. */
  readonly signal: AbortSignal;
}

/** Builds a fresh per-operation context (new DataLoader caches). */
export function createRequestContext(services: Services, signal: AbortSignal): RequestContext {
  return {
    services,
    signal,
    loaders: {
      ...createObjectLoaders(services.objectStore, { concurrency: services.config.describeConcurrency, signal }),
      ...createStreamLoaders(services.kinesis.control, signal),
      ...createOciLoaders(services.oci?.mediaServices, signal),
      ...createLiveStreamLoaders(services.livestream, signal),
    },
  };
}
