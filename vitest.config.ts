import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Integration and e2e suites start their own servers on ephemeral ports, so files can run in parallel.
    fileParallelism: true,
    reporters: ['default'],
  },
});
