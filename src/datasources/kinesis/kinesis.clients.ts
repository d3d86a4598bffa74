import { KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';

/** How to build the Kinesis Video SDK clients. */
export interface KinesisClientOptions {
  /** Control-plane endpoint override (emulator); undefined uses the regional AWS endpoint. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly maxAttempts: number;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

/** The control-plane client plus per-data-endpoint media clients, cached by endpoint. */
export interface KinesisClients {
  readonly control: KinesisVideoClient;
  media(endpoint: string): KinesisVideoMediaClient;
  archived(endpoint: string): KinesisVideoArchivedMediaClient;
  /** Closes every client's sockets. */
  destroy(): void;
}

/**
 * Builds the Kinesis Video clients. GetMedia is never retried by the SDK (`maxAttempts: 1`): the live reader
 * owns its retry policy (token bucket, full-jitter backoff, resume token), and a hidden SDK retry would spend
 * the stream's 5 calls/s budget behind its back. Lifetime: the process; call `destroy()` at shutdown.
 */
export function createKinesisClients(options: KinesisClientOptions): KinesisClients {
  const common = {
    region: options.region,
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  };
  const control = new KinesisVideoClient({
    ...common,
    maxAttempts: options.maxAttempts,
    retryMode: 'adaptive',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
  const media = new Map<string, KinesisVideoMediaClient>();
  const archived = new Map<string, KinesisVideoArchivedMediaClient>();
  return {
    control,
    media: (endpoint) => {
      let client = media.get(endpoint);
      if (client === undefined) {
        client = new KinesisVideoMediaClient({ ...common, endpoint, maxAttempts: 1 });
        media.set(endpoint, client);
      }
      return client;
    },
    archived: (endpoint) => {
      let client = archived.get(endpoint);
      if (client === undefined) {
        client = new KinesisVideoArchivedMediaClient({ ...common, endpoint, maxAttempts: options.maxAttempts, retryMode: 'adaptive' });
        archived.set(endpoint, client);
      }
      return client;
    },
    destroy: () => {
      control.destroy();
      for (const client of media.values()) client.destroy();
      for (const client of archived.values()) client.destroy();
    },
  };
}
