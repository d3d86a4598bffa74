import { AsyncLocalStorage } from 'node:async_hooks';
import { DefaultRequestSigner, type AuthenticationDetailsProvider, type HttpClient, type HttpRequest } from 'oci-common';
import type { Logger } from '../../core/logger.js';
import { abortError, withDeadline } from '../../core/deadline.js';
import { currentRequestScope } from '../../core/request-scope.js';
import { translateOciError } from './oci.errors.js';
import type { OciCallOptions } from './oci.types.js';

/**
 * Transport of the OCI clients. The SDK's operations take no AbortSignal and its `FetchHttpClient` takes
 * fetch options per client only, so a call's signal travels to `fetch` through async context: `callOci`
 * runs the SDK call inside the signal's context and {@link SigningHttpClient} reads it for every attempt.
 */

const callSignal = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `call` with `signal` as the signal of every HTTP attempt it makes, and rejects with an `AbortError`
 * as soon as `signal` aborts, even while the SDK sleeps between retries (the abandoned SDK call then ends
 * at its next attempt, which fails at once because the signal is aborted).
 */
export function runWithSignal<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    callSignal
      .run(signal, call)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The SDK `HttpClient` media-graph uses instead of `FetchHttpClient`: signs each request with the OCI
 * request signature (the SDK's own `DefaultRequestSigner`) and sends it with the current call's signal.
 * Not using the SDK's client also keeps its circuit breaker out of the path: retries and deadlines are
 * the datasource's.
 */
export class SigningHttpClient implements HttpClient {
  private readonly signer: DefaultRequestSigner;

  /** @throws Error (from the SDK's key parser) when the provider's private key cannot be read. */
  constructor(provider: AuthenticationDetailsProvider) {
    this.signer = new DefaultRequestSigner(provider);
  }

  /**
   * Signs and sends one attempt. The Media Services operations used here only send JSON string bodies.
   *
   * @throws TypeError for a non-string body; the fetch error when the request fails without a response.
   */
  async send(request: HttpRequest, forceExcludeBody = false): Promise<Response> {
    const body: unknown = request.body;
    if (body !== undefined && body !== null && typeof body !== 'string') {
      throw new TypeError('SigningHttpClient only sends string bodies');
    }
    const payload = typeof body === 'string' && body !== '' ? body : undefined;
    // The id of the request this call serves replaces the one the SDK made up, so OCI's logs and ours share it.
    const requestId = currentRequestScope()?.requestId;
    if (requestId !== undefined) request.headers.set('opc-request-id', requestId);
    await this.signer.signHttpRequest({ method: request.method, headers: request.headers, uri: request.uri, body: payload }, forceExcludeBody);
    const signal = callSignal.getStore();
    try {
      return await fetch(request.uri, { method: request.method, headers: request.headers, body: payload, signal });
    } catch (error) {
      // The SDK retrier retries whatever send() throws unless `shouldBeRetried` is false; an aborted call
      // must stop instead of sleeping and trying again.
      if (signal?.aborted === true && typeof error === 'object' && error !== null) {
        Object.assign(error, { shouldBeRetried: false });
      }
      throw error;
    }
  }
}

/** What {@link callOci} needs besides the call itself. */
export interface OciCallSettings {
  /** Deadline of the whole call, retries and response body included, in ms. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Fingerprint of the API key in use, for the credentials log line. */
  readonly keyFingerprint?: string | undefined;
}

/**
 * Runs one SDK operation with the deadline and the caller's signal, translating failures through the OCI
 * error table.
 *
 * @param operation operation name for logs, e.g. `ListMediaAssets`.
 * @param secrets values sent with the call that must not appear in errors (session tokens).
 * @throws DomainError per `OCI_ERROR_TABLE`, `UPSTREAM_TIMEOUT` when the deadline fired; the caller's
 *   `AbortError` when `options.signal` aborted.
 */
export async function callOci<T>(
  operation: string,
  settings: OciCallSettings,
  options: OciCallOptions,
  send: () => Promise<T>,
  secrets: readonly string[] = [],
): Promise<T> {
  try {
    return await withDeadline(settings.timeoutMs, options.signal, (signal) => runWithSignal(signal, send));
  } catch (error) {
    throw translateOciError(error, { operation, logger: settings.logger, keyFingerprint: settings.keyFingerprint, secrets });
  }
}
