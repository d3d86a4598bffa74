/**
 * Documented limits of the AWS Elemental MediaStore Data plane (API version 2017-09-01), as the emulator
 * enforces them. Sources: the API reference (PutObject, ListItems, GetObject) and the user guide
 * (folders, uploading objects). "MB" in the documentation is read as MiB (2^20 bytes); the docs do not
 * say which, and the binary reading is the more permissive one for an emulator that must never reject
 * what the real service accepted.
 */

/** Largest object body, in bytes, accepted for `x-amz-upload-availability: STANDARD` (documented 25 MB). */
export const MEDIASTORE_MAX_STANDARD_OBJECT_BYTES = 25 * 1024 * 1024;

/** Largest object body, in bytes, accepted for `x-amz-upload-availability: STREAMING` (documented 10 MB). */
export const MEDIASTORE_MAX_STREAMING_OBJECT_BYTES = 10 * 1024 * 1024;

/** Longest object or list path, in characters (`PathNaming` / `ListPathNaming`: max 900). */
export const MEDIASTORE_MAX_PATH_LENGTH = 900;

/** Folder levels allowed under the container (the `{0,10}` in the path pattern; user guide: up to 10 levels). */
export const MEDIASTORE_MAX_FOLDER_DEPTH = 10;

/** `ListItems` `MaxResults` bounds and the page size used when it is omitted (valid range 1..1000, default 1000). */
export const MEDIASTORE_LIST_MAX_RESULTS = 1000;

/** Lifetime of a `ListItems` `NextToken`, in milliseconds ("Tokens expire after 15 minutes"). */
export const MEDIASTORE_LIST_TOKEN_TTL_MS = 15 * 60 * 1000;

/** Time, in milliseconds, within which a PutObject body must arrive completely before MediaStore cancels it (30 s). */
export const MEDIASTORE_UPLOAD_TIMEOUT_MS = 30 * 1000;

/** The only storage class the service defines (`x-amz-storage-class`). */
export const MEDIASTORE_STORAGE_CLASS = 'TEMPORAL';
