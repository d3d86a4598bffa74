import type { Access } from './access.js';
import type { OwnershipMemo } from './ownership-memo.js';
import type { Config } from '../config.js';
import type { Api } from '../datasources/datasource-api.js';
import type { ObjectStore } from '../datasources/object-store/object-store.js';
import type { ObjectLoaders } from '../datasources/object-store/object.loaders.js';
import type { KinesisArchivedMediaDataSource } from '../datasources/kinesis/kinesis-archived-media.datasource.js';
import type { KinesisVideoDataSource } from '../datasources/kinesis/kinesis-video.datasource.js';
import type { StreamLoaders } from '../datasources/kinesis/stream.loaders.js';
import type { DvrSessionsDataSource } from '../datasources/livestream/dvr-sessions.datasource.js';
import type { LiveStreamDataSource } from '../datasources/livestream/livestream.datasource.js';
import type { OciMediaServicesDataSource } from '../datasources/oci/oci-media-services.datasource.js';
import type { OciMediaStreamsDataSource } from '../datasources/oci/oci-media-streams.datasource.js';
import type { OciLoaders } from '../datasources/oci/oci.loaders.js';
import type { LiveStreamLoaders } from '../datasources/livestream/livestream.loaders.js';
import type { FragmentHub } from '../live/live.types.js';
import type { CursorCodec } from '../pagination/cursor-codec.js';
import type { Logger } from '../core/logger.js';
import type { UrlSigner } from './signed-url.js';

export type { Api } from '../datasources/datasource-api.js';

/**
 * Long-lived dependencies shared by every request. Built once at startup. A request context holds the
 * caller's view of these (`servicesFor`), never the process-wide ones.
 */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly objectStore: ObjectStore;
  readonly cursors: CursorCodec;
  /** Owners the providers named for resources whose names do not say; the tenant boundary reads and feeds it. */
  readonly owners: OwnershipMemo;
  readonly urls: Api<UrlSigner>;
  readonly kinesis: {
    readonly control: Api<KinesisVideoDataSource>;
    readonly archived: Api<KinesisArchivedMediaDataSource>;
  };
  /** Live fragment fan-out: one upstream reader per stream for the whole process. */
  readonly hub: FragmentHub;
  /** Google Cloud Live Stream; undefined when it is neither configured nor emulated. */
  readonly livestream:
    | {
        readonly api: Api<LiveStreamDataSource>;
        readonly dvr: Api<DvrSessionsDataSource>;
        /** `projects/{project}/locations/{location}` that lists use when a query names none. */
        readonly defaultParent: string;
      }
    | undefined;
  /** OCI Media Services / Media Streams; undefined when OCI is neither configured nor emulated. */
  readonly oci:
    | {
        readonly mediaServices: Api<OciMediaServicesDataSource>;
        readonly mediaStreams: Api<OciMediaStreamsDataSource>;
        /** Compartment lists use when the query names none. */
        readonly defaultCompartmentId: string | undefined;
      }
    | undefined;
}

/** What every resolver receives as its context. Lifetime: one GraphQL operation (one HTTP request or subscription). */
export interface RequestContext {
  /** The caller's view of the services: every provider call through it is checked against `access`. */
  readonly services: Services;
  /** Who is calling and what they may reach. */
  readonly access: Access;
  readonly loaders: ObjectLoaders & StreamLoaders & OciLoaders & LiveStreamLoaders;
  /** Aborts when the client goes away or the server shuts down; passed to every upstream call. */
  readonly signal: AbortSignal;
}

