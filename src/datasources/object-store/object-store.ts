import type { Readable } from 'node:stream';

/**
 * When an object being uploaded becomes readable. `STANDARD`: once the upload completes. `STREAMING`: after some
 * initial buffering, while the upload continues (chunked transfer; lower size limit on MediaStore).
 */
export type UploadAvailability = 'STANDARD' | 'STREAMING';

/** Metadata of a stored object, as a describe returns it. Paths are container-relative without a leading slash. */
export interface ObjectMetadata {
  readonly path: string;
  readonly eTag: string | undefined;
  readonly contentType: string | undefined;
  /** Size in bytes. */
  readonly contentLength: number | undefined;
  readonly lastModified: Date | undefined;
  readonly cacheControl: string | undefined;
}

/** One entry of a folder listing. */
export type ObjectEntry =
  | ({ readonly kind: 'object'; readonly name: string } & Omit<ObjectMetadata, 'cacheControl'> & {
        readonly cacheControl?: undefined;
      })
  | { readonly kind: 'folder'; readonly name: string; readonly path: string };

/** One provider page of a folder listing. */
export interface ObjectListPage {
  readonly entries: readonly ObjectEntry[];
  /** Opaque provider token for the next page, `undefined` at the end. */
  readonly nextToken: string | undefined;
}

/**
 * A readable object body. The caller owns `body` and must consume or destroy it; destroying it releases the
 * upstream request. `body` errors with a `DomainError` (`UPSTREAM_TIMEOUT` when the store stalls) or, when the
 * caller's signal aborted, an `AbortError`; it never ends early without an error.
 */
export interface ObjectBody {
  readonly metadata: ObjectMetadata;
  readonly body: Readable;
  /** `Content-Range` of a partial response (`bytes a-b/total`), `undefined` for a full body. */
  readonly contentRange: string | undefined;
  /**
   * Length of `body` in bytes, known for every stored object (full or ranged); `undefined` only while the object
   * is still being uploaded with `STREAMING` availability.
   */
  readonly bodyLength: number | undefined;
}

/** Input of {@link ObjectStore.put}. */
export interface PutObjectInput {
  readonly path: string;
  readonly body: Readable | Uint8Array;
  /** Body length in bytes; required for `STANDARD` availability with a stream body. */
  readonly contentLength: number | undefined;
  readonly contentType: string | undefined;
  readonly cacheControl: string | undefined;
  readonly uploadAvailability: UploadAvailability;
}

/** Result of {@link ObjectStore.put}. */
export interface PutObjectResult {
  readonly eTag: string | undefined;
  /** Hex SHA-256 of the stored bytes when the provider reports it. */
  readonly contentSha256: string | undefined;
}

/** Per-call options. `signal` aborts the upstream request (client went away, shutdown). */
export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}

/** Limits of one store implementation; checked before any upstream call. */
export interface ObjectStoreLimits {
  /** Largest `MaxResults`-style page size. */
  readonly maxListPageSize: number;
  /** Lifetime of list page tokens in ms, `undefined` if they do not expire. */
  readonly listTokenTtlMs: number | undefined;
  /** Largest object the store accepts for an upload availability, in bytes. */
  readonly maxObjectBytes: Readonly<Record<UploadAvailability, number>>;
}

/**
 * A provider-neutral object store (MediaStore Data today, S3 next). Paths are validated by
 * `parseObjectPath`/`parseFolderPath` before they reach an implementation; implementations add their
 * provider's own rules and translate provider errors into `DomainError`s through their error table.
 *
 * Every method throws `DomainError`: `NOT_FOUND`, `RANGE_NOT_SATISFIABLE`, `PAYLOAD_TOO_LARGE`, `BAD_USER_INPUT`,
 * `UPSTREAM_THROTTLED`, `UPSTREAM_UNAVAILABLE` or `UPSTREAM_TIMEOUT`; when the caller's signal aborts, an
 * `AbortError` instead (cancellation is not an upstream failure).
 *
 * Time limits, the same for every implementation (build transfers on `UpstreamExchange` in core/deadline.ts):
 * the per-call deadline (`UPSTREAM_TIMEOUT_MS`) covers a call up to its response headers, never a body in
 * flight. A body, downloaded or uploaded, then moves at the client's own pace and fails only when the store
 * makes no progress for `UPSTREAM_IDLE_TIMEOUT_MS` (sends nothing while there is room, or takes nothing while
 * bytes wait).
 */
export interface ObjectStore {
  /** Short provider name for logs and metrics (e.g. `mediastore`). */
  readonly provider: string;
  readonly limits: ObjectStoreLimits;
  /** Lists one folder level (folders and objects), in provider order. `folder` is '' for the root. */
  list(folder: string, page: { pageSize: number; token: string | undefined }, options?: CallOptions): Promise<ObjectListPage>;
  describe(path: string, options?: CallOptions): Promise<ObjectMetadata>;
  /** Opens the object's bytes; `range` is an HTTP `Range` header value (`bytes=...`). */
  get(path: string, range: string | undefined, options?: CallOptions): Promise<ObjectBody>;
  put(input: PutObjectInput, options?: CallOptions): Promise<PutObjectResult>;
  delete(path: string, options?: CallOptions): Promise<void>;
  /** Resolves when the store answers at all (any response proves reachability); throws when it cannot be reached. */
  checkReachable(options?: CallOptions): Promise<void>;
  /** Transfers straight between clients and the store (presigned URLs); `undefined` when the store has none. */
  readonly direct?: DirectTransfers | undefined;
}

/** One HTTP request a client sends straight to the store. Treat `url` as a secret until `expiresAt`. */
export interface DirectRequest {
  readonly url: string;
  readonly method: 'GET' | 'PUT';
  /** Headers the request must carry exactly as given (they are signed with it). */
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly expiresAt: Date;
}

/**
 * Presigned requests that move bytes between a client and the store without the gateway. Signing is local (no
 * upstream call); the store checks the signature and the expiry when the request arrives.
 */
export interface DirectTransfers {
  /** Largest body one direct upload may carry, in bytes (S3: one PUT, 5 GiB). */
  readonly maxUploadBytes: number;
  /** A GET of the object at `path` (the method is signed: a HEAD needs its own URL), valid for `ttlSeconds`. */
  download(path: string, ttlSeconds: number): Promise<DirectRequest>;
  /**
   * One PUT of the object at `path` storing `contentType` and `cacheControl` (both signed: the client must send
   * them as listed), valid for `ttlSeconds`. The PUT must carry `Content-Length`.
   */
  upload(path: string, grant: { readonly contentType: string | undefined; readonly cacheControl: string | undefined }, ttlSeconds: number): Promise<DirectRequest>;
}
