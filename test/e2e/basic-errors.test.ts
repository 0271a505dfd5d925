/**
 * Batch runner end to end, failures: per-prompt errors become rows (exit 1), run-level errors exit 2
 * with one clear stderr line and send nothing, and a rejected key stops the run at once without
 * ever printing the key. Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_KEY, runCli, runShell, writePrompts, type CliResult } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { byId, fixture, rowsOf, stderrLines, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-basic-errors-');

/** Every file under `root`, recursively, as text. */
function allFileText(root: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) out.push(...allFileText(full));
    else if (entry.isFile()) out.push({ file: full, text: fs.readFileSync(full, 'utf8') });
  }
  return out;
}

function expectNoSecret(r: CliResult, outDir?: string): void {
  expect(r.stdout).not.toContain(SECRET_KEY);
  expect(r.stderr).not.toContain(SECRET_KEY);
  if (outDir) {
    for (const { file, text } of allFileText(outDir)) expect(text, file).not.toContain(SECRET_KEY);
  }
}

describe.concurrent('per-prompt errors are rows', () => {
  it('a base URL without /v1: every row a 404, and one line saying what to check; exit 1', async () => {
    const { server } = await fresh();
    const file = writePrompts(dir, 'no-v1.txt', ['first', 'second']);
    const root = server.url.replace(/\/v1$/, '');
    const r = await runCli([file, '--base-url', root]);
    expect(r.code).toBe(1);
    expect(rowsOf(r).map((x) => x.error?.status)).toEqual([404, 404]);
    expect(stderrLines(r)).toContain(
      `llm-batch: every request got HTTP 404: check --base-url (${root}; OpenAI-compatible servers usually want it to end in /v1) and the model name`,
    );
  });

  it.each([
    ['lean path', []],
    ['SDK path (-v)', ['-v']],
  ])('http:// to an https-only host, %s: every row names where the 301 points, one line says so; exit 1', async (_path, extra) => {
    // Where an https-only host sends an http:// request: the same path over https, a token in its query.
    const moved = http.createServer((req, res) => {
      req.resume();
      res.writeHead(301, { location: `https://api.example.test${req.url}?token=sk-from-the-server` }).end();
    });
    await new Promise<void>((resolve) => moved.listen(0, '127.0.0.1', resolve));
    try {
      const file = writePrompts(dir, 'moved.txt', ['first', 'second']);
      const r = await runCli([file, '--base-url', `http://127.0.0.1:${(moved.address() as AddressInfo).port}/v1`, ...extra]);
      expect(r.code).toBe(1);
      const said =
        'HTTP 301 to https://api.example.test/v1/chat/completions: llm-batch does not follow 301/302/303 for a POST; set --base-url to https://api.example.test/v1';
      expect(rowsOf(r).map((x) => [x.error?.status, x.error?.message, x.attempts])).toEqual([
        [301, said, 1],
        [301, said, 1],
      ]);
      expect(stderrLines(r)).toContain(`llm-batch: every request was redirected: ${said}`);
      expect(r.stdout).not.toContain('sk-from-the-server');
    } finally {
      moved.closeAllConnections();
      await new Promise((resolve) => moved.close(resolve));
    }
  });

  it('[[fault:400]] is an http error row (status 400, attempts 1, not retried); other rows fine; exit 1', async () => {
    const { server, run } = await fresh();
    const bad = 'please fail [[fault:400]]';
    const file = writePrompts(dir, 'fault400.txt', ['good one', bad, 'good two']);
    const r = await run([file, '-c', '2']);
    expect(r.code).toBe(1);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(3);
    const failed = rows.find((x) => x.prompt === bad)!;
    expect(failed.error).toMatchObject({ type: 'http', status: 400 });
    expect(failed.error!.message).toMatch(/\S/);
    expect(failed.response).toBeNull();
    expect(failed.attempts).toBe(1);
    expect(failed.line).toBe(2);
    expect(server.countFor(bad)).toBe(1);
    for (const ok of rows.filter((x) => x.prompt !== bad)) {
      expect(ok.error).toBeNull();
      expect(ok.response).toBe(`ECHO ${ok.prompt}`);
    }
  });

  it('malformed JSONL (fixtures/bad.jsonl): input error rows naming file and line, a stderr line each, the run goes on; exit 1', async () => {
    const { server, run } = await fresh();
    const r = await run([fixture('bad.jsonl')]);
    expect(r.code).toBe(1);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(5);
    const broken = rows.find((x) => x.line === 2)!;
    expect(broken.error?.type).toBe('input');
    expect(broken.error!.message).toMatch(/bad\.jsonl:2\b/);
    expect(broken.attempts).toBe(0);
    expect(broken.response).toBeNull();
    const noPrompt = rows.find((x) => x.line === 4)!;
    expect(noPrompt.error?.type).toBe('input');
    expect(noPrompt.error!.message).toMatch(/bad\.jsonl:4\b/);

    // The good rows were answered.
    const good = byId(rows.filter((x) => x.error === null));
    expect([...good.keys()].sort()).toEqual(['ok-1', 'ok-2', 'ok-3']);
    expect(good.get('ok-2')!.response).toBe('ECHO What is 17 times 23?');
    // Nothing was sent for the malformed lines.
    expect(server.requests).toHaveLength(3);

    // stderr names file and line for each bad record.
    expect(r.stderr).toMatch(/bad\.jsonl:2\b.*(invalid|JSON)/i);
    expect(r.stderr).toMatch(/bad\.jsonl:4\b/);
    expect(stderrLines(r).at(-1)).toMatch(/\b3 ok, 2 failed\b/);
  });
});

describe.concurrent('run-level errors: exit 2, one stderr line, nothing sent', () => {
  it('missing input file: the message names the path', async () => {
    const { server } = await fresh();
    const missing = path.join(dir, 'does-not-exist.txt');
    const r = await runInWorker([missing, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = stderrLines(r);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(missing);
    expect(lines[0]).toMatch(/no such file|not found|cannot read/i);
    expect(server.requests).toHaveLength(0);
  });

  it('a missing input given by a relative name says where it was looked for (a cron line runs elsewhere); an absolute one needs not', async () => {
    const relative = await runCli(['nightly.jsonl', '--mock'], { cwd: dir });
    expect([relative.code, relative.stderr]).toEqual([2, `llm-batch: cannot read input file nightly.jsonl: no such file in ${dir}\n`]);
    const absolute = await runCli([path.join(dir, 'nightly.jsonl'), '--mock'], { cwd: dir });
    expect(absolute.stderr).toBe(`llm-batch: cannot read input file ${path.join(dir, 'nightly.jsonl')}: no such file\n`);
  });

  it('no OPENAI_API_KEY with the default base URL: names OPENAI_API_KEY and mentions --mock', async () => {
    const file = writePrompts(dir, 'nokey.txt', ['never sent']);
    const r = await runInWorker([file], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = stderrLines(r);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/OPENAI_API_KEY/);
    expect(lines[0]).toMatch(/--mock/);
  });

  // A typoed file name is told first: it is wrong whether or not a key is set, and cheaper to fix.
  it.each([
    ['a live run', []],
    ['a --batch-api run', ['--batch-api']],
    ['a --json-schema run', ['--json-schema', fixture('ticket-schema.json')]],
  ])('no key and a missing input file, %s: the file is named, not the key; exit 2, no output created', async (_, extra) => {
    const missing = path.join(dir, `typo-${extra.length}.txt`);
    const out = path.join(dir, `typo-out-${extra.length}.jsonl`);
    const r = await runInWorker([missing, '-o', out, ...extra], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined } });
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([`llm-batch: cannot read input file ${missing}: no such file`]);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('no key and a directory for the input file: the directory is named, not the key; exit 2', async () => {
    const r = await runInWorker([dir], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined } });
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([`llm-batch: cannot read input file ${dir}: is a directory`]);
  });

  // Node ends a stdin that is a directory at once, without an error: it read as an empty input (exit 5)
  // and left the output and its .meta.json behind.
  it.each([
    ['a live run', ''],
    ['a live run given -', '-'],
    ['a run without a key', '', 'env -u OPENAI_API_KEY'],
    ['a --batch-api run', '--batch-api'],
    ['a --dry-run', '--dry-run'],
    ['a run with --input-format jsonl', '--input-format jsonl'],
  ])('stdin that is a directory (< dir), %s: an unreadable input, exit 2, no output created', async (_, flags, prefix = '') => {
    const out = path.join(dir, `stdin-dir-${flags.replace(/\W+/g, '') || prefix.length}.jsonl`);
    const r = await runShell(`${prefix} $LLM ${flags} -o ${out} < ${dir}`, dir);
    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r)).toEqual(['llm-batch: cannot read standard input (<stdin>): is a directory']);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(out)))).toEqual([]);
  });

  it('no key and stdin still open: the key error at once, without waiting for the input', async () => {
    const r = await runCli([], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }, openStdin: 'never sent\n', timeoutMs: 15_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toHaveLength(1);
    expect(stderrLines(r)[0]).toMatch(/OPENAI_API_KEY is not set/);
  });

  it('no OPENAI_API_KEY but --base-url pointing at a server that needs none: the run works', async () => {
    const { server, run } = await fresh();
    const file = writePrompts(dir, 'nokey-local.txt', ['local a', 'local b']);
    const r = await run([file], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined } });
    expect(r.code).toBe(0);
    expect(
      rowsOf(r)
        .map((x) => x.response)
        .sort(),
    ).toEqual(['ECHO local a', 'ECHO local b']);
    expect(server.requests).toHaveLength(2);
  });

  it('no OPENAI_API_KEY but OPENAI_BASE_URL pointing at the server: the run works', async () => {
    const { server } = await fresh();
    const file = writePrompts(dir, 'nokey-env.txt', ['env a']);
    const r = await runCli([file], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: server.url } });
    expect(r.code).toBe(0);
    expect(rowsOf(r).map((x) => x.response)).toEqual(['ECHO env a']);
  });

  it.each([
    [['-c', '0'], /concurrency/],
    [['-c', 'abc'], /concurrency/],
    [['--temperature', '5'], /temperature/],
    [['--rpm', '-1'], /rpm/],
    [['--order', 'sideways'], /order/],
    [['--max-tokens', '0'], /max-tokens/],
    [['--retries', 'x'], /retries/],
    [['--input-format', 'xml'], /input-format/],
    [['-f', 'yaml'], /format/],
  ] as const)('invalid flag value %j exits 2 naming the flag', async (flag, pattern) => {
    const { server, run } = await fresh();
    const file = writePrompts(dir, 'flags.txt', ['never sent']);
    // The first stays a child process; the rest run in the worker.
    const r = flag[0] === '-c' && flag[1] === '0' ? await run([file, ...flag]) : await runInWorker([file, ...flag, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = stderrLines(r);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toMatch(pattern);
    expect(lines[0]).toContain(flag[1]);
    // At most a short hint (e.g. "see --help") after the error line.
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(server.requests).toHaveLength(0);
  });

  it('--base-url ftp://x exits 2 naming the flag', async () => {
    const file = writePrompts(dir, 'ftp.txt', ['never sent']);
    const r = await runInWorker([file, '--base-url', 'ftp://x']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = stderrLines(r);
    expect(lines[0]).toMatch(/--base-url/);
    expect(lines[0]).toContain('ftp://x');
    expect(lines.length).toBeLessThanOrEqual(2);
  });

  it('an unknown extra positional argument exits 2', async () => {
    const { server } = await fresh();
    const file = writePrompts(dir, 'extra.txt', ['never sent']);
    const r = await runInWorker([file, 'stray-arg', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(stderrLines(r)[0]).toMatch(/argument/i);
    expect(stderrLines(r).length).toBeLessThanOrEqual(2);
    expect(server.requests).toHaveLength(0);
  });

  it('-o in a directory that does not exist: names the flag, the file and the directory', async () => {
    const { server } = await fresh();
    const file = writePrompts(dir, 'no-out-dir.txt', ['never sent']);
    const out = path.join(dir, 'missing-dir', 'out.jsonl');
    const r = await runInWorker([file, '-o', out, '--base-url', server.url]);
    expect(r.code).toBe(2);
    const lines = stderrLines(r);
    expect(lines).toEqual([`llm-batch: --output ${out}: no such directory ${path.dirname(out)}`]);
    expect(server.requests).toHaveLength(0);
  });

  it('-o DIR/ for a directory that does not exist: says the name is a directory\'s, not "cannot create a file in" its parent', async () => {
    const { server } = await fresh();
    const file = writePrompts(dir, 'slash-out.txt', ['never sent']);
    const out = `${path.join(dir, 'results')}/`;
    const r = await runInWorker([file, '-o', out, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([
      `llm-batch: --output ${out}: the name ends in "/", a directory's, and there is no directory ${path.join(dir, 'results')}: give a file name`,
    ]);
    expect(fs.existsSync(path.join(dir, 'results'))).toBe(false);
    // Through a file, the path's trouble is said as before (thrown by the check for the slash, it was exit 70).
    const afile = writePrompts(dir, 'afile', ['x']);
    const through = await runInWorker([file, '-o', `${afile}/`, '--base-url', server.url]);
    expect([through.code, stderrLines(through)]).toEqual([2, [`llm-batch: --output ${afile}/: a part of the path is a file, not a directory`]]);
    // --trace opens its file itself: open(2) said EISDIR for both ("is a directory").
    const trace = await runInWorker([file, '--trace', `${afile}/`, '--base-url', server.url]);
    expect([trace.code, stderrLines(trace)]).toEqual([2, [`llm-batch: --trace ${afile}/: a part of the path is a file, not a directory`]]);
    const traceDir = await runInWorker([file, '--trace', out, '--base-url', server.url]);
    expect(stderrLines(traceDir)).toEqual([
      `llm-batch: --trace ${out}: the name ends in "/", a directory's, and there is no directory ${path.join(dir, 'results')}: give a file name`,
    ]);
    // A backslash is no separator on Linux: a name of its own.
    if (path.sep === '/') {
      const odd = path.join(dir, 'out\\');
      const named = await runInWorker([file, '-o', odd, '--base-url', server.url, '-q']);
      expect(named.code, named.stderr).toBe(0);
      expect(fs.existsSync(odd)).toBe(true);
    }
    expect(server.requests).toHaveLength(1);
  });

  it('-o "" (a script\'s unset $OUT): says -o needs a path, exit 2, nothing sent or created', async () => {
    const { server } = await fresh();
    const file = writePrompts(dir, 'empty-out.txt', ['never sent']);
    for (const empty of ['', ' ']) {
      const r = await runInWorker([file, '-o', empty, '--base-url', server.url]);
      expect(r.code).toBe(2);
      expect(stderrLines(r)).toEqual(['llm-batch: --output needs a file path ("-" for stdout); it was empty']);
    }
    expect(server.requests).toHaveLength(0);
  });

  // -q dropped --progress's lines without a word: a cron line given --progress 60 for its log logged nothing.
  it('-q with --progress is refused as -q with -v is: exit 2, one line, nothing sent or written', async () => {
    const { server, run } = await fresh();
    const file = writePrompts(dir, 'quiet-progress.txt', ['never sent']);
    const out = path.join(dir, 'quiet-progress.jsonl');
    const quietProgress =
      'llm-batch: -q (--quiet) and --progress contradict each other: pick one (--progress without -q logs a progress line every N seconds, errors and the summary)';
    // The first as a child process, as cron runs it; the rest in the worker.
    const cron = await run([file, '-o', out, '-q', '--progress', '60']);
    expect([cron.code, cron.stdout, stderrLines(cron)]).toEqual([2, '', [quietProgress]]);
    for (const flags of [
      ['--progress', '-q'],
      ['--quiet', '--progress=1'],
      ['-q', '--progress', file],
    ]) {
      const r = await runInWorker([...(flags.includes(file) ? [] : [file]), '-o', out, ...flags, '--base-url', server.url]);
      expect([r.code, r.stdout, stderrLines(r)], flags.join(' ')).toEqual([2, '', [quietProgress]]);
    }
    const verbose = await runInWorker([file, '-o', out, '-q', '-v', '--base-url', server.url]);
    expect([verbose.code, stderrLines(verbose)]).toEqual([
      2,
      [expect.stringMatching(/^llm-batch: -q \(--quiet\) and -v \(--verbose\) contradict each other: pick one \(/)],
    ]);
    expect(fs.existsSync(out)).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  it('an unknown flag exits 2 naming it', async () => {
    const { server } = await fresh();
    const file = writePrompts(dir, 'unknown-flag.txt', ['never sent']);
    const r = await runInWorker([file, '--frobnicate', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)[0]).toMatch(/--frobnicate/);
    expect(server.requests).toHaveLength(0);
  });
});

describe.concurrent('a rejected key stops the run at once and is never printed', () => {
  const prompts = Array.from({ length: 50 }, (_, i) => `auth prompt ${i + 1}`);

  it('401 from a server that wants another key: exit 2, "rejected" on stderr, a handful of requests, no key in stdout/stderr', async () => {
    const { server, run } = await fresh({ apiKey: 'right-key' });
    const file = writePrompts(dir, 'auth-stdout.txt', prompts);
    const r = await run([file, '-c', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rejected/i);
    expect(r.stderr).toMatch(/key/i);
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
    expect(server.requests.length).toBeLessThanOrEqual(5);
    // The client did send the key (so the mock echoed it back in its 401 body) ...
    expect(server.requests[0]!.authorization).toBe(`Bearer ${SECRET_KEY}`);
    // ... and it shows up nowhere.
    expectNoSecret(r);
    // Not every prompt got a row: the run stopped.
    expect(rowsOf(r).length).toBeLessThan(prompts.length);
  });

  it('the same with -o: the key is in no output file either', async () => {
    const { server, run } = await fresh({ apiKey: 'right-key' });
    const outDir = fs.mkdtempSync(path.join(dir, 'auth-out-'));
    const file = writePrompts(dir, 'auth-file.txt', prompts);
    for (const name of ['out.jsonl', 'out.csv']) {
      const r = await run([file, '-c', '2', '-o', path.join(outDir, name)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/rejected/i);
      expectNoSecret(r, outDir);
    }
    expect(server.requests.length).toBeLessThanOrEqual(10);
    expect(fs.readdirSync(outDir).length).toBeGreaterThan(0);
  });

  it('[[fault:401]] on one prompt stops the run: exit 2, key not printed', async () => {
    const { server, run } = await fresh();
    const poisoned = [`auth prompt 0 [[fault:401]]`, ...prompts];
    const file = writePrompts(dir, 'auth-fault.txt', poisoned);
    const outDir = fs.mkdtempSync(path.join(dir, 'auth-fault-'));
    const r = await run([file, '-c', '2', '-o', path.join(outDir, 'out.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rejected/i);
    expect(server.countFor(poisoned[0]!)).toBe(1); // a 401 is not retried
    expect(server.requests.length).toBeLessThanOrEqual(6);
    expectNoSecret(r, outDir);
  });
});
