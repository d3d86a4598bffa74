import { Router } from 'express';

/** One dependency the readiness probe checks. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency is usable; rejects (any error) when not. Must honour `signal`. */
  readonly check: (signal: AbortSignal) => Promise<void>;
}

/**
 * `/healthz`: the process is up and serving (no dependency checks, so a slow upstream never gets the pod killed).
 * `/readyz`: every datasource is configured and its upstream or emulator answers within `timeoutMs`; 503 with the
 * failing names otherwise. `isShuttingDown` flips readiness off first during a graceful shutdown. `breakers` adds
 * the circuit breaker of each upstream endpoint (`closed`, `half-open`, `open`); an open one fails its provider's
 * check fast, so it shows there as `unreachable` without a call upstream.
 */
export function createHealthRouter(
  checks: readonly ReadinessCheck[],
  options: { readonly timeoutMs: number; readonly isShuttingDown: () => boolean; readonly breakers?: () => Readonly<Record<string, string>> },
): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (options.isShuttingDown()) {
      res.status(503).json({ status: 'shutting-down', checks: {} });
      return;
    }
    const results: Record<string, 'ok' | 'unreachable'> = {};
    await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await check(AbortSignal.timeout(options.timeoutMs));
          results[name] = 'ok';
        } catch {
          // The failure itself is reported as the check's status; details stay out of an unauthenticated endpoint.
          results[name] = 'unreachable';
        }
      }),
    );
    const ready = Object.values(results).every((status) => status === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks: results, ...(options.breakers === undefined ? {} : { breakers: options.breakers() }) });
  });
  return router;
}
