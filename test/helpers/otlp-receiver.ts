import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { within } from './within.js';

/** An OTLP attribute value in the JSON encoding. */
interface AnyValue {
  readonly stringValue?: string;
  readonly intValue?: number | string;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
  readonly arrayValue?: { readonly values?: readonly AnyValue[] };
}

interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

/** `ExportTraceServiceRequest` in the OTLP/JSON encoding (ids in hex), as far as the tests read it. */
interface ExportTraceServiceRequest {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly KeyValue[] };
    readonly scopeSpans?: readonly {
      readonly scope?: { readonly name?: string };
      readonly spans?: readonly {
        readonly traceId: string;
        readonly spanId: string;
        readonly parentSpanId?: string;
        readonly name: string;
        readonly kind: number;
        readonly attributes?: readonly KeyValue[];
        readonly status?: { readonly code?: number };
      }[];
    }[];
  }[];
}

/** One span as received, attributes decoded to plain values. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** The parent's span id; undefined for a root span. */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP `SpanKind`: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  /** The instrumentation scope's name. */
  readonly scope: string | undefined;
  /** The resource's attributes. */
  readonly resource: Readonly<Record<string, unknown>>;
}

/** OTLP `SpanKind` values. */
export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

function decode(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decode);
  return undefined;
}

function attributesOf(list: readonly KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((pair) => [pair.key, decode(pair.value)]));
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
}

/**
 * A minimal OTLP/HTTP trace receiver on loopback: accepts `POST /v1/traces` in the JSON encoding (what an exporter
 * sends with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`), answers an empty success, and keeps every span and every raw
 * body. Anything else is answered 404 and counted. The caller closes it.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every request body received, as text (to check that something never left the process). */
  readonly bodies: string[] = [];
  /** Requests that were not `POST /v1/traces` in JSON. */
  unexpected = 0;
  private readonly listeners = new Set<() => void>();

  private readonly server: Server;
  private base = '';

  private constructor() {
    this.server = createServer((req, res) => {
      void (async () => {
        const body = await bodyOf(req);
        if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
          this.unexpected += 1;
          res.writeHead(404).end();
          return;
        }
        this.accept(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      })().catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
  }

  /** Base URL, e.g. `http://127.0.0.1:4318`: the value of `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  get url(): string {
    return this.base;
  }

  /** Listens on 127.0.0.1 on a free port. */
  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    receiver.server.listen(0, '127.0.0.1');
    await once(receiver.server, 'listening');
    const { port } = receiver.server.address() as AddressInfo;
    receiver.base = `http://127.0.0.1:${String(port)}`;
    return receiver;
  }

  /** The spans of trace `traceId` received so far. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  /** Resolves once `condition` holds (checked on every export); rejects after `ms` naming `what`. */
  until(condition: () => boolean, ms: number, what: string): Promise<void> {
    let check: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => {
      check = () => {
        if (condition()) resolve();
      };
      this.listeners.add(check);
      check();
    });
    return within(reached, ms, what).finally(() => this.listeners.delete(check));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error === undefined ? resolve() : reject(error))));
  }

  private accept(body: string): void {
    this.bodies.push(body);
    const request = JSON.parse(body) as ExportTraceServiceRequest;
    for (const resourceSpans of request.resourceSpans ?? []) {
      const resource = attributesOf(resourceSpans.resource?.attributes);
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId === undefined || span.parentSpanId === '' ? undefined : span.parentSpanId,
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
            statusCode: span.status?.code ?? 0,
            scope: scopeSpans.scope?.name,
            resource,
          });
        }
      }
    }
    for (const listener of [...this.listeners]) listener();
  }
}
