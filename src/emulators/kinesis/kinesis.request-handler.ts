import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createStream, describeStream, getDataEndpoint, listStreams } from './kinesis.control-plane.js';
import { KinesisWireError, sendWireError } from './kinesis.errors.js';
import type { EventLog } from '../common/event-log.js';
import type { KinesisFaultSchedule, KinesisOperation, RequestTerminalFault } from './kinesis.faults.js';
import { getMedia } from './kinesis.get-media.js';
import type { GetMediaContext } from './kinesis.get-media.js';
import { checkAuthorization, faultError, readBody, routeOperation, sendJson } from './kinesis.http.js';
import type { InspectionContext } from './kinesis.inspection.js';
import { handleInspection, INSPECTION_PREFIX } from './kinesis.inspection.js';
import type { JsonInput } from './kinesis.input.js';
import { parseJsonInput } from './kinesis.input.js';
import { KVS_MAX_REQUEST_BODY_BYTES } from './kinesis.limits.js';
import { listFragments, type ListFragmentsOrder } from './kinesis.list-fragments.js';
import type { KinesisStreamStore } from './kinesis.store.js';
import type { StreamLimits } from './kinesis.stream-limits.js';
import type { EmulatorTimers } from '../common/emulator-timers.js';

/**
 * Request processing of the Kinesis Video emulator, in this order:
 * 1. read the body (at most 64 KiB kept) and parse it as JSON;
 * 2. record the request in the log (and, for GetMedia naming a stream, in that stream's call log);
 * 3. check the `Authorization` header shape (`MissingAuthenticationToken` / `IncompleteSignature`);
 * 4. request faults: latency, then a terminal fault answers instead of the operation;
 * 5. an unknown route is `UnknownOperationException`, a body that is not a JSON object `SerializationException`;
 * 6. the operation (validation, stream lookup, limits, answer or GetMedia payload).
 * Every response carries `x-amzn-RequestId`. Paths under `/_emulator/` are the emulator's own inspection
 * endpoints (`kinesis.inspection.ts`): answered before step 1, outside the log, auth and faults.
 */

/** One request as received, recorded once its body is read (before auth, faults and validation). */
export interface RecordedRequest {
  readonly operation: KinesisOperation;
  readonly method: string;
  /** Request path, e.g. `/getMedia`. */
  readonly path: string;
  /** Stream named by `StreamName`, or resolved from `StreamARN`; `undefined` when none. */
  readonly stream: string | undefined;
  /** The parsed JSON input; `undefined` when the body was not a JSON object. */
  readonly input: JsonInput | undefined;
  /** Emulator clock at arrival. */
  readonly at: number;
}

/** What the request handler needs from the emulator. */
export interface RequestHandlerContext {
  readonly store: KinesisStreamStore;
  readonly limits: StreamLimits;
  readonly faults: KinesisFaultSchedule;
  readonly requestLog: EventLog<RecordedRequest>;
  readonly mediaContext: GetMediaContext;
  readonly now: () => number;
  readonly requireAuthorization: boolean;
  readonly onInternalError: (error: unknown) => void;
  /** Latency timers, cleared by the emulator's close(). */
  readonly timers: EmulatorTimers;
  /** The emulator's base URL (GetDataEndpoint's answer). */
  readonly endpoint: () => string;
  /** What the `/_emulator/` endpoints read. */
  readonly inspection: InspectionContext;
  /** The order ListFragments answers in. */
  readonly listFragmentsOrder: ListFragmentsOrder;
}

/** Routes and answers the emulator's HTTP requests. */
export class KinesisRequestHandler {
  constructor(private readonly deps: RequestHandlerContext) {}

  /** Handles one HTTP request to its end (answer, GetMedia payload, or dropped connection). Never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID();
    res.setHeader('x-amzn-RequestId', requestId);
    const target = req.url ?? '/';
    const mark = target.indexOf('?');
    const path = mark < 0 ? target : target.slice(0, mark);
    if (path.startsWith(INSPECTION_PREFIX)) {
      handleInspection(this.deps.inspection, req, res);
      return;
    }
    const operation = routeOperation(req.method ?? 'GET', path);
    readBody(req, res, KVS_MAX_REQUEST_BODY_BYTES, (reading) => {
      try {
        this.process(req, res, operation, path, reading.ok ? reading.body : undefined, requestId);
      } catch (error: unknown) {
        this.fail(res, error, requestId);
      }
    });
  }

  /** Records the request, then applies auth, faults (with latency) and dispatch. `body` undefined = too large. */
  private process(
    req: IncomingMessage,
    res: ServerResponse,
    operation: KinesisOperation,
    path: string,
    body: Buffer | undefined,
    requestId: string,
  ): void {
    let input: JsonInput | undefined;
    let inputError: KinesisWireError | undefined;
    if (body === undefined) {
      inputError = new KinesisWireError('SerializationException', 'The request body is too large');
    } else {
      try {
        input = parseJsonInput(body);
      } catch (error: unknown) {
        if (!(error instanceof KinesisWireError)) throw error;
        inputError = error;
      }
    }
    const stream = this.streamNameOf(input);
    this.deps.requestLog.push({ operation, method: req.method ?? 'GET', path, stream, input, at: this.deps.now() });
    if (operation === 'GetMedia' && stream !== undefined) this.deps.limits.recordCall(stream);
    const authError = this.deps.requireAuthorization ? checkAuthorization(req.headers.authorization) : undefined;
    if (authError) throw authError;
    const decision = this.deps.faults.takeRequest(operation, stream);
    const proceed = (): void => {
      try {
        this.dispatch(res, operation, input, inputError, decision.terminal);
      } catch (error: unknown) {
        this.fail(res, error, requestId);
      }
    };
    this.deps.timers.delay(decision.latencyMs, proceed);
  }

  /** The stream a request names: `StreamName` as given, or the name of the stream whose ARN is `StreamARN`. */
  private streamNameOf(input: JsonInput | undefined): string | undefined {
    if (input === undefined) return undefined;
    if (typeof input.StreamName === 'string') return input.StreamName;
    return typeof input.StreamARN === 'string' ? this.deps.store.getByArn(input.StreamARN)?.info.name : undefined;
  }

  private dispatch(
    res: ServerResponse,
    operation: KinesisOperation,
    input: JsonInput | undefined,
    inputError: KinesisWireError | undefined,
    terminal: RequestTerminalFault | undefined,
  ): void {
    if (terminal !== undefined) throw faultError(terminal);
    if (operation === 'Unknown') throw new KinesisWireError('UnknownOperationException', 'The requested operation is not recognized');
    if (inputError !== undefined || input === undefined) {
      throw inputError ?? new KinesisWireError('SerializationException', 'The request body is not a JSON object');
    }
    switch (operation) {
      case 'CreateStream':
        sendJson(res, createStream(this.deps.store, input));
        return;
      case 'DescribeStream':
        sendJson(res, describeStream(this.deps.store, input));
        return;
      case 'ListStreams':
        sendJson(res, listStreams(this.deps.store, input));
        return;
      case 'GetDataEndpoint':
        sendJson(res, getDataEndpoint(this.deps.store, input, this.deps.endpoint()));
        return;
      case 'ListFragments':
        sendJson(res, listFragments(this.deps.store, input, this.deps.listFragmentsOrder));
        return;
      case 'GetMedia':
        getMedia(this.deps.mediaContext, input, res);
        return;
    }
  }

  private fail(res: ServerResponse, error: unknown, requestId: string): void {
    let wire: KinesisWireError;
    if (error instanceof KinesisWireError) {
      wire = error;
    } else {
      this.deps.onInternalError(error);
      wire = new KinesisWireError('InternalFailure', 'The request processing has failed because of an unknown error');
    }
    // A GetMedia payload already under way cannot become an error response: cut the connection instead.
    if (!sendWireError(res, wire, requestId)) res.destroy();
  }
}
