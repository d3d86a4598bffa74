/**
 * Documented Amazon S3 limits (API version 2006-03-01) as the emulator enforces them. Sources: the S3 API
 * reference (ListObjectsV2, PutObject, UploadPart, ListMultipartUploads) and the user guide's "Amazon S3
 * multipart upload limits" table. Sizes are binary (MiB, GiB), as the user guide writes them.
 */

/** Largest `max-keys` honoured by ListObjectsV2, and the page size when it is omitted. Larger values are capped. */
export const S3_MAX_KEYS = 1000;

/** Largest `max-uploads` honoured by ListMultipartUploads, and its default. */
export const S3_MAX_UPLOADS_LISTED = 1000;

/** Smallest part of a multipart upload, in bytes, except the last part (which may be smaller). */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;

/** Largest part of a multipart upload, in bytes. */
export const S3_MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

/** Part numbers run from 1 to this, inclusive; also the most parts one upload may have. */
export const S3_MAX_PARTS = 10_000;

/** Largest object a single PutObject may upload, in bytes (larger objects need a multipart upload). */
export const S3_MAX_PUT_OBJECT_BYTES = 5 * 1024 * 1024 * 1024;

/** Longest object key, in bytes of its UTF-8 encoding. */
export const S3_MAX_KEY_BYTES = 1024;

/** Longest lifetime of a presigned URL (`X-Amz-Expires`), in seconds: seven days. */
export const S3_MAX_PRESIGN_EXPIRES_SECONDS = 7 * 24 * 3600;

/** Content type stored when a PutObject or CreateMultipartUpload names none. */
export const S3_DEFAULT_CONTENT_TYPE = 'binary/octet-stream';
