import type { ServerResponse } from 'node:http';
import { streamRef } from './kinesis.control-plane.js';
import { KinesisWireError } from './kinesis.errors.js';
import type { KinesisFaultSchedule } from './kinesis.faults.js';
import type { GetMediaSessionRecord } from './kinesis.get-media-session.js';
import { GetMediaSession } from './kinesis.get-media-session.js';
import type { JsonInput } from './kinesis.input.js';
import type { ExpiredStartPolicy, StartSelectorType } from './kinesis.start-selector.js';
import { planStart, readStartSelector } from './kinesis.start-selector.js';
import type { KinesisStreamStore } from './kinesis.store.js';
import type { StreamLimits } from './kinesis.stream-limits.js';

/**
 * GetMedia (`@aws-sdk/client-kinesis-video-media`), `POST /getMedia`: validation, the per-stream limits, then
 * a {@link GetMediaSession} streaming the payload.
 *
 * Order of checks: StartSelector and stream reference shape (`InvalidArgumentException`), stream existence
 * (`ResourceNotFoundException`), the per-second call limit (`ClientLimitExceededException`), the concurrent
 * connection limit (`ConnectionLimitExceededException`). A call refused by the call limit does not take a
 * connection slot; a call refused by the connection limit still counts as an accepted call for the rate.
 */

/** A GetMedia session whose response is still open, as `GET /_emulator/sessions` reports it. */
export interface OpenGetMediaSession {
  /** Emulator-wide session number, as in the finished-session record. */
  readonly id: number;
  readonly stream: string;
  readonly selector: StartSelectorType;
  /** Emulator clock when the session started. */
  readonly startedAt: number;
  /**
   * The caller's socket as the emulator sees it; on one machine the port identifies the process that holds the
   * session (tests and benchmarks use it to find which gateway reads a stream).
   */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** What GetMedia needs from the emulator. */
export interface GetMediaContext {
  readonly store: KinesisStreamStore;
  readonly limits: StreamLimits;
  readonly faults: KinesisFaultSchedule;
  readonly idleEndMs: number;
  readonly bytesPerSecond: number;
  readonly expiredStartPolicy: ExpiredStartPolicy;
  readonly now: () => number;
  readonly isClosing: () => boolean;
  readonly nextSessionId: () => number;
  /** Called when a session's response has closed. */
  readonly onSessionEnd: (record: GetMediaSessionRecord) => void;
  /** Sessions whose response is open, by id: added when a session starts, removed when its response closes. */
  readonly openSessions: Map<number, OpenGetMediaSession>;
}

/**
 * Handles one GetMedia call: answers 200 and streams, or throws the error to answer.
 *
 * @throws KinesisWireError for every refusal listed above (nothing has been written then).
 */
export function getMedia(ctx: GetMediaContext, input: JsonInput, res: ServerResponse): void {
  const selector = readStartSelector(input);
  const ref = streamRef(input);
  const stream = ctx.store.resolve(ref.name, ref.arn);
  const name = stream.info.name;
  if (!ctx.limits.tryAcceptCall(name)) {
    throw new KinesisWireError('ClientLimitExceededException', 'Too many GetMedia calls for this stream; try again later');
  }
  if (!ctx.limits.tryOpen(name)) {
    throw new KinesisWireError('ConnectionLimitExceededException', 'Too many concurrent GetMedia connections for this stream');
  }
  const id = ctx.nextSessionId();
  // Released exactly once, whether the session ends normally or fails while starting.
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    ctx.openSessions.delete(id);
    ctx.limits.release(name);
  };
  ctx.openSessions.set(id, {
    id,
    stream: name,
    selector: selector.type,
    startedAt: ctx.now(),
    remoteAddress: res.socket?.remoteAddress,
    remotePort: res.socket?.remotePort,
  });
  try {
    const plan = planStart(ctx.store, stream, selector, ctx.expiredStartPolicy);
    GetMediaSession.start({
      id,
      res,
      store: ctx.store,
      stream,
      selector: selector.type,
      plan,
      fault: ctx.faults.takeSession(name),
      idleEndMs: ctx.idleEndMs,
      bytesPerSecond: ctx.bytesPerSecond,
      now: ctx.now,
      isClosing: ctx.isClosing,
      onEnd: (record) => {
        release();
        ctx.onSessionEnd(record);
      },
    });
  } catch (error: unknown) {
    release();
    throw error;
  }
}
