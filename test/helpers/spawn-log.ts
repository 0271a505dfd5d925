import childProcess from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { expect } from 'vitest';

/**
 * A vitest setup file, loaded only when LLM_TEST_SPAWN_LOG names a file (vitest.config.ts): appends
 * one line for every process a test starts, `file<TAB>test<TAB>command`, to count what a suite costs
 * CI (CI is CPU-bound, and a start of the CLI is ~0.25 s of its CPU): `sort | uniq -c` on the first
 * field counts the starts by file. Patched once per worker.
 */
const log = process.env.LLM_TEST_SPAWN_LOG;
const patched = Symbol.for('llm-batch.spawn-log');
if (log && !(childProcess as unknown as Record<symbol, boolean>)[patched]) {
  (childProcess as unknown as Record<symbol, boolean>)[patched] = true;
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync'] as const) {
    const original = childProcess[name] as (...args: unknown[]) => unknown;
    (childProcess as unknown as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
      const { testPath, currentTestName } = expect.getState();
      const command = [args[0], ...(Array.isArray(args[1]) ? args[1] : [])].map(String).join(' ');
      fs.appendFileSync(log, `${testPath ?? '?'}\t${currentTestName ?? '(outside a test)'}\t${command.replace(/\s+/g, ' ').slice(0, 300)}\n`);
      return original.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}
