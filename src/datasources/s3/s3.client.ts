import { S3Client } from '@aws-sdk/client-s3';

/** How to build the S3 SDK client. */
export interface S3ClientOptions {
  /** An S3-compatible endpoint (the embedded emulator, s3rver, MinIO...); `undefined` uses AWS's regional endpoint. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** Path-style addressing (`https://host/bucket/key`) instead of virtual-hosted style (`https://bucket.host/key`). */
  readonly forcePathStyle: boolean;
  /** Total attempts per call (1 = no retry). */
  readonly maxAttempts: number;
  /** Static credentials (emulators); `undefined` uses the SDK's default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  /**
   * `presign` builds a client for presigned URLs only: checksums only where an operation requires them, since the
   * default would sign the checksum of an empty body into PUT URLs. Default `calls`.
   */
  readonly purpose?: 'calls' | 'presign';
}

/**
 * Builds the S3 client the datasource gets injected. `adaptive` retry mode adds the SDK's client-side rate limiter to
 * its jittered exponential backoff, which is what `SlowDown` bursts call for (reliability row B2).
 * Lifetime: the process; call `destroy()` at shutdown to close pooled sockets.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  return new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    maxAttempts: options.maxAttempts,
    retryMode: 'adaptive',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    ...(options.purpose === 'presign' ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
  });
}
