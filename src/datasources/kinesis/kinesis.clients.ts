import { KinesisVideoClient, type KinesisVideoClientConfig } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';

/** A credentials provider as the SDK clients take it: called for credentials, its answer cached until it expires. */
type CredentialsProvider = Extract<NonNullable<KinesisVideoClientConfig['credentials']>, (...args: never[]) => unknown>;

/** How to build the Kinesis Video SDK clients. */
export interface KinesisClientOptions {
  /** Control-plane endpoint override (emulator); undefined uses the regional AWS endpoint. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly maxAttempts: number;
  /**
   * Static credentials, or a provider the clients call (and cache until its answer expires, or until
   * {@link KinesisClients.refreshCredentials}); undefined uses the SDK's default chain.
   */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | CredentialsProvider | undefined;
}

/** The control-plane client plus per-data-endpoint media clients, cached by endpoint. */
export interface KinesisClients {
  readonly control: KinesisVideoClient;
  media(endpoint: string): KinesisVideoMediaClient;
  archived(endpoint: string): KinesisVideoArchivedMediaClient;
  /**
   * Resolves the credentials of every client again, bypassing their caches (`forceRefresh`), so the next signed
   * call uses fresh ones: after the service refused a call as not authorized (RELIABILITY.md K11), e.g. because a
   * session token was rotated. Rejects when the credential source fails.
   */
  refreshCredentials(): Promise<void>;
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
    ...(options.credentials === undefined
      ? {}
      : { credentials: typeof options.credentials === 'function' ? options.credentials : { ...options.credentials } }),
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
    refreshCredentials: async () => {
      const clients = [control, ...media.values(), ...archived.values()];
      await Promise.all(clients.map((client) => client.config.credentials({ forceRefresh: true })));
    },
    destroy: () => {
      control.destroy();
      for (const client of media.values()) client.destroy();
      for (const client of archived.values()) client.destroy();
    },
  };
}
