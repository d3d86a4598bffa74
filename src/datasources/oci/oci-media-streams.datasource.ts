import { LRUCache } from 'lru-cache';
import type { MediaStreamClient } from 'oci-mediaservices';
import { DomainError, badInput } from '../../core/domain-error.js';
import type { Logger } from '../../core/logger.js';
import { untilAborted } from '../../core/deadline.js';
import { scrubSecrets } from './oci.errors.js';
import { callOci, type OciCallSettings } from './oci.http-client.js';
import { toSessionTokenDetails } from './oci.mapper.js';
import type {
  GeneratedPlaylist,
  OciCallOptions,
  PlaylistRequest,
  SessionToken,
  SessionTokenRequest,
  StreamDistributionChannel,
} from './oci.types.js';
import { PlaylistParseError, parsePlaylist } from './playlist.parser.js';

/** Settings of {@link OciMediaStreamsDataSource}. */
export interface OciMediaStreamsDataSourceOptions {
  /** Deadline per call (retries and the playlist body included), in ms. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly keyFingerprint?: string | undefined;
  /** Session token lifetime when the request gives no expiry, in ms; default one hour. */
  readonly defaultSessionTtlMs?: number | undefined;
  /** Largest playlist accepted, in bytes; default 2 MiB (a master playlist is a few KB). */
  readonly maxPlaylistBytes?: number | undefined;
  /** Channels whose endpoint is remembered; default 1 000 (least recently used forgotten first). */
  readonly maxCachedChannels?: number | undefined;
  /** Clock, epoch ms; default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/** What the datasource needs to find a channel's Media Streams endpoint and talk to it. */
export interface MediaStreamsDependencies {
  /** GetStreamDistributionChannel (normally `OciMediaServicesDataSource`). */
  readonly channels: { getDistributionChannel(id: string, options?: OciCallOptions): Promise<StreamDistributionChannel> };
  /** Base URL of a channel domain (normally `OciClients.mediaStreamsEndpoint`). */
  readonly endpointFor: (domainName: string) => string;
  /** The client of an endpoint (normally `OciClients.mediaStream`, which reuses clients per endpoint). */
  readonly clientFor: (endpoint: string) => MediaStreamClient;
}

const SCOPES: ReadonlySet<string> = new Set(['PLAYLIST', 'EDGE']);
const PLAYLIST_TYPES = { HLS: 'application/vnd.apple.mpegurl', DASH: 'application/dash+xml' } as const;

/**
 * Reads a playlist body (a web `ReadableStream` under Node's fetch, a Node `Readable` elsewhere; both are
 * async-iterable) up to `maxBytes`.
 *
 * @throws DomainError `UPSTREAM_UNAVAILABLE` when the body is larger than `maxBytes`.
 */
async function readText(body: AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
      size += bytes.length;
      // Leaving the loop cancels the stream, which releases the connection.
      if (size > maxBytes) throw new DomainError('UPSTREAM_UNAVAILABLE', 'The media service returned an oversized playlist.');
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    // The connection broke after the headers (reset, truncated body): an upstream failure, not a bug here.
    throw new DomainError('UPSTREAM_UNAVAILABLE', 'The media service connection failed while sending the playlist.', {
      // Stream errors name the failure (e.g. `TypeError: terminated`), never the request URL.
      cause: new Error(error instanceof Error ? `${error.name}: ${error.message}` : 'stream error'),
    });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The error of a GeneratePlaylist call that sent a session token: the ids have a checked shape and an unknown one
 * is a 404, so a parameter refusal that names no other parameter is the token's (invalid, expired, or issued for
 * other assets). Anything else is returned unchanged.
 */
function blameToken(error: unknown): unknown {
  if (!(error instanceof DomainError) || error.code !== 'BAD_USER_INPUT') return error;
  const named = error.details['argument'];
  if (named !== undefined && named !== 'sessionToken') return error;
  return new DomainError('BAD_USER_INPUT', 'The session token is invalid, has expired, or does not cover this playlist.', {
    details: { argument: 'sessionToken' },
    cause: error.cause,
    ...(error.debugMessage === undefined ? {} : { debugMessage: error.debugMessage }),
  });
}

/**
 * Media Streams: playlists and session tokens of a distribution channel. Each channel has its own Media
 * Streams domain; the datasource resolves it once per channel with GetStreamDistributionChannel (concurrent
 * callers share one lookup; a failed lookup is not remembered) and talks to it with the client the injected
 * factory returns for that endpoint.
 */
export class OciMediaStreamsDataSource {
  private readonly settings: OciCallSettings;
  private readonly endpoints: LRUCache<string, Promise<string>>;
  private readonly defaultTtlMs: number;
  private readonly maxPlaylistBytes: number;
  private readonly now: () => number;

  constructor(
    private readonly dependencies: MediaStreamsDependencies,
    options: OciMediaStreamsDataSourceOptions,
  ) {
    this.settings = { timeoutMs: options.timeoutMs, logger: options.logger, keyFingerprint: options.keyFingerprint };
    this.defaultTtlMs = options.defaultSessionTtlMs ?? 60 * 60 * 1000;
    this.maxPlaylistBytes = options.maxPlaylistBytes ?? 2 * 1024 * 1024;
    this.endpoints = new LRUCache<string, Promise<string>>({ max: options.maxCachedChannels ?? 1000 });
    this.now = options.now ?? Date.now;
  }

  /**
   * The master playlist of an asset as packaged by a configuration of the channel, parsed.
   *
   * @throws DomainError `BAD_USER_INPUT` (empty ids, or a token the service refuses: then `details.argument` is
   *   `sessionToken` and the message says it is the token), `NOT_FOUND`,
   *   `CONFLICT` (asset not ACTIVE, channel without a domain), `UPSTREAM_UNAVAILABLE` (also when the
   *   playlist cannot be parsed), `UPSTREAM_THROTTLED`, `UPSTREAM_TIMEOUT`.
   */
  async generatePlaylist(request: PlaylistRequest, options: OciCallOptions = {}): Promise<GeneratedPlaylist> {
    for (const [name, value] of [
      ['distributionChannelId', request.distributionChannelId],
      ['packagingConfigId', request.packagingConfigId],
      ['mediaAssetId', request.mediaAssetId],
    ] as const) {
      if (value.trim() === '') throw badInput(`${name} must not be empty.`);
    }
    const client = this.dependencies.clientFor(await this.endpointOf(request.distributionChannelId, options));
    const secrets = request.token === undefined ? [] : [request.token];
    const text = await callOci(
      'GeneratePlaylist',
      this.settings,
      options,
      async () => {
        const response = await client.generatePlaylist({
          streamPackagingConfigId: request.packagingConfigId,
          mediaAssetId: request.mediaAssetId,
          token: request.token,
        });
        return readText(response.value as AsyncIterable<Uint8Array | string>, this.maxPlaylistBytes);
      },
      secrets,
    ).catch((error: unknown) => {
      throw request.token === undefined ? error : blameToken(error);
    });
    try {
      // The SDK does not expose the response's Content-Type, so the format is recognised from the text.
      const parsed = parsePlaylist(text, undefined, this.now());
      return { contentType: PLAYLIST_TYPES[parsed.format], text, parsed };
    } catch (error) {
      if (!(error instanceof PlaylistParseError)) throw error;
      // The library's message may quote playlist lines, and those carry the token: keep a scrubbed copy only.
      const detail = error.cause instanceof Error ? error.cause.message : '';
      throw new DomainError('UPSTREAM_UNAVAILABLE', 'The media service returned a playlist that cannot be read.', {
        cause: new Error(scrubSecrets(`${error.message} ${detail}`, secrets)),
      });
    }
  }

  /**
   * A streaming session token for a packaging configuration of the channel (and optionally some assets).
   * The expiry is always sent explicitly, so the returned `expiresAt` is the one the service applied.
   *
   * @throws DomainError `BAD_USER_INPUT` (no or unknown scope, expiry not in the future), `NOT_FOUND`,
   *   `UPSTREAM_*` per the OCI error table.
   */
  async generateSessionToken(request: SessionTokenRequest, options: OciCallOptions = {}): Promise<SessionToken> {
    if (request.packagingConfigId.trim() === '' || request.distributionChannelId.trim() === '') {
      throw badInput('distributionChannelId and packagingConfigId must not be empty.');
    }
    if (request.scopes.length === 0 || request.scopes.some((scope) => !SCOPES.has(scope))) {
      throw badInput('scopes must be a non-empty list of PLAYLIST and EDGE.');
    }
    const expiresAt = request.expiresAt ?? new Date(this.now() + this.defaultTtlMs);
    if (!(expiresAt.getTime() > this.now())) throw badInput('expiresAt must be in the future.');
    const client = this.dependencies.clientFor(await this.endpointOf(request.distributionChannelId, options));
    const response = await callOci('GenerateSessionToken', this.settings, options, () =>
      client.generateSessionToken({ generateSessionTokenDetails: toSessionTokenDetails(request, expiresAt) }),
    );
    // Typed as always present, but a malformed body must not surface as a TypeError.
    const token: unknown = (response.sessionToken as { readonly token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token === '') {
      throw new DomainError('UPSTREAM_UNAVAILABLE', 'The media service returned no session token.');
    }
    return { token, expiresAt };
  }

  /** Forgets a channel's endpoint (e.g. after the channel was recreated); the next call looks it up again. */
  forgetChannel(distributionChannelId: string): void {
    this.endpoints.delete(distributionChannelId);
  }

  /**
   * The Media Streams endpoint of a channel, looked up once and then remembered. The lookup runs without the
   * caller's signal (another caller may be waiting for it); each caller stops waiting when its own aborts.
   */
  private endpointOf(channelId: string, options: OciCallOptions): Promise<string> {
    let endpoint = this.endpoints.get(channelId);
    if (endpoint === undefined) {
      endpoint = this.dependencies.channels.getDistributionChannel(channelId).then((channel) => {
        if (channel.domainName === undefined) {
          throw new DomainError('CONFLICT', 'The distribution channel has no Media Streams domain yet.');
        }
        return this.dependencies.endpointFor(channel.domainName);
      });
      this.endpoints.set(channelId, endpoint);
      // A failure is reported to the callers of this lookup, then forgotten so the next call tries again. `peek`
      // leaves the recency order alone.
      endpoint.catch(() => {
        if (this.endpoints.peek(channelId) === endpoint) this.endpoints.delete(channelId);
      });
    }
    return untilAborted(endpoint, options.signal);
  }
}
