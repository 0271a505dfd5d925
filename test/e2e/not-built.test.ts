/**
 * A checkout run before its build (`npm ci` alone does not build): one line saying so, exit 2, where
 * Node's ERR_MODULE_NOT_FOUND and its stack came out. The shim as shipped, in a tree with no dist/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/run-cli.js';

it('bin/llm-batch.js with no dist/: "not built", exit 2, no stack', () => {
  const { dir, cleanup } = tempDir('llm-batch-not-built-');
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(path.join(ROOT, 'bin', 'llm-batch.js'), path.join(dir, 'bin', 'llm-batch.js'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
    const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'llm-batch.js'), '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('llm-batch: not built: run `npm run build` in the checkout first (npm ci alone does not build)\n');
    expect(r.stdout).toBe('');
  } finally {
    cleanup();
  }
});
