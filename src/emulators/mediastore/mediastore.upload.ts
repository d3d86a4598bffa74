/**
 * A PutObject with `x-amz-upload-availability: STREAMING` that is still arriving.
 *
 * The service makes such an object readable "after some initial buffering but before the object is
 * uploaded completely" and ignores `Range` for it; the emulator exposes every received chunk at once.
 * Readers follow the upload by chunk index (no copies are made) until it completes or fails.
 */
export class StreamingUpload {
  private readonly received: Buffer[] = [];
  private receivedBytes = 0;
  private status: 'open' | 'complete' | 'failed' = 'open';
  private readonly listeners = new Set<() => void>();

  /**
   * @param contentType the `Content-Type` the object will be stored with.
   * @param cacheControl the `Cache-Control` the object will be stored with, if any.
   * @param startedAtMs clock time the upload began (served as `Last-Modified` while it is open).
   */
  constructor(
    readonly contentType: string,
    readonly cacheControl: string | undefined,
    readonly startedAtMs: number,
  ) {}

  /** Chunks received so far, in order. The array grows while the upload is open; do not mutate it. */
  get chunks(): readonly Buffer[] {
    return this.received;
  }

  /** Bytes received so far. */
  get size(): number {
    return this.receivedBytes;
  }

  /** `open` while bytes may still arrive, then `complete` or `failed` for good. */
  get state(): 'open' | 'complete' | 'failed' {
    return this.status;
  }

  /** Adds a received chunk and wakes readers. Ignored once the upload is no longer open. */
  append(chunk: Buffer): void {
    if (this.status !== 'open') return;
    this.received.push(chunk);
    this.receivedBytes += chunk.length;
    this.notify();
  }

  /** Marks the upload complete (the request body ended) and wakes readers. */
  complete(): void {
    if (this.status !== 'open') return;
    this.status = 'complete';
    this.notify();
  }

  /** Marks the upload failed (aborted, too large, timed out, emulator closed) and wakes readers. */
  fail(): void {
    if (this.status !== 'open') return;
    this.status = 'failed';
    this.notify();
  }

  /**
   * Calls `listener` after every change (new chunk, completion, failure).
   *
   * @returns a function that removes the listener; readers must call it when they stop following.
   */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
