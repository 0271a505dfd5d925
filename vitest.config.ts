import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Three groups: the unit tests and the end-to-end suites in parallel first, then the
 * timing-sensitive rate tests alone, so that other test files competing for the (2-core) CPU cannot
 * jitter the request times they check. Most suites spend their time waiting on a spawned CLI and a
 * mock server, not on the CPU: one worker per core (vitest's default) left a 2-core machine
 * two-thirds idle, so run at least 3.
 *
 * The end-to-end suites share their workers' modules (isolate: false): each starts its own CLI
 * processes, servers and temp dirs and keeps no state in a module, and importing vitest's runtime
 * and the helpers afresh for each of ~80 files cost ~0.2 s of CPU apiece, in every CI phase. Unit
 * tests keep a fresh module graph per file: some mock modules, patch the console or check what a
 * module has loaded.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    maxWorkers: Math.max(3, availableParallelism()),
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], exclude: ['test/e2e/rate.test.ts'], isolate: false, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'timing', include: ['test/e2e/rate.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
