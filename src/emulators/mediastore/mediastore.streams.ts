import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamingUpload } from './mediastore.upload.js';

/**
 * Response-body writers of the emulator. Bodies are written as views (`subarray`) of the stored buffer or
 * as the received upload chunks themselves, in bounded slices that respect the socket's backpressure, so
 * serving an object never copies it and a slow reader never makes the emulator buffer a whole body.
 */

/** Slice size for writing stored bodies: large enough to be cheap, small enough to respect backpressure. */
const SLICE_BYTES = 64 * 1024;

/**
 * Writes `body[start, endExclusive)` to `res` and ends it. With `stallAfter`, writes at most that many
 * bytes and then neither writes nor ends (a stalled download; the socket stays open until destroyed).
 */
export function writeBufferBody(
  res: ServerResponse,
  body: Buffer,
  start: number,
  endExclusive: number,
  stallAfter?: number,
): void {
  const stop = stallAfter === undefined ? endExclusive : Math.min(endExclusive, start + stallAfter);
  let offset = start;
  const pump = (): void => {
    while (offset < stop) {
      if (res.destroyed) return;
      const next = Math.min(offset + SLICE_BYTES, stop);
      const flushed = res.write(body.subarray(offset, next));
      offset = next;
      if (!flushed) {
        res.once('drain', pump);
        return;
      }
    }
    if (stallAfter === undefined) res.end();
  };
  pump();
}

/**
 * Streams an open STREAMING upload to `res` as it arrives: chunks already received at once, later ones as
 * they come, then ends when the upload completes or destroys `res` when it fails (the reader sees a
 * truncated chunked body, as when the real service's upstream drops). With `stallAfter`, stops after that
 * many bytes without ending.
 */
export function followUpload(res: ServerResponse, upload: StreamingUpload, stallAfter?: number): void {
  let index = 0;
  let sent = 0;
  let awaitingDrain = false;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    unsubscribe();
  };
  const pump = (): void => {
    if (stopped || awaitingDrain) return;
    if (res.destroyed) {
      stop();
      return;
    }
    const chunks = upload.chunks;
    while (index < chunks.length) {
      let chunk = chunks[index];
      if (chunk === undefined) break;
      if (stallAfter !== undefined) {
        if (sent >= stallAfter) {
          stop();
          return;
        }
        if (sent + chunk.length > stallAfter) chunk = chunk.subarray(0, stallAfter - sent);
      }
      index += 1;
      sent += chunk.length;
      if (!res.write(chunk)) {
        awaitingDrain = true;
        res.once('drain', () => {
          awaitingDrain = false;
          pump();
        });
        return;
      }
    }
    if (upload.state === 'complete') {
      stop();
      if (stallAfter === undefined) res.end();
    } else if (upload.state === 'failed') {
      stop();
      res.destroy();
    }
  };
  const unsubscribe = upload.subscribe(pump);
  res.once('close', stop);
  pump();
}

/** Upper bound on bytes the emulator reads and discards from a request it has already decided to refuse. */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;

/**
 * Reads and discards the rest of `req`, then calls `then` (so an early error response reaches a client
 * that is still writing its body, and the connection stays reusable). If the client keeps sending past
 * 64 MiB, or the request aborts, the socket is destroyed and `then` is not called.
 */
export function discardBodyThen(req: IncomingMessage, then: () => void): void {
  if (req.readableEnded) {
    then();
    return;
  }
  let discarded = 0;
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARD_BYTES) {
      req.off('data', onData);
      req.socket.destroy();
    }
  };
  req.on('data', onData);
  req.once('end', then);
  req.resume();
}

/**
 * Reads whole chunks of `req` until at least `bytes` have arrived (none when `bytes` is 0), then stops reading for
 * good: the request buffer fills, the socket is no longer read, and the client's writes block once the socket
 * buffers are full, as with a store that stops accepting an upload. `onBytes` gets the running count of body bytes
 * read. The exchange ends when either side closes.
 */
export function stopReadingAfter(req: IncomingMessage, bytes: number, onBytes: (received: number) => void): void {
  let received = 0;
  onBytes(0);
  if (bytes === 0) {
    req.pause();
    return;
  }
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    onBytes(received);
    if (received >= bytes) {
      req.off('data', onData);
      req.pause();
    }
  };
  req.on('data', onData);
}
