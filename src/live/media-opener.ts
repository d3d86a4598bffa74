import type { Readable } from 'node:stream';
import type { MediaStart } from '../datasources/kinesis/kinesis.types.js';
import { untilAborted } from '../core/deadline.js';
import { liveGetMediaSessions } from '../core/metrics.js';
import type { MediaOpener } from './media-reader.js';

/** What {@link kinesisMediaOpener} needs from the Kinesis Video datasources and SDK clients. */
export interface KinesisMediaAccess {
  /** GetMedia (the media datasource); resolves with the payload once the response headers arrived. */
  getMedia(stream: string, start: MediaStart, signal: AbortSignal): Promise<Readable>;
  /** Forgets the cached GetMedia data endpoint of `stream`, so the next call asks GetDataEndpoint again. */
  invalidateEndpoint(stream: string): void;
  /**
   * Resolves the credentials again, bypassing every cache, so that the next signed call uses fresh ones. With SDK v3
   * clients: `client.config.credentials({ forceRefresh: true })` on the clients GetMedia and GetDataEndpoint use.
   */
  refreshCredentials(): Promise<unknown>;
}

/**
 * The hub's {@link MediaOpener} over Kinesis Video. A call made with `refresh` (the previous one was refused as not
 * authorized, RELIABILITY.md K11) first drops the cached data endpoint and resolves the credentials again, then
 * calls GetMedia as usual; the reader resumes from its last token, so nothing is lost or repeated. A failed refresh
 * fails the call, which the reader retries (with `refresh` again) after its backoff.
 */
export function kinesisMediaOpener(access: KinesisMediaAccess): MediaOpener {
  return async (stream, start, signal, options) => {
    if (options.refresh) {
      access.invalidateEndpoint(stream);
      await untilAborted(access.refreshCredentials(), signal);
    }
    const payload = await access.getMedia(stream, start, signal);
    liveGetMediaSessions.inc();
    payload.once('close', () => liveGetMediaSessions.dec());
    return payload;
  };
}
