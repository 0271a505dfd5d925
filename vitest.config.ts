import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Two groups: everything else in parallel first, then the timing-sensitive rate tests alone, so
 * that other test files competing for the (2-core) CPU cannot jitter the request times they check.
 * Most suites spend their time waiting on a spawned CLI and a mock server, not on the CPU: one
 * worker per core (vitest's default) left a 2-core machine two-thirds idle, so run at least 3.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    maxWorkers: Math.max(3, availableParallelism()),
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/e2e/rate.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'timing', include: ['test/e2e/rate.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
