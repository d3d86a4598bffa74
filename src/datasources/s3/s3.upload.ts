import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UpstreamExchange, abortError, idleWatchdog, type ExchangeTimeouts } from '../../core/deadline.js';
import { DomainError } from '../../core/domain-error.js';
import type { Logger } from '../../core/logger.js';
import { translateS3Error } from './s3.errors.js';

/** Part size of streamed uploads: S3's minimum for every part but the last, in bytes. */
export const S3_PART_BYTES = 5 * 1024 * 1024;

/** Parts of one upload in flight at once. With the part being filled, an upload holds about three parts in memory. */
export const S3_PARTS_IN_FLIGHT = 2;

/** Most parts of one multipart upload (S3's limit), so the largest streamed object is this many parts. */
export const S3_MAX_PARTS = 10_000;

/**
 * What one streamed upload needs. `timeoutMs` is the deadline of each call (one part, the completion, the abort) up
 * to its response headers; `idleTimeoutMs` the longest the incoming body may wait for S3 to take its bytes.
 */
export interface StreamedUploadSettings extends ExchangeTimeouts {
  readonly logger: Logger;
  /** Part size in bytes; default {@link S3_PART_BYTES}. */
  readonly partBytes?: number;
}

/** The object a streamed upload writes. */
export interface StreamedUploadTarget {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string | undefined;
  readonly cacheControl: string | undefined;
  /** Declared body length in bytes, when known: a body that ends short of it fails the upload. */
  readonly contentLength: number | undefined;
}

/** The multipart upload behind one streamed upload, as its calls reveal it. */
interface UploadState {
  uploadId: string | undefined;
  settled: boolean;
}

type SendCommand = Parameters<S3Client['send']>[0];

/**
 * A view of `client` whose every call of this upload carries its own deadline and, except the abort, the upload's
 * abort signal (lib-storage's `Upload` sends without one, so a stalled part could otherwise outlive the upload).
 * It also records the multipart upload id and whether the upload was completed or aborted, and calls `onFailure`
 * when a call other than the abort fails, so the other part in flight and the body reader stop at once.
 */
function scopedClient(client: S3Client, uploadSignal: AbortSignal, timeouts: ExchangeTimeouts, state: UploadState, onFailure: () => void): S3Client {
  const scoped = Object.create(client) as S3Client;
  const send = async (command: SendCommand): Promise<unknown> => {
    const finishing = command instanceof AbortMultipartUploadCommand;
    // Each call is one exchange with an in-memory body: its deadline runs from the send to the response headers.
    // The abort must still go out after the upload's signal fired: it is how the parts get freed.
    const exchange = UpstreamExchange.open(timeouts, finishing ? undefined : uploadSignal);
    let output: unknown;
    try {
      // Errors stay the SDK's own (lib-storage reads them); only a missed deadline becomes UPSTREAM_TIMEOUT here.
      output = await exchange.send((abortSignal) => client.send(command, { abortSignal }), (error) => (error instanceof Error ? error : new Error(String(error))));
    } catch (error) {
      if (!finishing) onFailure();
      throw error;
    } finally {
      exchange.close();
    }
    if (command instanceof CreateMultipartUploadCommand) {
      const uploadId = (output as { UploadId?: unknown }).UploadId;
      if (typeof uploadId === 'string') state.uploadId = uploadId;
    }
    if (command instanceof CompleteMultipartUploadCommand || finishing) state.settled = true;
    return output;
  };
  Object.defineProperty(scoped, 'send', { value: send });
  return scoped;
}

/**
 * Streams `body` to S3 as a multipart upload of fixed-size parts, at most {@link S3_PARTS_IN_FLIGHT} in flight
 * (a body of one part or less becomes one PutObject), so memory stays bounded whatever the object size.
 *
 * On any failure (a part or the completion failing, the body failing or stalling, `signal` aborting because the
 * client went away) the multipart upload is aborted before this settles, so no parts are left behind; if even the
 * abort fails, that is logged with the upload id (a bucket lifecycle rule for incomplete uploads is the backstop).
 *
 * @returns the object's ETag as S3 reports it.
 * @throws (rejects) `AbortError` when `signal` aborted; the body's own error (e.g. a size limit); DomainError
 *   `UPSTREAM_TIMEOUT` when the body stalls or a call misses its deadline; otherwise the translated S3 error.
 */
export async function uploadStream(
  client: S3Client,
  target: StreamedUploadTarget,
  body: Readable,
  settings: StreamedUploadSettings,
  signal: AbortSignal | undefined,
): Promise<{ readonly eTag: string | undefined }> {
  if (signal?.aborted) throw abortError(signal);
  const controller = new AbortController();
  const state: UploadState = { uploadId: undefined, settled: false };
  let stalled = false;
  let bodyError: unknown;
  let upstreamFailed = false;
  const guarded: Transform = idleWatchdog(
    settings.idleTimeoutMs,
    () => {
      stalled = true;
      controller.abort();
    },
    'upload',
  );
  // pipeline() keeps the watchdog's own error from going unhandled; a failing source (a size limit upstream of
  // us) becomes the result of the call and stops the parts in flight.
  pipeline(body, guarded).catch((error: unknown) => {
    if (stalled || upstreamFailed || signal?.aborted) return;
    bodyError ??= error;
    controller.abort();
  });
  const onAbort = (): void => {
    controller.abort(signal?.reason);
    if (signal !== undefined) guarded.destroy(abortError(signal));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const stop = (): void => {
    upstreamFailed = true;
    controller.abort();
    // The body may still be arriving: stop reading it, so the request ends now rather than when the client is done.
    if (!guarded.destroyed) guarded.destroy();
  };
  const scoped = scopedClient(client, controller.signal, settings, state, stop);
  const upload = new Upload({
    client: scoped,
    queueSize: S3_PARTS_IN_FLIGHT,
    partSize: settings.partBytes ?? S3_PART_BYTES,
    leavePartsOnError: false,
    params: {
      Bucket: target.bucket,
      Key: target.key,
      Body: guarded,
      ContentType: target.contentType,
      CacheControl: target.cacheControl,
      ...(target.contentLength === undefined ? {} : { ContentLength: target.contentLength }),
    },
  });
  try {
    const result = await upload.done();
    return { eTag: result.ETag };
  } catch (error) {
    const fromBody = bodyError;
    stop();
    await abandon(client, target, state, settings);
    if (signal?.aborted) throw abortError(signal);
    if (stalled) throw new DomainError('UPSTREAM_TIMEOUT', 'The upload body stopped arriving.', { cause: error });
    if (fromBody !== undefined) throw fromBody instanceof Error ? fromBody : new Error(String(fromBody));
    throw translateS3Error(error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Aborts the multipart upload unless it was completed or aborted already; a failure is logged, not thrown. */
async function abandon(client: S3Client, target: StreamedUploadTarget, state: UploadState, settings: StreamedUploadSettings): Promise<void> {
  if (state.uploadId === undefined || state.settled) return;
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: state.uploadId }), {
      abortSignal: AbortSignal.timeout(settings.timeoutMs),
    });
    state.settled = true;
  } catch (error) {
    settings.logger.error({ err: error, bucket: target.bucket, key: target.key, uploadId: state.uploadId }, 'could not abort a failed multipart upload; its parts remain until a lifecycle rule removes them');
  }
}

/** Whether `body` is a stream the multipart path takes (inline bodies are single PutObjects). */
export function isStreamBody(body: Readable | Uint8Array): body is Readable {
  return body instanceof Readable;
}
