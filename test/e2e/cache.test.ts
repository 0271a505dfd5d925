/**
 * The response cache end to end: the built CLI against the mock server, with a cache directory per
 * test. What a hit looks like, which request changes miss, what is never stored, several runs on one
 * cache at once, a kill -9 in the middle of writes, and `llm-batch cache`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { startMockServer } from '../helpers/mock-server.js';
import { BIN, SECRET_KEY, parseJsonl, runCli, spawnCli, tempDir, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { STORE_FILE, openResponseStore } from '../../src/cache/response-store.js';

const ctx = useServerAndCaseDir('llm-batch-cache-');

interface Row {
  id: string;
  prompt: string;
  response: string | null;
  error: { type: string } | null;
  attempts: number;
  cached?: true;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
}

/** Runs the CLI with the test's cache and returns its rows (stdout JSONL). */
async function run(args: readonly string[], env: Record<string, string | undefined> = {}) {
  const result = await runCli([...args, '--base-url', ctx.server.url, '-f', 'jsonl', '--retries', '0'], {
    env: { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'cache'), ...env },
  });
  return { ...result, rows: parseJsonl<Row>(result.stdout) };
}

describe('response cache', () => {
  it('answers a second run from the cache: no request, attempts 0, cached: true, usage as first reported, no cost', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['alpha', 'beta', 'gamma']);
    const first = await run([input, '-m', 'gpt-4o-mini']);
    expect(first.code).toBe(0);
    expect(ctx.server.requests).toHaveLength(3);
    expect(first.rows.every((r) => r.cached === undefined && r.attempts === 1)).toBe(true);

    const summaryFile = path.join(ctx.dir, 'summary.json');
    const second = await run([input, '-m', 'gpt-4o-mini', '--summary-json', summaryFile]);
    expect(second.code).toBe(0);
    expect(ctx.server.requests).toHaveLength(3);
    expect(second.rows).toHaveLength(3);
    for (const row of second.rows) {
      const before = first.rows.find((r) => r.id === row.id)!;
      expect(row).toMatchObject({ cached: true, attempts: 0, response: before.response, usage: before.usage, error: null });
    }
    expect(second.stderr).toMatch(/3 ok \(3 from cache\)/);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary).toMatchObject({ ok: 3, fromCache: 3, requests: 0, promptTokens: 0 });
    expect(summary.estimatedCost?.usd ?? 0).toBe(0);
  });

  it('LLM_BATCH_NO_CACHE=1 stores nothing and finds nothing, also with LLM_BATCH_CACHE_DIR; --cache-dir beats it', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['alpha', 'beta']);
    const cacheDir = path.join(ctx.dir, 'cache');
    expect((await run([input, '-m', 'm1'])).code).toBe(0);
    expect(ctx.server.requests).toHaveLength(2);
    // One run with it off: it finds nothing (alpha and beta, stored above, are asked again) and
    // stores nothing (gamma, a new prompt asked with it off, is not found with it on).
    const off = await run([writePrompts(ctx.dir, 'off.txt', ['alpha', 'beta', 'gamma']), '-m', 'm1'], { LLM_BATCH_NO_CACHE: '1' });
    expect(off.code, off.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(5);
    expect(['alpha', 'beta', 'gamma'].map((prompt) => ctx.server.countFor(prompt))).toEqual([2, 2, 1]);
    expect(off.rows.some((r) => r.cached)).toBe(false);
    const other = writePrompts(ctx.dir, 'q.txt', ['gamma']);
    expect((await run([other, '-m', 'm1'])).rows[0]).toMatchObject({ attempts: 1 });
    expect(ctx.server.requests).toHaveLength(6);
    // A --cache-dir on the command line is this run's choice: it reads (and writes) that cache.
    const flagged = await run([input, '-m', 'm1', '--cache-dir', cacheDir], { LLM_BATCH_NO_CACHE: '1' });
    expect(flagged.rows.map((r) => r.cached)).toEqual([true, true]);
    expect(ctx.server.requests).toHaveLength(6);
  });

  it('misses when the prompt, the model, the temperature, max_tokens or the system message changes; the original still hits', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    await run([input, '-m', 'm1']);
    expect(ctx.server.requests).toHaveLength(2);
    // One cache and one run for all the changes, each carried by its own rows (a JSONL row's prompt,
    // model, temperature, max_tokens and system message are its request's, as -t, -m, --temperature,
    // --max-tokens and -s make them for every row): each is a question none of the others asked either.
    const changes: [string, (prompt: string) => Record<string, unknown>][] = [
      ['the prompt', (prompt) => ({ prompt: `Q: ${prompt}` })],
      ['the model', (prompt) => ({ prompt, model: 'other-model' })],
      ['the temperature', (prompt) => ({ prompt, temperature: 0.5 })],
      ['max_tokens', (prompt) => ({ prompt, max_tokens: 50 })],
      ['the system message', (prompt) => ({ prompt, system: 'Be brief.' })],
    ];
    const changedFile = path.join(ctx.dir, 'changed.jsonl');
    fs.writeFileSync(
      changedFile,
      changes.flatMap(([what, row]) => ['one', 'two'].map((prompt) => `${JSON.stringify({ id: `${what}: ${prompt}`, ...row(prompt) })}\n`)).join(''),
    );
    const changed = await run([changedFile, '-m', 'm1']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(2 + 2 * changes.length);
    for (const [what] of changes) {
      const rows = changed.rows.filter((r) => r.id.startsWith(`${what}: `));
      // Both of the change's prompts asked, one request each (--retries 0), neither from the cache.
      expect(
        rows.map((r) => r.attempts),
        what,
      ).toEqual([1, 1]);
      expect(
        rows.some((r) => r.cached),
        what,
      ).toBe(false);
    }
    // …and the original request still hits.
    const again = await run([input, '-m', 'm1']);
    expect(ctx.server.requests).toHaveLength(12);
    expect(again.rows.every((r) => r.cached)).toBe(true);
  });

  it('misses on another server (the endpoint is in the key; its path is covered by the unit test)', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    await run([input]);
    const other = await startMockServer();
    try {
      const result = await runCli([input, '--base-url', other.url, '-f', 'jsonl'], { env: { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'cache') } });
      expect(parseJsonl<Row>(result.stdout)[0]?.cached).toBeUndefined();
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('ignores stream, user and metadata: the same question asked another way hits; another seed misses', async () => {
    const rowsFile = path.join(ctx.dir, 'p.jsonl');
    const record = (id: string, body: Record<string, unknown>) =>
      JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'hi' }], ...body } });
    fs.writeFileSync(rowsFile, `${record('a', { user: 'u1', metadata: { k: 'v' } })}\n`);
    await run([rowsFile]);
    expect(ctx.server.requests).toHaveLength(1);
    // In one run: the question asked another way (not streamed, another user, no metadata), and
    // with another body field (seed), which is part of the question.
    fs.writeFileSync(rowsFile, `${record('a', { user: 'u2' })}\n${record('b', { seed: 7 })}\n`);
    const again = await run([rowsFile, '--no-stream']);
    expect(again.rows.find((r) => r.id === 'a')?.cached).toBe(true);
    expect(again.rows.find((r) => r.id === 'b')?.cached).toBeUndefined();
    expect(ctx.server.requests).toHaveLength(2);
    expect(ctx.server.requests[1]?.body.seed).toBe(7);
  });

  it('never stores an HTTP error, a stream cut short or a malformed body; the answers beside them are', async () => {
    // One prompt per fault, each failing only in the first run; with --retries 0 each is a failed row.
    const faults = { 'bad 500': '500', 'bad cut': 'cut', 'bad garbage': 'garbage' } as const;
    const bad = Object.keys(faults) as (keyof typeof faults)[];
    const input = writePrompts(ctx.dir, 'p.txt', [...bad, 'good']);
    ctx.server.options.fault = ({ prompt }) => faults[prompt as keyof typeof faults];
    const first = await run([input]).finally(() => {
      ctx.server.options.fault = undefined;
    });
    for (const prompt of bad) expect(first.rows.find((r) => r.prompt === prompt)?.error, prompt).not.toBeNull();
    expect(first.rows.find((r) => r.prompt === 'good')?.error).toBeNull();
    const second = await run([input]);
    for (const prompt of bad) {
      const row = second.rows.find((r) => r.prompt === prompt)!;
      expect(row, prompt).toMatchObject({ error: null, attempts: 1 });
      expect(row.cached, prompt).toBeUndefined();
      expect(ctx.server.countFor(prompt), prompt).toBe(2);
    }
    expect(second.rows.find((r) => r.prompt === 'good')?.cached).toBe(true);
  });

  it('--no-cache sends every request and stores nothing; it does not read a cache that has the answer either', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    await run([input, '--no-cache']);
    await run([input, '--no-cache']);
    const stored = await run([input]);
    expect(stored.rows[0]?.cached).toBeUndefined();
    expect(ctx.server.requests).toHaveLength(3);
    // The cache holds the answer now (the plain run last takes it from there): --no-cache asks again.
    const again = await run([input, '--no-cache']);
    expect(again.rows[0]).toMatchObject({ error: null, response: 'ECHO one' });
    expect(again.rows[0]?.cached).toBeUndefined();
    expect(ctx.server.requests).toHaveLength(4);
    expect((await run([input])).rows[0]?.cached).toBe(true);
    expect(ctx.server.requests).toHaveLength(4);
  });

  it('--cache-dir wins over LLM_BATCH_CACHE_DIR', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const flagDir = path.join(ctx.dir, 'flag-cache');
    await run([input, '--cache-dir', flagDir]);
    expect(fs.existsSync(flagDir)).toBe(true);
    expect(fs.existsSync(path.join(ctx.dir, 'cache'))).toBe(false);
    const again = await run([input, '--cache-dir', flagDir]);
    expect(again.rows[0]?.cached).toBe(true);
  });

  it('an unusable --cache-dir is a usage error before anything is sent or written, live or --batch-api', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const file = path.join(ctx.dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const out = path.join(ctx.dir, 'out.jsonl');
    const result = await run([input, '-o', out, '--cache-dir', path.join(file, 'sub')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^llm-batch: --cache-dir \S*a-file\/sub: a part of the path is a file, not a directory \(choose another --cache-dir, or --no-cache\)\n$/,
    );
    // Refused before the output is made, as every other refusal before sending: no empty file, no .meta.json.
    expect(fs.readdirSync(ctx.dir).filter((name) => name.startsWith('out.'))).toEqual([]);
    const batch = await run([input, '-o', out, '--batch-api'], { LLM_BATCH_CACHE_DIR: file });
    expect(batch.code).toBe(2);
    expect(batch.stderr).toBe(`llm-batch: LLM_BATCH_CACHE_DIR ${file}: is a file, not a directory (choose another --cache-dir, or --no-cache)\n`);
    expect(fs.readdirSync(ctx.dir).filter((name) => name.startsWith('out.'))).toEqual([]);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('an empty --cache-dir (a "$DIR" left unset) is one usage line, exit 2, for runs and `cache` alike', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    for (const empty of ['', ' ']) {
      // The refusal of '' as a child process (through bin/), of ' ' in the worker: it sends and opens nothing.
      const result =
        empty === ''
          ? await run([input, '--cache-dir', empty])
          : await runInWorker([input, '--cache-dir', empty, '--base-url', ctx.server.url, '-f', 'jsonl', '--retries', '0'], {
              env: { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'cache') },
            });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('llm-batch: --cache-dir needs a directory path (leave it out for the default cache, or use --no-cache)\n');
      expect(result.stdout).toBe('');
    }
    for (const command of [['stats'], ['clear'], ['prune', '--older-than', '1']]) {
      const result = await runInWorker(['cache', ...command, '--cache-dir', '']);
      expect(result.code, command[0]).toBe(2);
      expect(result.stderr).toBe('llm-batch: --cache-dir needs a directory path (leave it out for the default cache)\n');
      expect(result.stdout).toBe('');
    }
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('several runs at once share one cache: every answer stored once, all readable after', async () => {
    const prompts = Array.from({ length: 150 }, (_, i) => `shared ${i}`);
    const inputs = [0, 1, 2].map((k) => writePrompts(ctx.dir, `p${k}.txt`, prompts.slice(k * 30, k * 30 + 90)));
    const env = { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'cache') };
    const children = inputs.map((input) => spawnCli([input, '--base-url', ctx.server.url, '-f', 'jsonl', '-c', '16'], { env }));
    const results = await Promise.all(children.map((c) => waitForExit(c)));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(parseJsonl<Row>(r.stdout)).toHaveLength(90);
    }
    const requestsBefore = ctx.server.requests.length;
    const all = writePrompts(ctx.dir, 'all.txt', prompts.slice(0, 150));
    const again = await run([all]);
    expect(again.code).toBe(0);
    expect(again.rows.filter((r) => r.cached)).toHaveLength(150);
    expect(ctx.server.requests.length).toBe(requestsBefore);
  });

  it('duplicates within a run are asked once: the rest wait for that answer, each with its own row', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', [...Array.from({ length: 30 }, () => 'same question'), 'other']);
    const { code, rows } = await run([input, '-c', '1']);
    expect(code).toBe(0);
    expect(ctx.server.requests.map((r) => r.prompt).sort()).toEqual(['other', 'same question']);
    expect(rows).toHaveLength(31);
    expect(new Set(rows.map((r) => r.id)).size).toBe(31);
    const same = rows.filter((r) => r.prompt === 'same question');
    expect(same.every((r) => r.error === null && r.response === 'ECHO same question')).toBe(true);
    expect(same.filter((r) => r.cached).length).toBe(29);
  });

  it('when the first of the duplicates fails, the next asks for itself, and the rest take its answer', async () => {
    // The mock fails this prompt's first request; --retries 0 makes that the first row's error.
    const prompt = 'flaky [[fault:500*1]]';
    const input = writePrompts(
      ctx.dir,
      'p.txt',
      Array.from({ length: 10 }, () => prompt),
    );
    const { code, rows } = await run([input, '-c', '2']);
    expect(code).toBe(1);
    expect(ctx.server.requests).toHaveLength(2);
    expect(rows).toHaveLength(10);
    expect(rows.filter((r) => r.error !== null).map((r) => r.error?.type)).toEqual(['http']);
    expect(rows.filter((r) => r.error === null && r.response !== null)).toHaveLength(9);
  });

  it('when the second of the duplicates fails too, the rest ask at once, not one after another', async () => {
    // Every request for it fails, each after 400 ms: asked in turn, no two would arrive within 400 ms.
    const prompt = 'broken [[latency:400]]';
    ctx.server.options.fault = (req) => (req.prompt === prompt ? '500' : undefined);
    const input = writePrompts(
      ctx.dir,
      'p.txt',
      Array.from({ length: 8 }, () => prompt),
    );
    const { code, rows } = await run([input, '-c', '8']).finally(() => {
      delete ctx.server.options.fault;
    });
    expect(code).toBe(1);
    expect(rows).toHaveLength(8);
    expect(rows.every((r) => r.error?.type === 'http')).toBe(true);
    const times = ctx.server.requests.map((r) => r.t).sort((a, b) => a - b);
    expect(times).toHaveLength(8);
    // The first two in turn (a passing failure costs one request more), then the six together.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(400);
    expect(times.slice(2).every((t, i, rest) => i === 0 || t - rest[i - 1]! < 400)).toBe(true);
  });

  it('duplicates waiting for an answer do not stop the other prompts from being read and sent', async () => {
    // -c 2 reads at most 20 records ahead: 30 duplicates waiting would hold the 5 others back.
    const slow = 'slow';
    const others = Array.from({ length: 5 }, (_, i) => `other ${i}`);
    // The one request for the duplicates is answered once the server has seen the 5 others, or after
    // 10 s: held back behind the duplicates, they would come only after that. (A fixed 800 ms answer
    // was outrun on a loaded CI machine, where slow start's spacing of the others stretched 4-fold.)
    let release = () => {};
    const answered = new Promise<void>((resolve) => (release = resolve));
    const fallback = setTimeout(release, 10_000);
    let seen = 0;
    let releasedAt = Number.POSITIVE_INFINITY;
    void answered.then(() => (releasedAt = performance.now()));
    ctx.server.options.hold = (req) => (req.prompt === slow ? answered : undefined);
    ctx.server.options.fault = ({ prompt }) => {
      if (others.includes(prompt) && ++seen === others.length) release();
      return undefined;
    };
    try {
      const input = writePrompts(ctx.dir, 'p.txt', [...Array.from({ length: 30 }, () => slow), ...others]);
      const { code, rows } = await run([input, '-c', '2']);
      expect(code, rows.map((r) => r.error?.type).join()).toBe(0);
      expect(rows).toHaveLength(35);
      const asked = ctx.server.requests;
      expect(asked.filter((r) => r.prompt === slow)).toHaveLength(1);
      // Sent while the one request for the duplicates was still being answered.
      for (const other of others) expect(asked.find((r) => r.prompt === other)!.t).toBeLessThan(releasedAt);
    } finally {
      clearTimeout(fallback);
      delete ctx.server.options.hold;
      delete ctx.server.options.fault;
    }
  });

  it('a kill -9 in the middle of writes leaves a cache that opens and answers', async () => {
    const prompts = Array.from({ length: 3000 }, (_, i) => `killed ${i}`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const env = { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'cache') };
    // To a file: nobody reads the child's stdout until it exits.
    const child = spawnCli([input, '--base-url', ctx.server.url, '-o', path.join(ctx.dir, 'killed.jsonl'), '-c', '32'], { env });
    // Killed once hundreds of answers are in: the cache has committed and in-flight writes.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (ctx.server.requests.length >= 600) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    child.kill('SIGKILL');
    await waitForExit(child);
    const sent = ctx.server.requests.length;
    expect(sent).toBeLessThan(3000);

    const again = await run([input, '-c', '32']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.rows).toHaveLength(3000);
    const cached = again.rows.filter((r) => r.cached).length;
    // Most of what was answered before the kill is reused; the rest is asked again.
    expect(cached).toBeGreaterThan(0);
    expect(ctx.server.requests.length - sent).toBe(3000 - cached);
  });
});

describe('a cache that cannot be written costs only the cache', () => {
  /**
   * The CLI with its files capped by `ulimit -f 512` (256 KB: dash counts 512-byte blocks): a full disk
   * without a small filesystem to mount. Node ignores SIGXFSZ, so lmdb's writes fail with EFBIG
   * (its commits then with EIO), as on a full disk with ENOSPC. The rows go to stdout, a pipe.
   */
  function capped(args: readonly string[], cacheDir: string, blocks = 512) {
    const child = spawn('/bin/sh', ['-c', `ulimit -f ${blocks} && exec "$0" "$@"`, process.execPath, BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: SECRET_KEY, LLM_BATCH_CACHE_DIR: cacheDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return waitForExit(child);
  }

  it('a run whose cache file hits the size limit finishes every row with one warning line; so does the next', async () => {
    // ~1 KB answers (the mock echoes the prompt): 1,000 of them are well past a limit of 1 MiB, and
    // the first transaction (at most 256 KiB of answers, ~520 KB of file with random keys) fits.
    const prompts = Array.from({ length: 1000 }, (_, i) => `full ${i} ${'x'.repeat(1000)}`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const cacheDir = path.join(ctx.dir, 'cache');
    const args = [input, '--base-url', ctx.server.url, '-f', 'jsonl', '--retries', '0', '-c', '16'];
    for (const round of [1, 2]) {
      const result = await capped(args, cacheDir, 2048);
      expect(result.code, `round ${round}: ${result.stderr}`).toBe(0);
      const rows = parseJsonl<Row>(result.stdout);
      expect(rows).toHaveLength(1000);
      expect(rows.every((r) => r.error === null)).toBe(true);
      const lines = result.stderr.trim().split('\n');
      expect(
        lines.filter((l) =>
          /response cache: cannot store answers in .*cache \((Input\/output error|File too large|No space left on device)[^)]*\); the run goes on/.test(l),
        ),
        `round ${round}: ${result.stderr}`,
      ).toHaveLength(1);
      // That line and the summary: no stack trace. (LMDB's C code may print "Write error: …" itself,
      // without a newline, so it lands at the start of the warning line.)
      expect(lines, result.stderr).toHaveLength(2);
      if (round === 2) expect(rows.filter((r) => r.cached).length).toBeGreaterThan(0);
    }
    // What was committed before the limit is still a cache that opens and answers.
    expect(fs.statSync(path.join(cacheDir, 'answers-v2.lmdb')).size).toBeLessThanOrEqual(1024 * 1024);
  });

  it('-q still says a cache that stops storing mid-run; a default one that never opened is a notice it silences', async () => {
    // A re-run pays again for every answer not stored: -q keeps that line, as it keeps a budget overrun.
    const prompts = Array.from({ length: 1000 }, (_, i) => `quiet full ${i} ${'x'.repeat(1000)}`);
    const input = writePrompts(ctx.dir, 'q.txt', prompts);
    const result = await capped([input, '--base-url', ctx.server.url, '-f', 'jsonl', '--retries', '0', '-c', '16', '-q'], path.join(ctx.dir, 'cache'), 2048);
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonl<Row>(result.stdout)).toHaveLength(1000);
    // That line alone: no summary (nothing failed). LMDB's C code may print "Write error: …" before it.
    expect(result.stderr).toMatch(
      /^(?:Write error: [^\n]*)?llm-batch: response cache: cannot store answers in .*cache \([^\n]*\); the run goes on without storing\n$/,
    );

    const xdg = path.join(ctx.dir, 'xdg');
    const child = spawn(
      '/bin/sh',
      ['-c', 'ulimit -f 16 && exec "$0" "$@"', process.execPath, BIN, input, '--base-url', ctx.server.url, '-f', 'jsonl', '--limit', '2', '-q'],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: SECRET_KEY, XDG_CACHE_HOME: xdg },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // A default directory that cannot be used runs without a cache every time (a service user
    // without a writable home): under -q, a cron job's, that would be a line every run.
    const unopened = await waitForExit(child);
    expect(unopened.code, unopened.stderr).toBe(0);
    expect(unopened.stderr).toBe('');
  });

  it('a new cache with no room for its first pages: the default one is one line and every row; one chosen is refused up front', async () => {
    // 8 KiB: LMDB's two meta pages do not fit. LMDB mapped the pages it could not write and died of
    // SIGSEGV at its first store (exit 139, after the rows), and so did every later run over the empty file.
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two', 'three']);
    const xdg = path.join(ctx.dir, 'xdg');
    const cacheDir = path.join(xdg, 'llm-batch');
    for (const round of [1, 2]) {
      const child = spawn('/bin/sh', ['-c', 'ulimit -f 16 && exec "$0" "$@"', process.execPath, BIN, input, '--base-url', ctx.server.url, '-f', 'jsonl'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: SECRET_KEY, XDG_CACHE_HOME: xdg },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const result = await waitForExit(child);
      expect(result.signal, result.stderr).toBeNull();
      expect(result.code, `round ${round}: ${result.stderr}`).toBe(0);
      expect(parseJsonl<Row>(result.stdout).map((r) => r.error)).toEqual([null, null, null]);
      const lines = result.stderr.trim().split('\n');
      expect(lines[0]).toBe(
        `llm-batch: cannot open the response cache in ${cacheDir}: cannot write ${cacheDir}/answers-v2.lmdb: files that large are not allowed here (ulimit -f); running without it (--cache-dir chooses another place, --no-cache silences this)`,
      );
      expect(lines.slice(1)).toEqual([expect.stringMatching(/^llm-batch: 3 ok, 0 failed/)]);
    }
    // Neither a store file left empty nor the trial's own file.
    expect(fs.readdirSync(cacheDir).filter((name) => name !== 'node-compile-cache')).toEqual([]);

    const chosen = path.join(ctx.dir, 'chosen');
    const out = path.join(ctx.dir, 'chosen-out.jsonl');
    const refused = await capped([input, '--base-url', ctx.server.url, '-o', out], chosen, 16);
    expect(refused.stderr).toBe(
      `llm-batch: LLM_BATCH_CACHE_DIR ${chosen}: cannot write ${chosen}/answers-v2.lmdb: files that large are not allowed here (ulimit -f) (choose another --cache-dir, or --no-cache)\n`,
    );
    expect(refused.code).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
    expect(ctx.server.requests).toHaveLength(6);
  });

  it('cache prune that hits the limit: one line naming the file, exit 2; what it removed stays removed', async () => {
    // 3,000 answers from long ago, and 600 older still that an earlier prune removed: a removal's
    // first commit fills the pages that prune freed, then needs the file to grow. The limit is the
    // file's size.
    // (With no free page at all, the commit's first write is the one that fails, and lmdb 3.5.6
    // then formats its own error message past the end of a 100-byte buffer (mdb.c, mdb_page_flush:
    // `last_error = malloc(100)`, two of its numbers read from an unset iovec): glibc aborts the
    // process at exit, "corrupted size vs. prev_size", after our line: in 32 runs of 40 on one
    // machine, in none of many CI runs on others. lmdb's bug, which no caller can steer around; with
    // free pages the first write succeeds and fills the iovec.)
    const cacheDir = path.join(ctx.dir, 'old-cache');
    const store = await openResponseStore(cacheDir);
    const old = { text: `an old answer ${'x'.repeat(200)}`, finishReason: 'stop', model: 'm', usage: null, storedAt: 1_000 };
    await store.putMany(
      new Map([
        ...Array.from({ length: 3000 }, (_, i): [string, typeof old] => [String(i).padEnd(32, '.'), old]),
        ...Array.from({ length: 600 }, (_, i): [string, typeof old] => [`z${i}`.padEnd(32, '.'), { ...old, storedAt: 500 }]),
      ]),
    );
    expect(await store.prune(750)).toBe(600);
    await store.close();
    const file = path.join(cacheDir, STORE_FILE);
    const size = fs.statSync(file).size;

    const prune = await capped(['cache', 'prune', '--older-than', '1'], cacheDir, size / 512);
    expect(prune.code, prune.stderr).toBe(2);
    // The message after LMDB's own "Write error: …", which its C code prints without a newline.
    const said = prune.stderr.match(
      new RegExp(
        `llm-batch: cache prune: ${file}: (file too large|input/output error) \\((\\d+) cached answers? older than 1 day removed before it failed; the rest stay\\)\n$`,
      ),
    );
    expect(said, prune.stderr).not.toBeNull();
    expect(prune.stderr).not.toMatch(/^\s+at /m);
    expect(fs.statSync(file).size).toBeLessThanOrEqual(size);
    const stats = await runCli(['cache', 'stats', '--json', '--cache-dir', cacheDir]);
    expect(JSON.parse(stats.stdout)).toMatchObject({ entries: 3000 - Number(said?.[2]) });
  });
});

describe('a damaged cache file', () => {
  /**
   * A real cache of 500 answers cut to half its size, made once in a directory of its own by
   * whichever test needs it first: each test works on a copy of it.
   */
  const truncatedSeed = tempDir('llm-batch-cache-truncated-');
  afterAll(() => truncatedSeed.cleanup());
  let truncated: Promise<string> | undefined;
  async function truncatedCache(): Promise<string> {
    const dir = path.join(truncatedSeed.dir, 'cache');
    const input = writePrompts(
      truncatedSeed.dir,
      'seed.txt',
      Array.from({ length: 500 }, (_, i) => `seed ${i} ${'y'.repeat(300)}`),
    );
    const seeded = await run([input, '--cache-dir', dir]);
    expect(seeded.code, seeded.stderr).toBe(0);
    const file = path.join(dir, 'answers-v2.lmdb');
    fs.truncateSync(file, fs.statSync(file).size / 2);
    return dir;
  }

  /** A cache directory `dir` whose file is damaged by `damage` (random bytes, or a real cache truncated): its file and bytes. */
  async function damagedCache(dir: string, damage: 'random' | 'truncated') {
    const file = path.join(dir, 'answers-v2.lmdb');
    if (damage === 'random') {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file, randomBytes(20_000));
    } else {
      fs.cpSync(await (truncated ??= truncatedCache()), dir, { recursive: true });
    }
    ctx.server.requests.length = 0;
    return { file, bytes: fs.readFileSync(file) };
  }

  it.each(['random', 'truncated'] as const)(
    '(%s) in the default directory: one line, the run goes on without the cache, the file left alone',
    async (damage) => {
      const xdg = path.join(ctx.dir, 'xdg');
      const { file, bytes } = await damagedCache(path.join(xdg, 'llm-batch'), damage);
      const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two', 'three']);
      const result = await run([input], { LLM_BATCH_CACHE_DIR: undefined, XDG_CACHE_HOME: xdg });
      expect(result.code, result.stderr).toBe(0);
      expect(result.rows.filter((r) => r.error === null)).toHaveLength(3);
      expect(ctx.server.requests).toHaveLength(3);
      const lines = result.stderr.trim().split('\n');
      expect(lines[0]).toMatch(
        new RegExp(
          `^llm-batch: cache file ${file} is damaged \\((page 0 is not an LMDB meta page|it is \\d+ bytes long, its meta page says \\d+)\\): running without the cache; \`llm-batch cache clear\` removes it$`,
        ),
      );
      expect(lines).toHaveLength(2);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    },
  );

  it('in the default directory with -q: its line still said (every run pays again until it is cleared), nothing else', async () => {
    const xdg = path.join(ctx.dir, 'xdg');
    const { file } = await damagedCache(path.join(xdg, 'llm-batch'), 'random');
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const result = await run([input, '-q'], { LLM_BATCH_CACHE_DIR: undefined, XDG_CACHE_HOME: xdg });
    expect(result.code, result.stderr).toBe(0);
    expect(result.rows.filter((r) => r.error === null)).toHaveLength(2);
    expect(result.stderr).toBe(
      `llm-batch: cache file ${file} is damaged (page 0 is not an LMDB meta page): running without the cache; \`llm-batch cache clear\` removes it\n`,
    );
  });

  it('in an explicit --cache-dir: a usage error before anything is sent, naming the way out', async () => {
    const dir = path.join(ctx.dir, 'mine');
    const { file } = await damagedCache(dir, 'random');
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const result = await run([input, '-o', out, '--cache-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cache file ${file} is damaged (page 0 is not an LMDB meta page): \`llm-batch cache clear --cache-dir ${dir}\` removes it`);
    expect(fs.readdirSync(ctx.dir).filter((name) => name.startsWith('out.'))).toEqual([]);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('cache stats reports it, prune refuses it, clear removes it (and its lock file) without opening it', async () => {
    const dir = path.join(ctx.dir, 'mine');
    const { file } = await damagedCache(dir, 'truncated');
    const stats = await runCli(['cache', 'stats', '--cache-dir', dir]);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(
      new RegExp(`^${file}\\ndamaged \\(it is \\d+ bytes long, its meta page says \\d+\\): \`llm-batch cache clear --cache-dir ${dir}\` removes it\\n$`),
    );
    const json = await runCli(['cache', 'stats', '--json', '--cache-dir', dir]);
    expect(JSON.parse(json.stdout)).toMatchObject({ path: file, damaged: expect.stringMatching(/bytes long/), entries: null });
    const prune = await runInWorker(['cache', 'prune', '--older-than', '1', '--cache-dir', dir]);
    expect(prune.code).toBe(2);
    expect(prune.stderr).toMatch(/is damaged \(it is \d+ bytes long.*\): `llm-batch cache clear --cache-dir/);
    expect(fs.existsSync(`${file}-lock`)).toBe(true);
    const clear = await runCli(['cache', 'clear', '--cache-dir', dir]);
    expect(clear.code, clear.stderr).toBe(0);
    expect(clear.stderr).toMatch(new RegExp(`^llm-batch: removed the damaged cache file ${file} \\(it is \\d+ bytes long, its meta page says \\d+\\)\\n$`));
    expect(fs.readdirSync(dir)).toEqual([]);
    // A cache again: the next run stores, the one after hits.
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    expect((await run([input, '--cache-dir', dir])).code).toBe(0);
    expect((await run([input, '--cache-dir', dir])).rows[0]?.cached).toBe(true);
    expect(ctx.server.requests).toHaveLength(1);
  });
  it('damage past its header (a page overwritten): said once, even with -q, and the run goes on without the cache; stats reports it, prune refuses it, clear removes it', async () => {
    const dir = path.join(ctx.dir, 'paged');
    const input = writePrompts(
      ctx.dir,
      'p.txt',
      Array.from({ length: 400 }, (_, i) => `paged ${i}`),
    );
    expect((await run([input, '--cache-dir', dir])).code).toBe(0);
    const file = path.join(dir, 'answers-v2.lmdb');
    // The main tree's root page zeroed, its two meta pages (the header the open checks) left whole:
    // every lookup meets it first, a page neither branch nor leaf (MDB_CORRUPTED). Random bytes there
    // or further down may send LMDB through a garbage offset instead, which takes the process down.
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt32LE(48);
    const meta = (at: number) => ({ txnid: bytes.readBigUInt64LE(at + 152), root: Number(bytes.readBigUInt64LE(at + 136)) });
    const [m0, m1] = [meta(0), meta(pageSize)];
    const root = (m0.txnid > m1.txnid ? m0 : m1).root;
    expect(root).toBeGreaterThan(1);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(pageSize), 0, pageSize, root * pageSize);
    fs.closeSync(fd);
    ctx.server.requests.length = 0;
    const damaged = await run([input, '--cache-dir', dir, '-q']);
    expect(damaged.code, damaged.stderr).toBe(0);
    expect(damaged.rows.filter((r) => r.error === null)).toHaveLength(400);
    // LMDB's C code prints a line of its own before ours; ours is one line, with the way out.
    expect(damaged.stderr.split('\n').filter((line) => line.startsWith('llm-batch:'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^llm-batch: response cache: cache file ${file} looks damaged \\(MDB_[A-Z_]+: .+\\): the run goes on without the cache; \`llm-batch cache clear --cache-dir ${dir}\` removes it$`,
        ),
      ),
    ]);
    expect(damaged.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('llm-batch:')).length).toBeLessThanOrEqual(3);
    const stats = await runCli(['cache', 'stats', '--cache-dir', dir]);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(new RegExp(`^${file}\\ndamaged \\(MDB_[A-Z_]+: .+\\): \`llm-batch cache clear --cache-dir ${dir}\` removes it\\n$`));
    const json = await runCli(['cache', 'stats', '--json', '--cache-dir', dir]);
    expect(JSON.parse(json.stdout)).toMatchObject({ path: file, damaged: expect.stringMatching(/^MDB_/), entries: null });
    const prune = await runCli(['cache', 'prune', '--older-than', '1', '--cache-dir', dir]);
    expect(prune.code).toBe(2);
    expect(prune.stderr).toMatch(
      new RegExp(`llm-batch: cache prune: cache file ${file} looks damaged \\(MDB_[A-Z_]+: .+\\): \`llm-batch cache clear --cache-dir ${dir}\` removes it\\n$`),
    );
    const clear = await runCli(['cache', 'clear', '--cache-dir', dir]);
    expect(clear.code, clear.stderr).toBe(0);
    ctx.server.requests.length = 0;
    expect((await run([input, '--cache-dir', dir])).code).toBe(0);
    expect((await run([input, '--cache-dir', dir])).rows.every((r) => r.cached === true)).toBe(true);
    expect(ctx.server.requests).toHaveLength(400);
  });

  /**
   * Overwrites 200 bytes of every page past the meta pages, past each page's header, from a seeded
   * generator; or, given `at` and `length`, those bytes only.
   */
  function overwritePages(file: string, seed: number, at?: number, length?: number): void {
    let state = seed;
    const next = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % 256;
    };
    const fd = fs.openSync(file, 'r+');
    if (at !== undefined && length !== undefined) fs.writeSync(fd, Buffer.from(Array.from({ length }, next)), 0, length, at);
    else for (let page = 8192; page < fs.fstatSync(fd).size; page += 4096) fs.writeSync(fd, Buffer.from(Array.from({ length: 200 }, next)), 0, 200, page + 16);
    fs.closeSync(fd);
  }

  it('pages overwritten at random, which LMDB may crash on (SIGBUS, SIGSEGV, an abort): read whole in a child process first, so the run goes on without the cache; stats and prune say it too', async () => {
    const source = path.join(ctx.dir, 'sound');
    // Answers of ~2 KB: leaf and overflow pages both.
    const input = writePrompts(
      ctx.dir,
      'p.txt',
      Array.from({ length: 300 }, (_, i) => `long ${i} ${'x'.repeat(2000)}`),
    );
    expect((await run([input, '--cache-dir', source])).code).toBe(0);
    for (const seed of [5, 7, 1]) {
      const dir = path.join(ctx.dir, `damaged-${seed}`);
      fs.cpSync(source, dir, { recursive: true });
      const file = path.join(dir, 'answers-v2.lmdb');
      overwritePages(file, seed);
      const bytes = fs.readFileSync(file);
      ctx.server.requests.length = 0;
      const damaged = await run([input, '--cache-dir', dir, '-q']);
      expect([damaged.code, damaged.signal], damaged.stderr).toEqual([0, null]);
      expect(damaged.rows.filter((r) => r.error === null)).toHaveLength(300);
      expect(ctx.server.requests).toHaveLength(300);
      expect(damaged.stderr).toMatch(
        new RegExp(
          `^llm-batch: response cache: cache file ${file} looks damaged \\((MDB_[A-Z_]+: .+|reading it crashed LMDB: SIG[A-Z]+|its pages hold \\d+ entries, its header counts \\d+)\\): the run goes on without the cache; \`llm-batch cache clear --cache-dir ${dir}\` removes it\n$`,
        ),
      );
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
      const stats = await runCli(['cache', 'stats', '--cache-dir', dir]);
      expect([stats.code, stats.signal]).toEqual([0, null]);
      expect(stats.stdout).toMatch(
        new RegExp(
          `^${file}\\ndamaged \\((MDB_[A-Z_]+: .+|reading it crashed LMDB: SIG[A-Z]+|its pages hold \\d+ entries, its header counts \\d+)\\): \`llm-batch cache clear --cache-dir ${dir}\` removes it\\n$`,
        ),
      );
      const prune = await runCli(['cache', 'prune', '--older-than', '1', '--cache-dir', dir]);
      expect([prune.code, prune.signal]).toEqual([2, null]);
      expect(prune.stderr).toMatch(/^llm-batch: cache prune: cache file \S+ looks damaged \(.+\): `llm-batch cache clear --cache-dir \S+` removes it\n$/);
    }
  });

  it('its free-page list overwritten, which every write reads and a walk of the answers does not: found by the check, not by a crash of each run that stores', async () => {
    const dir = path.join(ctx.dir, 'free-list');
    const input = writePrompts(
      ctx.dir,
      'f.txt',
      Array.from({ length: 300 }, (_, i) => `free ${i} ${'y'.repeat(2000)}`),
    );
    expect((await run([input, '--cache-dir', dir])).code).toBe(0);
    const file = path.join(dir, 'answers-v2.lmdb');
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt32LE(48);
    // mm_dbs[FREE_DBI]: its depth and root, in the meta page of the later transaction.
    const meta = (at: number) => ({ txnid: bytes.readBigUInt64LE(at + 152), depth: bytes.readUInt16LE(at + 54), root: Number(bytes.readBigUInt64LE(at + 88)) });
    const [m0, m1] = [meta(0), meta(pageSize)];
    const free = m0.txnid > m1.txnid ? m0 : m1;
    expect(free.depth).toBeGreaterThan(0);
    overwritePages(file, 3, free.root * pageSize, pageSize);
    ctx.server.requests.length = 0;
    // New prompts: the run stores answers, so LMDB would read the free-page list.
    const fresh = writePrompts(
      ctx.dir,
      'g.txt',
      Array.from({ length: 50 }, (_, i) => `new ${i}`),
    );
    const r = await run([fresh, '--cache-dir', dir, '-q']);
    expect([r.code, r.signal], r.stderr).toEqual([0, null]);
    expect(r.rows.filter((row) => row.error === null)).toHaveLength(50);
    expect(r.stderr).toBe(
      `llm-batch: response cache: cache file ${file} looks damaged (its list of free pages cannot be read): the run goes on without the cache; \`llm-batch cache clear --cache-dir ${dir}\` removes it\n`,
    );
  });

  it('a run killed with the cache open leaves its mark, which the next run reads the file whole for, then removes; a clean end records the file', async () => {
    const dir = path.join(ctx.dir, 'killed');
    const input = writePrompts(ctx.dir, 'k.txt', ['quick one', '[[latency:60000]] slow']);
    const child = spawnCli([input, '--base-url', ctx.server.url, '--cache-dir', dir, '-o', path.join(ctx.dir, 'k.jsonl')]);
    // The quick answer stored and committed (as a reader sees it: the file alone may be there before
    // the commit, and a kill then lost the answer under load), the slow one still out.
    const stored = async () => {
      if (ctx.server.requests.length !== 2 || !fs.existsSync(path.join(dir, 'answers-v2.lmdb'))) return false;
      const stats = await runCli(['cache', 'stats', '--json', '--cache-dir', dir]);
      return stats.code === 0 && (JSON.parse(stats.stdout) as { entries: number }).entries === 1;
    };
    await expect.poll(stored, { timeout: 20_000, interval: 200 }).toBe(true);
    child.kill('SIGKILL');
    await waitForExit(child);
    const mark = `answers-v2.lmdb-open.${child.pid}`;
    expect(fs.readdirSync(dir).sort()).toEqual(['answers-v2.lmdb', 'answers-v2.lmdb-lock', mark]);
    const after = await run([writePrompts(ctx.dir, 'q.txt', ['quick one']), '--cache-dir', dir]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toMatch(/^llm-batch: 1 ok \(1 from cache\), 0 failed · [^\n]+\n$/);
    expect(fs.readdirSync(dir).sort()).toEqual(['answers-v2.lmdb', 'answers-v2.lmdb-closed.json', 'answers-v2.lmdb-lock']);
  });
});

describe('a cache directory removed during the run', () => {
  it('is said once (even with -q): the answers the run stored went with it; every row is kept, exit 0', async () => {
    const dir = path.join(ctx.dir, 'removed');
    const input = writePrompts(ctx.dir, 'r.txt', ['quick', '[[latency:1500]] slow']);
    const out = path.join(ctx.dir, 'r.jsonl');
    const child = spawnCli([input, '--base-url', ctx.server.url, '--cache-dir', dir, '-o', out, '-q']);
    const exited = waitForExit(child);
    await expect.poll(() => ctx.server.requests.length === 2 && fs.existsSync(path.join(dir, 'answers-v2.lmdb')), { timeout: 10_000 }).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
    const { code, stderr } = await exited;
    expect(code, stderr).toBe(0);
    expect(stderr).toBe(`llm-batch: response cache: ${dir} was removed while the run had it open: the answers this run stored went with it\n`);
    expect(parseJsonl<Row>(fs.readFileSync(out, 'utf8')).map((r) => r.error)).toEqual([null, null]);
  });
});

describe('llm-batch cache', () => {
  it('stats, prune and clear', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    await run([input]);
    const env = { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'cache') };
    const stats = await runCli(['cache', 'stats', '--json'], { env });
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ entries: 2 });
    const prune = await runCli(['cache', 'prune', '--older-than', '1'], { env });
    expect(prune.stderr).toMatch(/removed 0 cached answers older than 1 day from/);
    const clear = await runCli(['cache', 'clear'], { env });
    expect(clear.stderr).toMatch(/removed 2 cached answers/);
    expect(JSON.parse((await runCli(['cache', 'stats', '--json'], { env })).stdout)).toMatchObject({ entries: 0 });
    await run([input]);
    expect(ctx.server.requests).toHaveLength(4);
  });

  it('clear and prune of a --cache-dir that does not exist: exit 2 naming it (a typo is no success); the default one not made yet: exit 0', async () => {
    const none = path.join(ctx.dir, 'no-such-cache');
    for (const args of [['clear'], ['prune', '--older-than', '2']]) {
      const r = await runInWorker(['cache', ...args, '--cache-dir', none]);
      expect([r.code, r.stderr]).toEqual([2, `llm-batch: cache ${args[0]}: --cache-dir ${none}: no such directory (nothing removed)\n`]);
      // A directory named in LLM_BATCH_CACHE_DIR is chosen as well.
      const env = await runInWorker(['cache', ...args], { env: { LLM_BATCH_CACHE_DIR: none } });
      expect([env.code, env.stderr]).toEqual([2, `llm-batch: cache ${args[0]}: LLM_BATCH_CACHE_DIR ${none}: no such directory (nothing removed)\n`]);
      const unset = await runInWorker(['cache', ...args], { env: { LLM_BATCH_CACHE_DIR: undefined, XDG_CACHE_HOME: path.join(ctx.dir, 'no-xdg') } });
      expect(unset.code, unset.stderr).toBe(0);
      expect(unset.stderr).toMatch(/^llm-batch: no response cache at \S+ \(the directory does not exist\): nothing removed\n$/);
      expect(fs.existsSync(none)).toBe(false);
    }
  });

  it('clear -q and prune -q print nothing when they succeed, as merge -q and report -q', async () => {
    const env = { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'quiet-cache') };
    const input = writePrompts(ctx.dir, 'quiet.txt', ['q1']);
    expect((await runCli([input, '--base-url', ctx.server.url, '-f', 'jsonl'], { env })).code).toBe(0);
    for (const args of [
      ['prune', '--older-than', '1', '-q'],
      ['clear', '-q'],
    ]) {
      const r = await runInWorker(['cache', ...args], { env });
      expect([r.code, r.stderr, r.stdout]).toEqual([0, '', '']);
    }
    expect(JSON.parse((await runInWorker(['cache', 'stats', '--json'], { env })).stdout)).toMatchObject({ entries: 0 });
  });

  it('prune without --older-than, or an unknown action, is a usage error', async () => {
    expect((await runCli(['cache', 'prune'])).code).toBe(2);
    expect((await runInWorker(['cache', 'frobnicate'])).code).toBe(2);
    expect((await runInWorker(['cache'])).code).toBe(2);
  });

  // The hint names the help that has the flag the line is about; an unknown action is the cache's own.
  it.each([
    [['prune'], "llm-batch: required option '--older-than <days>' not specified", 'cache prune'],
    [['prune', '--older-than', 'x'], "llm-batch: option '--older-than <days>' argument 'x' is invalid.", 'cache prune'],
    [
      ['prune', '--older-than', `1${'0'.repeat(400)}`],
      `llm-batch: option '--older-than <days>' argument '1${'0'.repeat(400)}' is invalid. Too large: the largest accepted is 9007199254740991.`,
      'cache prune',
    ],
    // 0 days is every answer: the line names the command for that.
    [
      ['prune', '--older-than', '0.0'],
      "llm-batch: option '--older-than <days>' argument '0.0' is invalid. 0 days would remove every answer: that is llm-batch cache clear.",
      'cache prune',
    ],
    [['stats', '--bogus'], "llm-batch: unknown option '--bogus'", 'cache stats'],
    [['clear', 'extra'], "llm-batch: too many arguments for 'clear'.", 'cache clear'],
    [['frobnicate'], "llm-batch: unknown command 'frobnicate'", 'cache'],
    [['--bogus'], "llm-batch: unknown option '--bogus'", 'cache'],
  ])('cache %j: one line ending in the usage hint of the help that has its flags, exit 2', async (args, line, command) => {
    const r = await runInWorker(['cache', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith(line), r.stderr).toBe(true);
    expect(r.stderr.endsWith(` (run llm-batch ${command} --help for usage)\n`), r.stderr).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('stats --json says "exists" on every answer, true for a cache that is there; the text counts small sizes in kB', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['only one']);
    await run([input]);
    const env = { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'cache') };
    const json = JSON.parse((await runCli(['cache', 'stats', '--json'], { env })).stdout);
    expect(json).toMatchObject({ exists: true, entries: 1 });
    expect(Object.keys(json)).toEqual(['path', 'exists', 'entries', 'bytesOnDisk', 'oldest', 'newest']);
    expect((await runCli(['cache', 'stats'], { env })).stdout).toMatch(/\n1 answer · \d+ kB on disk · oldest /);
    const none = await runCli(['cache', 'stats', '--json', '--cache-dir', path.join(ctx.dir, 'none')]);
    expect(JSON.parse(none.stdout)).toMatchObject({ exists: false, entries: 0 });
  });

  it('stats on a cache that does not exist yet says so and creates nothing', async () => {
    const dir = path.join(ctx.dir, 'none');
    const stats = await runCli(['cache', 'stats', '--cache-dir', dir]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/no response cache there: the directory does not exist/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('stats on a directory with no store file (only the compile cache node 22.1+ keeps there) says there is no cache yet', async () => {
    const dir = path.join(ctx.dir, 'compile-cache-only');
    fs.mkdirSync(path.join(dir, 'node-compile-cache'), { recursive: true });
    const json = await runCli(['cache', 'stats', '--json', '--cache-dir', dir]);
    expect(JSON.parse(json.stdout)).toMatchObject({ exists: false, entries: 0 });
    const text = await runCli(['cache', 'stats', '--cache-dir', dir]);
    expect(text.stdout).toBe(`${dir}\nno response cache there: no answer has been stored in the directory yet\n`);
    expect(fs.readdirSync(dir)).toEqual(['node-compile-cache']);
  });
});
