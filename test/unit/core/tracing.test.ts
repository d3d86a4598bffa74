import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/logger.js';
import { runInRequestScope, runOutsideRequestScope, type RequestScope } from '../../../src/core/request-scope.js';
import { RequestScopeContextManager, spanParent } from '../../../src/core/tracing.js';

const logger = createLogger('silent');
const KEY = createContextKey('test key');

function scopeAt(position: ReturnType<typeof ROOT_CONTEXT.setValue>): RequestScope {
  return { requestId: 'r-1', logger, upstreamCalls: 0, trace: { parent: () => position } };
}

describe('RequestScopeContextManager', () => {
  it('answers the root context when no request scope and no with() is running', () => {
    expect(new RequestScopeContextManager().active()).toBe(ROOT_CONTEXT);
  });

  it("answers the request's trace position when code runs in a request scope", async () => {
    const manager = new RequestScopeContextManager();
    const position = ROOT_CONTEXT.setValue(KEY, 'request');
    await runInRequestScope(scopeAt(position), async () => {
      expect(manager.active()).toBe(position);
      await Promise.resolve();
      // After an await too: the request scope follows the request, as the SDK's own manager would.
      expect(manager.active()).toBe(position);
      expect(spanParent()).toBe(position);
    });
  });

  it('answers the context given to with() while its function runs synchronously, innermost first, and nothing of it after when with() calls nest', () => {
    const manager = new RequestScopeContextManager();
    const outer = ROOT_CONTEXT.setValue(KEY, 'outer');
    const inner = ROOT_CONTEXT.setValue(KEY, 'inner');
    const seen = manager.with(outer, () => [manager.active(), manager.with(inner, () => manager.active()), manager.active()]);
    expect(seen).toEqual([outer, inner, outer]);
    expect(manager.active()).toBe(ROOT_CONTEXT);
    expect(() => manager.with(outer, () => {
      throw new Error('thrown inside');
    })).toThrow('thrown inside');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('passes this and the arguments through with() and bind() when a function is called', () => {
    const manager = new RequestScopeContextManager();
    const bound = ROOT_CONTEXT.setValue(KEY, 'bound');
    const self = { factor: 3 };
    expect(manager.with(bound, function (this: typeof self, value: number) { return this.factor * value; }, self, 2)).toBe(6);
    const fn = manager.bind(bound, (value: number) => [manager.active(), value] as const);
    expect(fn(4)).toEqual([bound, 4]);
    const emitter = { on: () => undefined };
    expect(manager.bind(bound, emitter)).toBe(emitter);
  });

  it('gives code run outside the request scope the root context when a request starts long-lived work', async () => {
    const manager = new RequestScopeContextManager();
    const position = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
    await runInRequestScope(scopeAt(position), () =>
      runOutsideRequestScope(async () => {
        await Promise.resolve();
        expect(manager.active()).toBe(ROOT_CONTEXT);
      }),
    );
  });
});
