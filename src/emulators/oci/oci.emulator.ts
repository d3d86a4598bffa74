import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ociKeyFingerprint, ociKeyId } from './oci.api-keys.js';
import { OciWireError, sendOciError } from './oci.errors.js';
import { FAULT_DEFAULT_CODES, OciFaultSchedule, type OciFault, type OciOperation, type OciTerminalFault } from './oci.faults.js';
import { generatePlaylist, generateSessionToken } from './oci.media-streams.js';
import {
  getMediaAsset,
  getStreamDistributionChannel,
  getStreamPackagingConfig,
  listMediaAssets,
  listStreamDistributionChannels,
  listStreamPackagingConfigs,
  type OciPageSizePolicy,
  type OperationContext,
} from './oci.operations.js';
import { CHANNEL_PATH_PREFIX, routeRequest, type Route } from './oci.routes.js';
export type { OciPageSizePolicy } from './oci.operations.js';
import { OCI_MAX_CLOCK_SKEW_MS, verifyOciSignature, type SignatureFailure } from './oci.signature.js';
import {
  OciResourceStore,
  type DistributionChannelInput,
  type MediaAssetInput,
  type PackagingConfigInput,
  type StoredDistributionChannel,
  type StoredMediaAsset,
  type StoredPackagingConfig,
} from './oci.store.js';
import { PageTokenCodec, SessionTokenCodec } from './oci.tokens.js';

import { EventLog } from '../common/event-log.js';
import { closeHttpServer, listenHttp, trackSockets } from '../common/http-lifecycle.js';
import { EmulatorTimers } from '../common/emulator-timers.js';
export type { OciFault, OciOperation } from './oci.faults.js';
export type { SignatureFailure } from './oci.signature.js';

/** Largest request body read (emulator choice); a larger one is refused with 400 InvalidParameter. */
export const OCI_MAX_BODY_BYTES = 1024 * 1024;

/** Options of {@link OciMediaEmulator.start}. */
export interface OciEmulatorOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** TCP port; default `0` (ephemeral; read it back from `endpoint`). */
  port?: number;
  /** Service clock in epoch ms, for signature dates, timestamps and token expiry; default `Date.now`. */
  now?: () => number;
  /** Region identifier used in channel domains; default `us-ashburn-1`. */
  region?: string;
  /** Region key used in OCIDs; default `iad`. */
  regionKey?: string;
  /** Allowed client clock skew; default 5 minutes (OCI). */
  maxClockSkewMs?: number;
  /** Receives unexpected internal errors (answered 500 InternalServerError); default `console.error`. */
  onInternalError?: (error: unknown) => void;
  /**
   * How many items every list page holds for the `limit` asked (`undefined` = none sent). Default: the limit
   * itself, 100 without one. Lets tests answer fewer or more items than asked; clients must page on `opc-next-page`.
   */
  pageSizes?: OciPageSizePolicy;
}

/** One request as the emulator received it, recorded after its signature check and before anything else. */
export interface OciRecordedRequest {
  readonly operation: OciOperation;
  readonly method: string;
  /** Path as sent (still percent-encoded), e.g. `/20211101/mediaAssets`. */
  readonly path: string;
  /** Raw query string without `?` (may contain a session token; the log is for tests only). */
  readonly query: string;
  /** The Media Streams channel domain addressed, if any. */
  readonly channelDomain: string | undefined;
  /** `keyId` of the Authorization header, when it carried one. */
  readonly keyId: string | undefined;
  /** Whether the signature was accepted. */
  readonly authenticated: boolean;
  /** Why the signature was refused (answered as 401 NotAuthenticated). */
  readonly authFailure: SignatureFailure | undefined;
  /** Emulator clock at arrival, epoch ms. */
  readonly at: number;
}

/** A user's API key to register with {@link OciMediaEmulator.registerApiKey}. */
export interface OciApiKeyRegistration {
  readonly tenancyId: string;
  readonly userId: string;
  /** SubjectPublicKeyInfo PEM of the user's key. */
  readonly publicKeyPem: string;
}


/** A new `opc-request-id`: 32 upper-case hex digits, prefixed by the client's id when it sent one. */
function newRequestId(clientId: string | string[] | undefined): string {
  const own = randomBytes(16).toString('hex').toUpperCase();
  return typeof clientId === 'string' && clientId !== '' ? `${clientId}/${own}` : own;
}

/**
 * A wire-level emulator of OCI Media Services (control plane) and Media Streams (per distribution channel
 * domain) for the real `oci-mediaservices` clients. Requests must carry a valid OCI request signature from
 * a registered API key. See PROTOCOL.md beside this file. Resources live in memory for the instance's life.
 */
export class OciMediaEmulator {
  private readonly store: OciResourceStore;
  private readonly pages = new PageTokenCodec();
  private readonly sessions = new SessionTokenCodec();
  private readonly faults = new OciFaultSchedule();
  private readonly keys = new Map<string, KeyObject>();
  private readonly sockets: Set<Socket>;
  private readonly timers = new EmulatorTimers();
  private readonly now: () => number;
  private readonly maxSkewMs: number;
  private readonly onInternalError: (error: unknown) => void;
  private readonly pageSizes: OciPageSizePolicy | undefined;
  private readonly log = new EventLog<OciRecordedRequest>(100_000, 'OCI emulator is closed');
  private closing: Promise<void> | undefined;
  private endpointUrl = '';

  private constructor(
    private readonly server: Server,
    options: OciEmulatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.maxSkewMs = options.maxClockSkewMs ?? OCI_MAX_CLOCK_SKEW_MS;
    this.pageSizes = options.pageSizes;
    this.store = new OciResourceStore(this.now, options.region ?? 'us-ashburn-1', options.regionKey ?? 'iad');
    this.onInternalError = options.onInternalError ?? ((error: unknown) => console.error('OCI emulator internal error', error));
    // Tracked from the first connection so close() can end idle keep-alive and stalled sockets at once.
    this.sockets = trackSockets(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
  }

  /**
   * Starts an emulator listening on `options.host:options.port`.
   *
   * @returns the running emulator; the caller owns it and must `close()` it.
   * @throws the listen error (e.g. `EADDRINUSE`), or RangeError for a negative `maxClockSkewMs`.
   */
  static async start(options: OciEmulatorOptions = {}): Promise<OciMediaEmulator> {
    if (options.maxClockSkewMs !== undefined && !(Number.isFinite(options.maxClockSkewMs) && options.maxClockSkewMs >= 0)) {
      throw new RangeError(`maxClockSkewMs must be a number of milliseconds >= 0, got ${String(options.maxClockSkewMs)}`);
    }
    const server = createServer();
    const emulator = new OciMediaEmulator(server, options);
    emulator.endpointUrl = await listenHttp(server, options.host ?? '127.0.0.1', options.port ?? 0);
    return emulator;
  }

  /** Control-plane base URL for `MediaServicesClient.endpoint`, e.g. `http://127.0.0.1:43210`. */
  get endpoint(): string {
    return this.endpointUrl;
  }

  /**
   * Base URL for a `MediaStreamClient` of the channel whose domain is `domainName`:
   * `<endpoint>/dc/<domainName>` (see the routing notes in PROTOCOL.md).
   */
  mediaStreamsEndpoint(domainName: string): string {
    return `${this.endpointUrl}${CHANNEL_PATH_PREFIX}${encodeURIComponent(domainName)}`;
  }

  /**
   * Registers a user's public key; requests signed with the matching private key and this key's `keyId`
   * are accepted from now on.
   *
   * @returns the `keyId` (`<tenancy>/<user>/<fingerprint>`).
   * @throws TypeError when the PEM is not an RSA public key.
   */
  registerApiKey(registration: OciApiKeyRegistration): string {
    const key = createPublicKey(registration.publicKeyPem);
    if (key.asymmetricKeyType !== 'rsa') throw new TypeError('OCI API keys must be RSA keys');
    const keyId = ociKeyId(registration.tenancyId, registration.userId, ociKeyFingerprint(key));
    this.keys.set(keyId, key);
    return keyId;
  }

  /** Deletes a registered key (key rotation); its signatures get 401 from now on. @returns whether it existed. */
  revokeApiKey(keyId: string): boolean {
    return this.keys.delete(keyId);
  }

  /** Stores a media asset (seeding; not recorded). @throws TypeError on a duplicate id or bad duration. */
  addMediaAsset(input: MediaAssetInput): StoredMediaAsset {
    return this.store.addMediaAsset(input);
  }

  /** Stores a packaging configuration of an existing channel. @throws TypeError on a bad channel or id. */
  addPackagingConfig(input: PackagingConfigInput): StoredPackagingConfig {
    return this.store.addPackagingConfig(input);
  }

  /** Stores a distribution channel. @throws TypeError on a duplicate id or domain. */
  addDistributionChannel(input: DistributionChannelInput): StoredDistributionChannel {
    return this.store.addDistributionChannel(input);
  }

  /** Every request received since start or the last `resetRequests()`, in arrival order (a snapshot). */
  get requests(): readonly OciRecordedRequest[] {
    return this.log.entries;
  }

  /** Number of recorded requests, of one operation when given. */
  count(operation?: OciOperation): number {
    const entries = this.log.entries;
    if (operation === undefined) return entries.length;
    return entries.filter((request) => request.operation === operation).length;
  }

  /** Number of recorded requests whose signature was refused. */
  get rejectedSignatures(): number {
    return this.log.entries.filter((request) => !request.authenticated).length;
  }

  /** Empties the request log (pending `waitForRequest` calls keep waiting). */
  resetRequests(): void {
    this.log.reset();
  }

  /**
   * Resolves with the first recorded request matching `predicate`, already logged or arriving later.
   * Settles when the request is recorded, before it is answered.
   *
   * @throws (rejects) Error when the emulator closes first.
   */
  waitForRequest(predicate: (request: OciRecordedRequest) => boolean = () => true): Promise<OciRecordedRequest> {
    return this.log.waitFor(predicate);
  }

  /** Injects a fault (see {@link OciFault}). @throws RangeError for out-of-range `times`, `ms` or `status`. */
  injectFault(fault: OciFault): void {
    this.faults.inject(fault);
  }

  /** Removes every injected fault. Exchanges already stalled stay stalled. */
  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Stops listening and destroys every open socket (stalled and keep-alive ones included), clears pending
   * latency timers and rejects pending `waitForRequest` calls. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.timers.clear();
    this.log.close();
    await closeHttpServer(this.server, this.sockets);
  }

  private record(request: OciRecordedRequest): void {
    this.log.push(request);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestId = newRequestId(req.headers['opc-request-id']);
    const fail = (error: OciWireError): void => {
      if (!sendOciError(res, error, requestId)) res.destroy();
    };
    // The body is read completely first: POST signatures cover it through x-content-sha256.
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > OCI_MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    // A client that aborts mid-body gets no answer; destroying the response releases the socket.
    req.once('error', () => res.destroy());
    req.once('end', () => {
      if (tooLarge) {
        res.setHeader('connection', 'close');
        fail(OciWireError.of('InvalidParameter', `The request body exceeds ${OCI_MAX_BODY_BYTES} bytes.`));
        return;
      }
      try {
        this.handle(req, res, Buffer.concat(chunks), requestId, fail);
      } catch (error: unknown) {
        this.onInternalError(error);
        fail(OciWireError.of('InternalServerError'));
      }
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: Buffer, requestId: string, fail: (error: OciWireError) => void): void {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const mark = target.indexOf('?');
    const pathname = mark < 0 ? target : target.slice(0, mark);
    const query = mark < 0 ? '' : target.slice(mark + 1);
    const route = routeRequest(method, pathname, req.headers.host, (name) => this.store.channelByDomain(name) !== undefined);
    const check = verifyOciSignature({ method, target, headers: req.headers, body }, (keyId) => this.keys.get(keyId), this.now(), this.maxSkewMs);
    this.record({
      operation: route.operation,
      method,
      path: pathname,
      query,
      channelDomain: route.channelDomain,
      keyId: check.keyId,
      authenticated: check.ok,
      authFailure: check.ok ? undefined : check.reason,
      at: this.now(),
    });
    // OCI authenticates before anything else and never says which rule failed.
    if (!check.ok) {
      fail(OciWireError.of('NotAuthenticated'));
      return;
    }
    const decision = this.faults.take(route.operation);
    const proceed = (): void => {
      try {
        this.dispatch(res, route, new URLSearchParams(query), body, requestId, decision.terminal);
      } catch (error: unknown) {
        if (error instanceof OciWireError) {
          fail(error);
          return;
        }
        this.onInternalError(error);
        fail(OciWireError.of('InternalServerError'));
      }
    };
    this.timers.delay(decision.latencyMs, proceed);
  }

  private dispatch(
    res: ServerResponse,
    route: Route,
    params: URLSearchParams,
    body: Buffer,
    requestId: string,
    terminal: OciTerminalFault | undefined,
  ): void {
    if (terminal?.kind === 'stall') return; // the request was read; the answer never comes
    if (terminal?.kind === 'throttle') throw OciWireError.of('TooManyRequests');
    if (terminal?.kind === 'error') {
      throw new OciWireError(terminal.code ?? FAULT_DEFAULT_CODES[terminal.status], terminal.status, 'Injected fault.');
    }
    const ctx: OperationContext = { store: this.store, pages: this.pages, sessions: this.sessions, now: this.now, requestId, res, pageSizes: this.pageSizes };
    switch (route.operation) {
      case 'ListMediaAssets':
        return listMediaAssets(ctx, params);
      case 'GetMediaAsset':
        return getMediaAsset(ctx, route.resourceId ?? '');
      case 'ListStreamPackagingConfigs':
        return listStreamPackagingConfigs(ctx, params);
      case 'GetStreamPackagingConfig':
        return getStreamPackagingConfig(ctx, route.resourceId ?? '');
      case 'ListStreamDistributionChannels':
        return listStreamDistributionChannels(ctx, params);
      case 'GetStreamDistributionChannel':
        return getStreamDistributionChannel(ctx, route.resourceId ?? '');
      case 'GeneratePlaylist':
      case 'GenerateSessionToken': {
        // An unknown channel domain would not resolve in OCI; the closest answer is "not found".
        const channel = this.store.channelByDomain(route.channelDomain ?? '');
        if (channel === undefined) throw OciWireError.of('NotAuthorizedOrNotFound');
        if (route.operation === 'GeneratePlaylist') return generatePlaylist(ctx, channel, params);
        return generateSessionToken(ctx, channel, body);
      }
      case 'Unknown':
        throw OciWireError.of('NotFound');
    }
  }
}
