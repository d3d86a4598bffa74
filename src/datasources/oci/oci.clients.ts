import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  MaxAttemptsTerminationStrategy,
  SimpleAuthenticationDetailsProvider,
  type ClientConfiguration,
  type DelayStrategy,
  type OciError,
  type RetryConfiguration,
} from 'oci-common';
import { LRUCache } from 'lru-cache';
import { MediaServicesClient, MediaStreamClient } from 'oci-mediaservices';
import { backoffDelay, type BackoffPolicy } from '../../core/backoff.js';
import { toMediaStreamsEndpoint } from './oci.mapper.js';
import { SigningHttpClient } from './oci.http-client.js';

/** Where the API private key comes from: inline PEM (e.g. from an environment variable) or a PEM file. */
export type OciPrivateKeySource = { readonly pem: string; readonly path?: undefined } | { readonly path: string; readonly pem?: undefined };

/** The API key identity requests are signed with. */
export interface OciCredentials {
  readonly tenancyId: string;
  readonly userId: string;
  /** Fingerprint of the public key uploaded for the user, e.g. `20:3b:97:...`. */
  readonly fingerprint: string;
  /** Unencrypted or encrypted (with `passphrase`) PEM private key. A secret: never log it. */
  readonly privateKeyPem: string;
  readonly passphrase?: string | undefined;
}

/** How to build the OCI clients. */
export interface OciClientsOptions {
  readonly credentials: OciCredentials;
  /** Region identifier, e.g. `us-ashburn-1`; sets the control-plane endpoint unless `endpoint` is given. */
  readonly region: string;
  /** Control-plane base URL override (the emulator, a private endpoint), without `/20211101`. */
  readonly endpoint?: string | undefined;
  /**
   * Maps a distribution channel's `domainName` to its Media Streams base URL; default
   * `https://<domainName>`. The emulator maps every domain to itself (`mediaStreamsEndpoint`).
   */
  readonly mediaStreamsEndpoint?: ((domainName: string) => string) | undefined;
  /** Total attempts per call, 1 = no retry. Retried: 429 TooManyRequests, 409 IncorrectState, 5xx, no response. */
  readonly maxAttempts: number;
  /** First retry delay cap in ms (full jitter, doubling per attempt); default 200. */
  readonly retryBaseDelayMs?: number | undefined;
  /** Largest retry delay in ms; default 5 000. */
  readonly retryMaxDelayMs?: number | undefined;
  /**
   * Most Media Streams clients kept (one per channel domain); the least recently used is closed and forgotten
   * first. Default {@link DEFAULT_MAX_MEDIA_STREAM_CLIENTS}.
   */
  readonly maxMediaStreamClients?: number | undefined;
}

/** Default {@link OciClientsOptions.maxMediaStreamClients}. */
export const DEFAULT_MAX_MEDIA_STREAM_CLIENTS = 1_000;

/** The OCI clients of one process. */
export interface OciClients {
  readonly mediaServices: MediaServicesClient;
  /**
   * The Media Streams client of one endpoint: created on first use, then reused while it is among the
   * `maxMediaStreamClients` most recently used (a client forgotten in the middle of a call still finishes it).
   */
  mediaStream(endpoint: string): MediaStreamClient;
  /** The Media Streams endpoint of a channel domain (see `OciClientsOptions.mediaStreamsEndpoint`). */
  mediaStreamsEndpoint(domainName: string): string;
  /** Fingerprint of the signing key (public; for log lines). */
  readonly keyFingerprint: string;
  /** Releases every client. */
  close(): void;
}

/**
 * Reads the API private key. Error messages name the source, never the key.
 *
 * @throws Error when the file cannot be read or the text is not a PEM private key (an encrypted key needs
 *   its passphrase).
 */
export async function loadOciPrivateKey(source: OciPrivateKeySource, passphrase?: string): Promise<string> {
  const where = source.path === undefined ? 'the inline PEM' : `the file ${source.path}`;
  let pem: string;
  if (source.path === undefined) {
    pem = source.pem;
  } else {
    try {
      pem = await readFile(source.path, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read the OCI private key from ${where}`, { cause: error });
    }
  }
  try {
    createPrivateKey(passphrase === undefined ? pem : { key: pem, passphrase });
  } catch (error) {
    // node:crypto's messages carry OpenSSL reason codes only, never key material.
    throw new Error(`The OCI private key in ${where} is not a readable PEM private key`, { cause: error });
  }
  return pem;
}

/** Statuses and service codes worth another attempt (OCI "API Errors": the ones marked retryable). */
export function isRetryableOciError(error: OciError): boolean {
  const status = error.statusCode;
  if (status === 429 || status === 500 || status === 502 || status === 503 || status === 504) return true;
  // IncorrectState resolves itself; Conflict does not.
  return status === 409 && error.serviceCode === 'IncorrectState';
}

/**
 * The SDK's delay hook over the one backoff formula (core/backoff.ts). The SDK counts `attemptCount` from 0 for the
 * delay after the first failure and reads the delay in seconds.
 */
function jitteredDelay(policy: BackoffPolicy): DelayStrategy {
  return { delay: (context) => backoffDelay(policy, context.attemptCount) / 1000 };
}

/**
 * Builds the OCI clients: requests are signed with the API key (`SimpleAuthenticationDetailsProvider`)
 * by {@link SigningHttpClient}, which also carries each call's abort signal. The SDK's circuit breaker is
 * disabled (the datasource owns deadlines and the error policy).
 *
 * @throws RangeError for `maxAttempts` or `maxMediaStreamClients` < 1; Error when the private key cannot be parsed.
 */
export function createOciClients(options: OciClientsOptions): OciClients {
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${String(options.maxAttempts)}`);
  }
  const maxClients = options.maxMediaStreamClients ?? DEFAULT_MAX_MEDIA_STREAM_CLIENTS;
  if (!Number.isInteger(maxClients) || maxClients < 1) {
    throw new RangeError(`maxMediaStreamClients must be a positive integer, got ${String(maxClients)}`);
  }
  const { credentials } = options;
  const provider = new SimpleAuthenticationDetailsProvider(
    credentials.tenancyId,
    credentials.userId,
    credentials.fingerprint,
    credentials.privateKeyPem,
    credentials.passphrase ?? null,
  );
  const retryConfiguration: RetryConfiguration = {
    terminationStrategy: new MaxAttemptsTerminationStrategy(options.maxAttempts),
    delayStrategy: jitteredDelay({ initialDelayMs: options.retryBaseDelayMs ?? 200, maxDelayMs: options.retryMaxDelayMs ?? 5_000 }),
    retryCondition: isRetryableOciError,
  };
  // `noCircuit` is how the SDK reads "no breaker for this client" (utils.isCircuitBreakerSystemEnabled).
  const configuration: ClientConfiguration = { retryConfiguration, circuitBreaker: { noCircuit: true, circuit: null } };
  const httpClient = new SigningHttpClient(provider);
  const mediaServices = new MediaServicesClient({ httpClient }, configuration);
  if (options.endpoint === undefined) mediaServices.regionId = options.region;
  else mediaServices.endpoint = options.endpoint;
  // Closing a client only stops its (disabled) circuit breaker; the shared transport stays, so a call still running
  // on an evicted client completes.
  const streams = new LRUCache<string, MediaStreamClient>({ max: maxClients, dispose: (client) => client.close() });
  return {
    mediaServices,
    mediaStream: (endpoint) => {
      let client = streams.get(endpoint);
      if (client === undefined) {
        client = new MediaStreamClient({ httpClient }, configuration);
        client.endpoint = endpoint;
        streams.set(endpoint, client);
      }
      return client;
    },
    mediaStreamsEndpoint: options.mediaStreamsEndpoint ?? toMediaStreamsEndpoint,
    keyFingerprint: credentials.fingerprint,
    close: () => {
      mediaServices.close();
      // clear() closes every client through `dispose`.
      streams.clear();
    },
  };
}

/** What emulator mode needs from a running OCI emulator (structural, so datasources do not import it). */
export interface OciEmulatorEndpoints {
  readonly endpoint: string;
  mediaStreamsEndpoint(domainName: string): string;
}

/**
 * Client options for the embedded emulator: its control-plane endpoint, every channel domain mapped onto
 * it, and the emulator-registered credentials.
 */
export function ociEmulatorClientsOptions(emulator: OciEmulatorEndpoints, credentials: OciCredentials, maxAttempts = 1): OciClientsOptions {
  return {
    credentials,
    region: 'us-ashburn-1',
    endpoint: emulator.endpoint,
    mediaStreamsEndpoint: (domainName) => emulator.mediaStreamsEndpoint(domainName),
    maxAttempts,
  };
}
