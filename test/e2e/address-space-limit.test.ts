/**
 * Under an address-space limit (`ulimit -v`, as SLURM or Grid Engine's h_vmem set on shared
 * machines), nothing may reserve address space it does not need: V8 wants ~10 GB for each
 * WebAssembly memory (undici's HTTP parser, node's own fetch's copy of it) and the response cache
 * maps 16 GiB for its file. The built CLI under `ulimit -v 6000000` (about 6 GB).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, SECRET_KEY, isolatedCacheDir, waitForExit } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { fresh, writeFile } = useServers('llm-batch-address-space-');

/** The CLI under `ulimit -v 6000000`; the test process itself is not limited. */
function limited(args: readonly string[], cacheDir: string) {
  const child = spawn('/bin/sh', ['-c', 'ulimit -v 6000000 && exec "$0" "$@"', process.execPath, BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: SECRET_KEY, LLM_BATCH_CACHE_DIR: cacheDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end();
  return waitForExit(child, 60_000);
}

describe('ulimit -v 6000000', () => {
  it('--mock answers every prompt (node 20 and 22 used to crash loading their own fetch)', async () => {
    const input = writeFile('mock.txt', 'one\ntwo\nthree\n');
    const r = await limited([input, '--mock', '--no-cache'], isolatedCacheDir());
    expect(r.stderr).not.toMatch(/WebAssembly|RangeError/);
    expect(r.code, r.stderr).toBe(0);
    expect(
      rowsOf(r)
        .map((row) => [row.prompt, row.error])
        .sort(),
    ).toEqual([
      ['one', null],
      ['three', null],
      ['two', null],
    ]);
  });

  it('a run with the response cache, then the same run answered from it', async () => {
    const { server } = await fresh({ latencyMs: 10 });
    const prompts = Array.from({ length: 40 }, (_, i) => `limited ${i}`);
    const input = writeFile('cached.txt', `${prompts.join('\n')}\n`);
    const cacheDir = isolatedCacheDir();
    const first = await limited([input, '--base-url', server.url, '-c', '8'], cacheDir);
    expect(first.code, first.stderr).toBe(0);
    expect(rowsOf(first).filter((row) => row.error === null)).toHaveLength(40);
    expect(server.requests).toHaveLength(40);
    expect(fs.readdirSync(cacheDir).some((name) => name.endsWith('.lmdb'))).toBe(true);

    const again = await limited([input, '--base-url', server.url, '-c', '8'], cacheDir);
    expect(again.code, again.stderr).toBe(0);
    const answers = (rows: ReturnType<typeof rowsOf>) => rows.map((row) => `${row.prompt} ${row.response}`).sort();
    expect(answers(rowsOf(again))).toEqual(answers(rowsOf(first)));
    expect(server.requests).toHaveLength(40);
  });
});
