import { Readable } from 'node:stream';
import { GetMediaCommand, type KinesisVideoMediaClient, type StartSelector } from '@aws-sdk/client-kinesis-video-media';
import { DomainError } from '../../core/domain-error.js';
import { withDeadline } from '../../core/deadline.js';
import { kinesisErrorName, translateKinesisError } from './kinesis.errors.js';
import type { MediaStart, StreamRef } from './kinesis.types.js';
import type { KinesisVideoDataSource } from './kinesis-video.datasource.js';

/** An open GetMedia session. The caller owns `payload` and must consume or destroy it. */
export interface MediaSession {
  /** The MKV byte stream (one EBML document per fragment). */
  readonly payload: Readable;
}

/** A GetMedia failure with the SDK error name kept, so the live reader can pick its retry policy. */
export class MediaCallError extends DomainError {
  constructor(
    readonly providerErrorName: string,
    translated: Error,
  ) {
    super(translated instanceof DomainError ? translated.code : 'INTERNAL_SERVER_ERROR', translated.message, { cause: translated });
  }
}

/**
 * Kinesis Video GetMedia over a per-endpoint SDK client (factory injected). Resolves once the response headers
 * arrive; the payload then streams for as long as the service keeps it open. `InvalidEndpointException`
 * invalidates the cached endpoint so the next call resolves it again (RELIABILITY.md K10).
 */
export class KinesisMediaDataSource {
  constructor(
    private readonly control: KinesisVideoDataSource,
    private readonly clientFor: (endpoint: string) => KinesisVideoMediaClient,
    private readonly options: { readonly timeoutMs: number },
  ) {}

  /**
   * @throws MediaCallError (a DomainError carrying the provider error name) on any failure before the payload.
   */
  async getMedia(ref: StreamRef, start: MediaStart, signal: AbortSignal): Promise<MediaSession> {
    let endpoint: string;
    try {
      endpoint = await this.control.dataEndpoint(ref, 'GET_MEDIA', { signal });
    } catch (error) {
      throw new MediaCallError(kinesisErrorName(error), translateKinesisError(error));
    }
    const client = this.clientFor(endpoint);
    try {
      // The deadline covers the wait for response headers only; the payload is watched by the caller's watchdog.
      const output = await withDeadline(this.options.timeoutMs, signal, () =>
        client.send(new GetMediaCommand({ StreamName: ref.name, StreamARN: ref.arn, StartSelector: toStartSelector(start) }), {
          abortSignal: signal,
        }),
      );
      if (!(output.Payload instanceof Readable)) {
        throw new DomainError('UPSTREAM_UNAVAILABLE', 'GetMedia returned no payload stream.');
      }
      return { payload: output.Payload };
    } catch (error) {
      const name = kinesisErrorName(error);
      if (name === 'InvalidEndpointException') this.control.invalidateEndpoint(ref, 'GET_MEDIA');
      throw new MediaCallError(name, translateKinesisError(error));
    }
  }
}

/** Maps our start position to the SDK's StartSelector. Pure. */
export function toStartSelector(start: MediaStart): StartSelector {
  switch (start.type) {
    case 'NOW':
    case 'EARLIEST':
      return { StartSelectorType: start.type };
    case 'FRAGMENT_NUMBER':
      return { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: start.fragmentNumber };
    case 'SERVER_TIMESTAMP':
    case 'PRODUCER_TIMESTAMP':
      return { StartSelectorType: start.type, StartTimestamp: start.timestamp };
    case 'CONTINUATION_TOKEN':
      return { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: start.token };
  }
}
