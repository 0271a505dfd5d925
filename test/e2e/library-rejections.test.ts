/**
 * A host app using the library with a response store open: its own unhandled rejections go as
 * node's `--unhandled-rejections` mode says, as without the store. The store's listener threw them:
 * a host run with `=warn` or `=none` crashed, and with the default the crash pointed at a line of
 * the bundle (kilobytes of minified code). Imports the BUILT package in a node process of its own.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/run-cli.js';

const { dir } = tempDir('llm-batch-library-rejections-');

const script = path.join(dir, 'host.mjs');
fs.writeFileSync(
  script,
  `import { openResponseStore } from ${JSON.stringify(path.join(ROOT, 'dist', 'bundle', 'index.js'))};
const store = await openResponseStore(${JSON.stringify(path.join(dir, 'cache'))});
Promise.reject(new Error('the app rejection'));
setTimeout(async () => {
  console.log('still alive');
  await store.close();
}, 200);
`,
);

const run = (mode?: string) =>
  spawnSync(process.execPath, [...(mode ? [`--unhandled-rejections=${mode}`] : []), script], { encoding: 'utf8', timeout: 30_000 });

describe('an unhandled rejection of the host app while a response store is open', () => {
  it.each(['warn', 'none', 'warn-with-error-code'])('--unhandled-rejections=%s: as without the store (said once, the app going on)', (mode) => {
    const r = run(mode);
    expect(r.status, r.stderr).toBe(mode === 'warn-with-error-code' ? 1 : 0);
    expect(r.stdout).toBe('still alive\n');
    // Once: handed back under `warn`, node warned of it twice.
    expect(r.stderr.split('the app rejection').length - 1).toBe(mode === 'none' ? 0 : 1);
  });

  it("--unhandled-rejections=strict with the app's own uncaughtException handler: it gets the rejection once", () => {
    const strict = path.join(dir, 'strict.mjs');
    fs.writeFileSync(strict, `process.on('uncaughtException', (err) => console.log('handled', err.message));\n${fs.readFileSync(script, 'utf8')}`);
    const r = spawnSync(process.execPath, ['--unhandled-rejections=strict', strict], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('handled the app rejection\nstill alive\n');
  });

  it("the default: the app ends as node ends it, its own error shown, not the bundle's code", () => {
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Error: the app rejection');
    expect(r.stderr).not.toContain('bundle');
    expect(r.stderr.length).toBeLessThan(2000);
  });
});
