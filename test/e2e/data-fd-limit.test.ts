/**
 * Issue 11 item 6: a low descriptor limit (macOS's default `ulimit -n 256`) with a high -c must not
 * turn EMFILE into failed prompts. The built CLI under `ulimit -n` against the mock server.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, SECRET_KEY, isolatedCacheDir, waitForExit } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { fresh, writeFile } = useServers('llm-batch-data-fd-');

describe('file descriptor limit (item 6)', () => {
  it('ulimit -n 64 with -c 200 --retries 0: concurrency is lowered (said once), every prompt answered', async () => {
    const { server } = await fresh({ latencyMs: 150 });
    const prompts = Array.from({ length: 300 }, (_, i) => `fd prompt ${i}`);
    const input = writeFile('fd.txt', prompts.join('\n') + '\n');
    const child = spawn(
      '/bin/sh',
      ['-c', 'ulimit -n 64 && exec "$0" "$@"', process.execPath, BIN, input, '-c', '200', '--retries', '0', '--base-url', server.url],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: SECRET_KEY, LLM_BATCH_CACHE_DIR: isolatedCacheDir() },
        // Eight more descriptors inherited, as from a shell or a CI runner that leaks some.
        stdio: ['pipe', 'pipe', 'pipe', ...Array<'pipe'>(8).fill('pipe')],
      },
    );
    child.stdin!.end();
    const r = await waitForExit(child, 60_000);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(300);
    expect(rows.filter((row) => row.error !== null)).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/-c 200 lowered to \d+: this process may open only 64 files \(ulimit -n\); raise it \(ulimit -n 288\) for all of -c/g)).toHaveLength(
      1,
    );
    expect(r.stderr).not.toMatch(/retr/); // no attempt was spent on a local shortage
    // Descriptors were left for the response cache too (lmdb loads at the first write).
    expect(r.stderr).not.toMatch(/response cache/);
  });
});
