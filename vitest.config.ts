import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Unit test files that need a module graph of their own, each for the reason given. Every other unit
 * file runs in the `unit` project, whose workers share their modules (isolate: false): importing
 * vitest's runtime and the source afresh for each of ~100 files cost ~0.5 s of CPU apiece (all 110
 * unit files on Node 24: 85 s of CPU isolated, 36 s with only these apart). A file that mocks a
 * module, replaces a global for longer than a test, or needs a src module's once-per-process state
 * fresh goes here.
 */
const ISOLATED_UNITS = [
  // vi.mock: the mocked module would be the one every later file in the worker gets.
  'test/output/full-disk-group.test.ts', // node:fs
  'test/output/write-calls.test.ts', // node:fs
  'test/provider/warm-up.test.ts', // src/provider/agent-pool.js
  'test/input/csv-record-cap.test.ts', // src/input/read-lines.js (a small MAX_LINE_CHARS)
  'test/util/v8-flags.test.ts', // node:v8
  // process.stdin replaced by a getter; src/cli/io.ts keeps a once-per-process failure state.
  'test/cli/process-io.test.ts',
  // quietLmdbConsole patches console.error once per module instance and the test needs the first
  // call; tolerateRejection's process listener and matchers accumulate in src/util/tolerate-rejection.ts.
  'test/cache/lmdb-failures.test.ts',
  'test/cli/tune-wasm.test.ts',
  // Measures how far V8 grows the young generation, which a process that ran other files grew already.
  'test/cli/tune-heap.test.ts',
  // Measures the heap a row retains between two forced collections: a shared worker's leftovers
  // from other files (sockets closing, streams draining) allocate in between (126 bytes a row once).
  'test/report/slim-rows.test.ts',
];

/**
 * Whether .ci/run is installing chromium as the run starts (its marker file is there): a browser
 * test's hook or test first waits for it (test/helpers/chromium-pending.ts), ~45 s on a fresh
 * machine and longer from a slow mirror. Later runs of the same CI (the other majors) find it done.
 */
const chromiumMarker = process.env['LLM_BATCH_CHROMIUM_PENDING'];
const CHROMIUM_PENDING = chromiumMarker !== undefined && chromiumMarker !== '' && existsSync(chromiumMarker);

/**
 * Four groups: the unit tests (isolated or not, above) and the end-to-end suites in parallel first,
 * then the timing-sensitive rate tests alone, so that other test files competing for the (2-core)
 * CPU cannot jitter the request times they check (CI runs them beside work it runs under `nice`:
 * .ci/run). Most suites spend their time waiting on a spawned
 * CLI and a mock server, not on the CPU: one worker per core (vitest's default) left a 2-core
 * machine two-thirds idle, so run at least 3.
 *
 * The end-to-end suites share their workers' modules (isolate: false): each starts its own CLI
 * processes, servers and temp dirs and keeps no state in a module, and importing vitest's runtime
 * and the helpers afresh for each of ~80 files cost ~0.2 s of CPU apiece, in every CI phase.
 */
export default defineConfig({
  test: {
    testTimeout: CHROMIUM_PENDING ? 300_000 : 60_000,
    maxWorkers: Math.max(3, availableParallelism()),
    hookTimeout: CHROMIUM_PENDING ? 300_000 : 30_000,
    // The run's temp root: made before the workers start, removed (with what is recorded in it) after.
    globalSetup: ['test/global-setup.ts'],
    // LLM_TEST_SPAWN_LOG=FILE: every process a test starts, one line each (test/helpers/spawn-log.ts).
    setupFiles: process.env.LLM_TEST_SPAWN_LOG ? ['test/helpers/spawn-log.ts'] : [],
    // The built bundle, loaded by Node as bin/ loads it, never transformed (test/helpers/run-in-worker.ts).
    server: { deps: { external: [/\/dist\/bundle\//] } },
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ISOLATED_UNITS, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/scale/**', ...ISOLATED_UNITS],
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], exclude: ['test/e2e/rate.test.ts'], isolate: false, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'timing', include: ['test/e2e/rate.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      // The scale tests (a 100,000-row report, 50,001 prompts in batches, a 64 MB CSV record) are
      // `npm run test:scale`'s, which `npm run bench` runs: ~50 s of CPU that CI, CPU-bound, cannot spare.
      ...(process.env.LLM_BATCH_SCALE ? [{ extends: true, test: { name: 'scale', include: ['test/scale/**/*.test.ts'] } }] : []),
    ],
  },
});
