/**
 * Gateway child of `ops-tracing-toggle.ts`: `security-gateway.child.ts`'s gateway (configured from the environment,
 * traces on), whose tracing the parent switches between windows with the `mode` command, so one process serves
 * every configuration and a slow phase of a shared machine hits all of them alike. `spans: 'none'` takes the tracer
 * away (`setActiveTracer(undefined)`: every span site skips its work, as with traces off), `'server'`, `'internal'`
 * and `'client'` record only the spans of that kind (the HTTP span, the GraphQL operation, the upstream call: which
 * costs what), `'all'` records every span; `contextManager: false`
 * unregisters the OpenTelemetry context manager the SDK registered, if it registered one. The SDK, its exporter and
 * its batch processor keep running throughout; what they still hold from the previous window is exported in this one.
 */
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { context, INVALID_SPAN_CONTEXT, SpanKind, trace, type ContextManager, type Tracer } from '@opentelemetry/api';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { setActiveTracer, TRACER_NAME } from '../../src/core/tracing.js';
import { startGateway } from '../../src/server/gateway.js';
import { describeError, sampleUsage, serveCommands } from './ipc.js';
import type { TracingMode, TracingToggleCommands, TracingToggleReady } from './ops-toggle-commands.js';

const config = loadConfig(process.env);
if (!config.tracing.enabled) throw new Error('ops-tracing-toggle.child.ts needs OTEL_EXPORTER_OTLP_ENDPOINT: it switches traces off, never on from nothing');
const gateway = await startGateway(config, { logger: createLogger(config.logLevel, process.stderr) });
const tracer = trace.getTracer(TRACER_NAME);

/** `tracer`, recording only the spans of `kind` (the others are non-recording, as an unsampled span is). */
function onlyKind(kind: SpanKind): Tracer {
  return {
    startSpan: (name, options, parent) => (options?.kind === kind ? tracer.startSpan(name, options, parent) : trace.wrapSpanContext(INVALID_SPAN_CONTEXT)),
    startActiveSpan: tracer.startActiveSpan.bind(tracer),
  };
}
const TRACERS: Readonly<Record<TracingMode['spans'], Tracer | undefined>> = {
  none: undefined,
  all: tracer,
  server: onlyKind(SpanKind.SERVER),
  internal: onlyKind(SpanKind.INTERNAL),
  client: onlyKind(SpanKind.CLIENT),
};
// The API keeps the registered manager private; read once, so it can be registered again after a window without it.
const api = context as unknown as { _getContextManager(): ContextManager };
const registered = api._getContextManager();
const hasContextManager = registered.constructor.name !== 'NoopContextManager';
let contextManagerOn = hasContextManager;

// Main-thread GC pauses, by kind (scavenge, mark-compact, ...), summed since start: where a window's extra CPU goes.
const gcMs: Record<string, number> = {};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = String(((entry as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind ?? 'unknown');
    gcMs[kind] = (gcMs[kind] ?? 0) + entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), Math.max(config.shutdownGraceMs, 0) + 3_000).unref();
  gateway.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`gateway close failed: ${describeError(error)}`);
      process.exit(1);
    },
  );
}

serveCommands<TracingToggleCommands>(
  { url: gateway.url, contextManager: hasContextManager } satisfies TracingToggleReady,
  {
    usage: async () => sampleUsage(),
    gc: async () => ({ ...gcMs }),
    mode: async ({ spans, contextManager }) => {
      setActiveTracer(TRACERS[spans]);
      const wanted = contextManager && hasContextManager;
      if (wanted !== contextManagerOn) {
        if (wanted) context.setGlobalContextManager(registered.enable());
        else context.disable();
        contextManagerOn = wanted;
      }
      return { spans, contextManager: contextManagerOn };
    },
  },
  shutdown,
);
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
