import { LivestreamServiceClient } from '@google-cloud/livestream';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { GoogleAuth, UserRefreshClient } from 'google-auth-library';
import type { gaxios } from 'google-auth-library';

/**
 * Builds the Live Stream clients from configuration: the gRPC SDK client (assets, channels, operations) and an
 * authorised REST requester (DVR sessions, which the npm SDK predates), sharing one set of credentials.
 */

/** OAuth scope of the Live Stream API. */
export const LIVESTREAM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Public REST base URL. */
export const LIVESTREAM_REST_ENDPOINT = 'https://livestream.googleapis.com';

/** Where and how to connect. */
export type LiveStreamConnection =
  /**
   * The embedded emulator: plaintext gRPC and HTTP, a fixed bearer token (never refreshed, so nothing reaches a
   * Google token endpoint or the metadata server).
   */
  | {
      readonly mode: 'emulator';
      readonly host: string;
      readonly grpcPort: number;
      /** e.g. `http://127.0.0.1:43210` (no `/v1`). */
      readonly restEndpoint: string;
      /** Bearer token sent on REST calls; default `emulator-token`. */
      readonly accessToken?: string;
    }
  /** Google Cloud with Application Default Credentials (or a key file). */
  | {
      readonly mode: 'google';
      /** gRPC host override (e.g. a regional or private endpoint); default `livestream.googleapis.com`. */
      readonly apiEndpoint?: string;
      /** REST base URL override; default {@link LIVESTREAM_REST_ENDPOINT}. */
      readonly restEndpoint?: string;
      /** Service account key file; omitted = ADC (GOOGLE_APPLICATION_CREDENTIALS, gcloud, metadata server). */
      readonly keyFilename?: string;
      readonly projectId?: string;
    };

/** Something that sends an authorised HTTP request: google-auth-library's `GoogleAuth` and `OAuth2Client`. */
export interface AuthorizedRequester {
  request<T>(options: gaxios.GaxiosOptions): Promise<gaxios.GaxiosResponse<T>>;
}

/** The REST side: base URL and an authorised requester. */
export interface LiveStreamRestClient {
  /** Base URL without `/v1`. */
  readonly baseUrl: string;
  readonly auth: AuthorizedRequester;
}

/**
 * The metrics and breaker label of one REST request: the Live Stream method it calls, named as the API reference
 * does (`listDvrSessions`, `getDvrSession`, `createDvrSession`, `updateDvrSession`, `deleteDvrSession`,
 * `getOperation`), from the HTTP method and the last collection in the path. A path the datasource does not send
 * is `other`, so the label set stays bounded whatever the URL.
 */
export function liveStreamRestOperation(method: string | undefined, url: string): string {
  const segments = new URL(url, 'http://livestream.invalid').pathname.split('/').filter((segment) => segment !== '');
  const last = segments.at(-1) ?? '';
  const verb = (method ?? 'GET').toUpperCase();
  if (last === 'dvrSessions') return verb === 'GET' ? 'listDvrSessions' : verb === 'POST' ? 'createDvrSession' : 'other';
  const collection = segments.at(-2);
  if (collection === 'dvrSessions') {
    const byVerb: Readonly<Record<string, string>> = { GET: 'getDvrSession', PATCH: 'updateDvrSession', DELETE: 'deleteDvrSession' };
    return byVerb[verb] ?? 'other';
  }
  if (collection === 'operations' && verb === 'GET') return 'getOperation';
  return 'other';
}

/** The clients of one Live Stream connection. */
export interface LiveStreamClients {
  readonly grpc: LivestreamServiceClient;
  readonly rest: LiveStreamRestClient;
  /** Closes the gRPC channel. */
  close(): Promise<void>;
}

const NO_RETRY_PARAMS = {
  initial_retry_delay_millis: 100,
  retry_delay_multiplier: 1.3,
  max_retry_delay_millis: 60_000,
  initial_rpc_timeout_millis: 60_000,
  rpc_timeout_multiplier: 1,
  max_rpc_timeout_millis: 60_000,
  total_timeout_millis: 60_000,
};

type ClientOptions = NonNullable<ConstructorParameters<typeof LivestreamServiceClient>[0]>;
type ClientConfig = NonNullable<ClientOptions['clientConfig']>;
type ServiceConfig = NonNullable<ClientConfig['interfaces']>[string];

function noRetry(methods: readonly string[]): ServiceConfig {
  return {
    retry_codes: { none: [] },
    retry_params: { default: NO_RETRY_PARAMS },
    methods: Object.fromEntries(methods.map((method) => [method, { timeout_millis: 60_000, retry_codes_name: 'none', retry_params_name: 'default' }])),
  };
}

/**
 * gax call settings: no method the datasources use is retried by gax. The SDK's defaults differ per method (the
 * Operations client retries UNAVAILABLE and DEADLINE_EXCEEDED on every method, CancelOperation included) and
 * gax reports an exhausted retry budget as DEADLINE_EXCEEDED without the last status. Idempotent reads are
 * retried by the datasource instead (livestream.retry.ts); creates and deletes are never retried blindly, a
 * retry of ours reuses the request id.
 */
export const LIVESTREAM_CLIENT_CONFIG: ClientConfig = {
  interfaces: {
    'google.cloud.video.livestream.v1.LivestreamService': noRetry(['CreateAsset', 'DeleteAsset', 'GetAsset', 'ListAssets', 'GetChannel', 'ListChannels']),
    'google.longrunning.Operations': noRetry(['GetOperation', 'ListOperations', 'DeleteOperation', 'CancelOperation']),
  },
};

/**
 * Builds the clients for `connection`. Emulator mode needs no network besides the emulator: the gRPC channel is
 * plaintext (`sslCreds: createInsecure()`; gax then attaches no per-call credentials) and auth is an OAuth2
 * client holding a non-expiring token, passed as `authClient` so neither gax nor google-auth-library looks for
 * ADC or the metadata server.
 * Lifetime: the process; call `close()` at shutdown.
 */
export function createLiveStreamClients(connection: LiveStreamConnection): LiveStreamClients {
  if (connection.mode === 'emulator') {
    // An OAuth2 client holding a token and no refresh token never calls a token endpoint. UserRefreshClient (an
    // OAuth2Client) is used because gax types `authClient` as the clients ADC can produce.
    const auth = new UserRefreshClient();
    auth.setCredentials({ access_token: connection.accessToken ?? 'emulator-token', expiry_date: Number.MAX_SAFE_INTEGER, token_type: 'Bearer' });
    const grpc = new LivestreamServiceClient({
      apiEndpoint: connection.host,
      port: connection.grpcPort,
      sslCreds: grpcCredentials.createInsecure(),
      authClient: auth,
      clientConfig: LIVESTREAM_CLIENT_CONFIG,
    });
    return { grpc, rest: { baseUrl: connection.restEndpoint.replace(/\/+$/, ''), auth }, close: () => grpc.close() };
  }
  const auth = new GoogleAuth({
    scopes: [LIVESTREAM_SCOPE],
    ...(connection.keyFilename === undefined ? {} : { keyFilename: connection.keyFilename }),
    ...(connection.projectId === undefined ? {} : { projectId: connection.projectId }),
  });
  const grpc = new LivestreamServiceClient({
    auth,
    ...(connection.apiEndpoint === undefined ? {} : { apiEndpoint: connection.apiEndpoint }),
    clientConfig: LIVESTREAM_CLIENT_CONFIG,
  });
  return { grpc, rest: { baseUrl: (connection.restEndpoint ?? LIVESTREAM_REST_ENDPOINT).replace(/\/+$/, ''), auth }, close: () => grpc.close() };
}
