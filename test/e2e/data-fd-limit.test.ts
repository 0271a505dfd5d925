/**
 * Issue 11 item 6: a low descriptor limit (macOS's default `ulimit -n 256`) with a high -c must not
 * turn EMFILE into failed prompts. The built CLI under `ulimit -n` against the mock server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, type CliResult, SECRET_KEY, isolatedCacheDir, waitForExit } from '../helpers/run-cli.js';
import { rowsOf, stderrLines, useServers } from '../helpers/mock-server-hooks.js';

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

/**
 * Node itself could not start: a crash, or no descriptor to read bin/ or what it imports first
 * (node 24 at 20 fails in its own loader reading a package.json: `node:internal/modules/run_main`).
 */
const nodeCouldNotStart = (r: CliResult) =>
  (r.signal !== null && r.stderr === '') || r.code! > 128 || /bin\/llm-batch\.js|bundle\/start\.js|^node:internal\//.test(r.stderr);

/** What bin/ says when the CLI's code cannot be loaded for want of descriptors. */
const tooFewToLoad =
  /^llm-batch: out of file descriptors(: this process may open only \d+ files)? \(ulimit -n\); raise the limit \(ulimit -n 64\) and run again\n$/;

/** The CLI under `ulimit -n limit`, one prompt to /dev/null; without the response cache unless `cacheDir`. */
function runUnderLimit(limit: number, input: string, url: string, cacheDir?: string) {
  const child = spawn('/bin/sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, BIN, input, '-o', '/dev/null', '--base-url', url], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OPENAI_API_KEY: SECRET_KEY,
      ...(cacheDir === undefined ? { LLM_BATCH_NO_CACHE: '1' } : { LLM_BATCH_CACHE_DIR: cacheDir }),
    },
  });
  child.stdin!.end();
  return waitForExit(child, 20_000);
}

describe('too few descriptors to load the CLI, or to send', () => {
  // Node needs descriptors of its own, the CLI's code a few files (bin/, start.js, its script and
  // code cache), the run its input and a socket. Below what a run needs, every limit that lets node
  // start at all is said so: while the CLI loads, or (a few above that) as a stop once nothing could
  // be sent, where each prompt used to wait 200 times over three minutes to fail as `connection`.
  it('from the lowest ulimit -n node starts under to the first that runs: one line naming ulimit -n, exit 2, within seconds; never an internal error', async () => {
    const { server } = await fresh();
    const input = writeFile('one.txt', 'one\n');
    const loading: number[] = [];
    const sending: number[] = [];
    for (let limit = 16; limit <= 64; limit++) {
      const r = await runUnderLimit(limit, input, server.url);
      expect(r.signal, `ulimit -n ${limit}: still running after 20 s`).not.toBe('SIGKILL');
      if (r.code === 0) break;
      if (nodeCouldNotStart(r)) continue;
      expect({ limit, code: r.code }).toEqual({ limit, code: 2 });
      if (tooFewToLoad.test(r.stderr)) {
        loading.push(limit);
        continue;
      }
      const lines = stderrLines(r);
      expect({ limit, lines }).toEqual({
        limit,
        lines: [
          expect.stringMatching(
            /^llm-batch: out of file descriptors(: this process may open only \d+ files)? \(ulimit -n\): none was left for a request; raise the limit \(ulimit -n 64\) to send the rest$/,
          ),
          expect.stringMatching(/^llm-batch: stopped \(descriptors\): 0 ok, 0 failed, 1 not run · /),
        ],
      });
      sending.push(limit);
    }
    expect(loading.length, 'a limit under which node starts but cannot load the CLI').toBeGreaterThan(0);
    expect(sending.length, 'a limit under which the CLI loads but cannot open a socket').toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);
  });
});

describe('too few descriptors for the response cache', () => {
  // Where LMDB's own open met EMFILE (a limit a few above what a run without the cache needs), lmdb
  // 3.5.6 freed its environment twice: SIGSEGV (exit 139) after the summary, the output's lock left.
  it('from the lowest ulimit -n node starts under to the first that stores the answer: never a crash once the CLI runs; the cache said unusable in one line', async () => {
    const { server } = await fresh();
    const input = writeFile('one.txt', 'one\n');
    const unusable: number[] = [];
    for (let limit = 16; limit <= 64; limit++) {
      const cacheDir = path.join(isolatedCacheDir(), String(limit));
      const r = await runUnderLimit(limit, input, server.url, cacheDir);
      expect(r.signal, `ulimit -n ${limit}: still running after 20 s`).not.toBe('SIGKILL');
      if (nodeCouldNotStart(r) || tooFewToLoad.test(r.stderr)) continue;
      expect({ limit, signal: r.signal, code: r.code === 0 || r.code === 2 }).toEqual({ limit, signal: null, code: true });
      if (r.code !== 0) continue;
      const stored = fs.existsSync(path.join(cacheDir, 'answers-v2.lmdb'));
      if (stored && !r.stderr.includes('response cache')) break;
      expect(r.stderr).toMatch(
        /^llm-batch: response cache: cannot store answers in .*: out of file descriptors(: ulimit -n is \d+; raise it| \(ulimit -n\); raise the limit) to 64 or more\); the run goes on without storing$/m,
      );
      unusable.push(limit);
    }
    expect(unusable.length, 'a limit under which the run answers but the cache cannot open').toBeGreaterThan(0);
  });
});
