import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * One vitest project per test kind, so `npm run test:unit` (the inner loop) runs only the fast ones. `contract` runs
 * the provider contract bodies against real clouds when their variables are set (docs/contract-tests.md) and skips
 * each provider with one line otherwise, so a plain `vitest run` includes it at no cost.
 */
const projects = ['unit', 'integration', 'e2e', 'conformance', 'fleet', 'contract'] as const;

/** Projects whose files run one after another in a worker without a fresh module graph each (see below). */
const SHARED_MODULES: ReadonlySet<string> = new Set(['unit', 'e2e']);

/**
 * e2e files that measure this process's memory (RSS or heap growth under hostile input). They run as the project
 * `e2e-memory`, each file in a fresh process: in a shared worker the heap and allocator state earlier files leave
 * behind moved their figures (an RSS bound of 5 MB failed at 6.2 MB). test-isolation.test.ts keeps this list whole.
 */
const OWN_PROCESS_E2E = ['test/e2e/http-limits.e2e.test.ts', 'test/e2e/security-limits.e2e.test.ts', 'test/e2e/security-websocket.e2e.test.ts'];

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (`main`) and ESM (`module`) without an exports map. Node resolves the CJS entry for
    // everyone; Vite would give our sources the ESM one, creating a second graphql-js instance in tests only.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: true,
    // Vitest's default is one worker fewer than the cores, which is one on the two-core machines the project runs
    // on. Most files spend their time waiting on sockets, child processes and timers rather than on the CPU, so
    // three at once finish the suite far sooner without starving each other.
    maxWorkers: 3,
    reporters: ['default'],
    projects: [
      ...projects.map((name) => ({
        extends: true as const,
        // Unit and e2e tests share each worker's module cache: importing the schema, the gateway and the providers'
        // SDKs once per worker instead of once per file is most of the unit loop's time and was 300 of the e2e
        // project's 380 s of import time. Their files hold no module state between them (no module mocks, which
        // test/unit/architecture/test-isolation.test.ts enforces; stubs are restored after each test; every server a
        // file starts, it closes). Integration files import little and keep isolation, as do the process-spawning kinds.
        test: {
          name,
          include: [`test/${name}/**/*.test.ts`],
          ...(SHARED_MODULES.has(name) ? { isolate: false } : {}),
          ...(name === 'e2e' ? { exclude: OWN_PROCESS_E2E } : {}),
        },
      })),
      { extends: true, test: { name: 'e2e-memory', include: OWN_PROCESS_E2E } },
    ],
  },
});
