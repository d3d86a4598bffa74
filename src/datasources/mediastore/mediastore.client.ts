import { MediaStoreDataClient } from '@aws-sdk/client-mediastore-data';

/** How to build the MediaStore Data SDK client. */
export interface MediaStoreClientOptions {
  /** The container's data endpoint (or the embedded emulator's URL). */
  readonly endpoint: string;
  readonly region: string;
  /** Total attempts per call (1 = no retry). */
  readonly maxAttempts: number;
  /** Static credentials (emulators); `undefined` uses the SDK's default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

/**
 * Builds the SDK client the datasource gets injected. `adaptive` retry mode adds the SDK's client-side rate
 * limiter on top of jittered exponential backoff, which is what RELIABILITY.md M5 asks for on throttling.
 * Lifetime: the process; call `destroy()` at shutdown to close pooled sockets.
 */
export function createMediaStoreClient(options: MediaStoreClientOptions): MediaStoreDataClient {
  return new MediaStoreDataClient({
    endpoint: options.endpoint,
    region: options.region,
    maxAttempts: options.maxAttempts,
    retryMode: 'adaptive',
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  });
}
