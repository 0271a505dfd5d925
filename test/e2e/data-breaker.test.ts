/**
 * Issue 11, money and cron: a circuit breaker when the endpoint is unusable (items 8), and answers
 * cut off at the token limit counted and optionally failed (item 10). The built CLI against the
 * mock server.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FaultKind } from '../helpers/mock-server.js';
import { runCli } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh, writeFile } = useServers('llm-batch-data-breaker-');
const PROMPTS = Array.from({ length: 20 }, (_, i) => `breaker prompt ${i}`);

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('circuit breaker (item 8)', () => {
  it('ECONNREFUSED on the first requests: stops with a diagnosis and exit 4, not 20 × 4 attempts', async () => {
    const port = await closedPort();
    const input = writeFile('refused.txt', PROMPTS.join('\n') + '\n');
    const out = path.join(dir, 'refused.jsonl');
    const r = await runCli([input, '-o', out, '--base-url', `http://127.0.0.1:${port}/v1`, '-c', '2']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/the first requests all failed the same way.*nothing is listening at http:\/\/127\.0\.0\.1:\d+\/v1 \(connection refused\)/);
    expect(r.stderr).toMatch(/--resume/); // the resume command: the server may be back tomorrow
    // Stopped prompts have no row, so the resume re-runs them all.
    expect(fs.readFileSync(out, 'utf8')).toBe('');
  });

  it.each([[[]], [['-v']]])('https:// to a server that speaks plain HTTP (args %j): stops with a diagnosis and exit 4', async (extra) => {
    const { server } = await fresh();
    const input = writeFile(`tls${extra.length}.txt`, PROMPTS.join('\n') + '\n');
    const out = path.join(dir, `tls${extra.length}.jsonl`);
    const r = await runCli([input, '-o', out, '--base-url', server.url.replace('http://', 'https://'), '-c', '2', ...extra]);
    expect(r.code, r.stderr).toBe(4);
    // undici says ERR_SSL_WRONG_VERSION_NUMBER, node:https (the SDK path, -v) EPROTO.
    expect(r.stderr).toMatch(
      /the first requests all failed the same way.*(does not answer in TLS \(ERR_SSL_WRONG_VERSION_NUMBER\): if the server speaks plain HTTP, --base-url starts with http:\/\/|TLS\/connection problem \(EPROTO\))/,
    );
    expect(fs.readFileSync(out, 'utf8')).toBe('');
  });

  it.each<[FaultKind, string, RegExp]>([
    ['html', '--stream', /answers with an HTML page, not the API: check --base-url/],
    ['html', '--no-stream', /answers with an HTML page, not the API: check --base-url/],
    ['empty', '--no-stream', /answers 200 with an empty body: check --base-url\n/],
    ['empty', '--stream', /answers 200 with an empty body: check --base-url\n/],
    ['nostream', '--stream', /ignores "stream": true and sends whole JSON answers: pass --no-stream/],
    ['alwaysstream', '--no-stream', /streams its answers even when "stream": false is asked: drop --no-stream\n/],
    // LM Studio on a path it does not serve: `{"error": "Unexpected endpoint or method. …"}` with a 200.
    [
      'errorstring',
      '--stream',
      /answers 200 with an error instead of an answer \("Unexpected endpoint or method\. \(POST \/chat\/completions\)"\): check --base-url/,
    ],
    [
      'errorstring',
      '--no-stream',
      /answers 200 with an error instead of an answer \("Unexpected endpoint or method\. \(POST \/chat\/completions\)"\): check --base-url/,
    ],
  ])('every request answered with %s (%s): stops after 3 attempts with a diagnosis, exit 4', async (fault, mode, diagnosis) => {
    const { run, server } = await fresh({ fault: () => fault });
    const input = writeFile(`${fault}${mode}.txt`, PROMPTS.join('\n') + '\n');
    const r = await run([input, mode, '-c', '1', '-q']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(diagnosis);
    expect(server.requests.length).toBeLessThanOrEqual(3);
    expect(r.stdout).toBe('');
  });

  it.each<[FaultKind, string[], string]>([
    ['nostream', [], ' --no-stream --resume'],
    ['alwaysstream', ['--no-stream'], ' --resume'],
  ])('a %s stop: the resume command has the streaming the server does (%j given)', async (fault, given, tail) => {
    const { run } = await fresh({ fault: () => fault });
    const input = writeFile(`${fault}-resume.txt`, PROMPTS.join('\n') + '\n');
    const out = path.join(dir, `${fault}-resume.jsonl`);
    const r = await run([input, '-o', out, ...given, '-c', '1']);
    expect(r.code).toBe(4);
    const command = r.stderr.split('\n').find((line) => line.includes('to finish the rest, run:'));
    expect(command, r.stderr).toBeDefined();
    expect(command!.endsWith(tail), command).toBe(true);
  });

  it('one success first disarms it: later failures are ordinary rows, the run goes on', async () => {
    const { run, server } = await fresh({ fault: ({ index }) => (index === 0 ? undefined : 'html') });
    const input = writeFile('disarmed.txt', PROMPTS.slice(0, 6).join('\n') + '\n');
    const r = await run([input, '-c', '1', '--retries', '0', '-q']);
    expect(r.code).toBe(1);
    expect(server.requests).toHaveLength(6);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(6);
    expect(rows.filter((row) => row.error?.code === 'html_response')).toHaveLength(5);
  });

  it("a 200 with an error in words alone, after a success: the row says the server's words", async () => {
    const { run } = await fresh({ fault: ({ index }) => (index === 0 ? undefined : 'errorstring') });
    const input = writeFile('error-string.txt', PROMPTS.slice(0, 2).join('\n') + '\n');
    const r = await run([input, '-c', '1', '--retries', '0', '-q']);
    expect(r.code).toBe(1);
    expect(rowsOf(r)[1]!.error).toEqual({
      type: 'bad_response',
      code: 'error_response',
      message: 'server error in body: Unexpected endpoint or method. (POST /chat/completions)',
    });
  });

  it('failures that differ are not a dead endpoint: every prompt gets its row', async () => {
    const kinds: FaultKind[] = ['html', '500', 'empty', '502'];
    const { run } = await fresh({ fault: ({ index }) => kinds[index % kinds.length] });
    const input = writeFile('mixed.txt', PROMPTS.slice(0, 4).join('\n') + '\n');
    const r = await run([input, '-c', '1', '--retries', '0', '--no-stream', '-q']);
    expect(r.code).toBe(1);
    expect(rowsOf(r)).toHaveLength(4);
  });
});

describe('finish_reason "content_filter"', () => {
  it('is counted in the summary and --summary-json, live, from the cache and from --batch-api; the answer kept, exit 0', async () => {
    const { run } = await fresh();
    const input = writeFile('filtered.txt', 'whole answer\nfiltered answer [[fault:filtered]]\n');
    const cache = path.join(dir, 'filtered-cache');
    for (const [tag, extra, fromCache] of [
      ['live', [], 0],
      ['cached', [], 2],
      ['batch', ['--batch-api', '--poll', '0.05', '--no-cache'], 0],
    ] as const) {
      const summary = path.join(dir, `filtered-${tag}.json`);
      const out = path.join(dir, `filtered-${tag}.jsonl`);
      const r = await run([input, '-o', out, '--cache-dir', cache, '--summary-json', summary, ...extra]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/2 ok(?: \(2 from cache\))?, 0 failed, 1 stopped by the content filter/);
      expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 2, failed: 0, fromCache, contentFiltered: 1, truncated: 0 });
      const rows = fs
        .readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows.find((row) => row.prompt.startsWith('filtered'))).toMatchObject({ finish_reason: 'content_filter', error: null });
    }
  });
});

describe('finish_reason "length" (item 10)', () => {
  it('is counted in the summary and --summary-json; exit 0 by default', async () => {
    const { run } = await fresh();
    const input = writeFile('trunc.txt', 'whole answer\ncut answer [[fault:length]]\n');
    const summary = path.join(dir, 'trunc-summary.json');
    const r = await run([input, '--summary-json', summary]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/2 ok, 0 failed, 1 truncated at the token limit/);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 2, failed: 0, truncated: 1 });
    expect(rowsOf(r).find((row) => row.prompt.startsWith('cut'))).toMatchObject({ finish_reason: 'length', error: null });
  });

  it('--fail-truncated makes them failed rows of type truncated (answer kept), exit 1; --retry-failed re-runs them', async () => {
    const { run, server } = await fresh();
    const input = writeFile('trunc-fail.txt', 'whole answer\ncut answer [[fault:length*1]]\n');
    const out = path.join(dir, 'trunc-fail.jsonl');
    const summary = path.join(dir, 'trunc-fail-summary.json');
    const r = await run([input, '-o', out, '--fail-truncated', '--max-tokens', '50', '--summary-json', summary]);
    expect(r.code).toBe(1);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 1, failed: 1, failedByType: { truncated: 1 }, truncated: 1 });
    const cut = fs
      .readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((row) => row.prompt.startsWith('cut'));
    expect(cut).toMatchObject({ finish_reason: 'length', response: 'ECHO cut answer [[fault:length*1]]', error: { type: 'truncated' } });
    expect(cut.error.message).toMatch(/cut off at the token limit of 50/);
    // A truncation repeats unless something changes: a plain resume leaves it, --retry-failed re-runs it.
    expect((await run([input, '-o', out, '--fail-truncated', '--max-tokens', '50', '--resume', '-q'])).code).toBe(1);
    expect(server.countFor('cut answer [[fault:length*1]]')).toBe(1);
    expect((await run([input, '-o', out, '--fail-truncated', '--max-tokens', '50', '--resume', '--retry-failed', '-q'])).code).toBe(0);
    expect(server.countFor('cut answer [[fault:length*1]]')).toBe(2);
  });
});

describe('finish_reason "length" and the response cache (one cache for every run)', () => {
  const cached = (cacheDir: string) => ({ env: { LLM_BATCH_CACHE_DIR: cacheDir } });
  const cutOf = (file: string) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((row) => row.prompt.startsWith('cut'));

  it('a stored cut answer is counted as truncated; under --fail-truncated it is asked again and fails again', async () => {
    const { run, server } = await fresh();
    const cacheDir = path.join(dir, 'trunc-cache');
    const input = writeFile('trunc-cached.txt', 'whole answer\ncut answer [[fault:length*9]]\n');
    const summary = path.join(dir, 'trunc-cached-summary.json');
    expect((await run([input, '--fail-truncated', '-o', path.join(dir, 'tc1.jsonl'), '-q'], cached(cacheDir))).code).toBe(1);
    expect(server.requests).toHaveLength(2);

    // Without the flag, the stored cut answer is served, and counted.
    const plain = await run([input, '-o', path.join(dir, 'tc2.jsonl'), '--summary-json', summary], cached(cacheDir));
    expect(plain.code).toBe(0);
    expect(server.requests).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 2, failed: 0, fromCache: 2, truncated: 1 });

    // Its dry run says so: the cut answer is one to send (and pay for), not one from the cache.
    const dry = await run([input, '--fail-truncated', '--dry-run'], cached(cacheDir));
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^ {2}2 records: 1 to send, 1 answered from the cache, 0 bad$/m);
    expect(dry.stdout).toMatch(/"content": "cut answer \[\[fault:length\*9\]\]"/);
    expect(server.requests).toHaveLength(2);

    // The next night's cron run: the cut answer is no hit; asked again, cut again, failed again.
    const night = await run([input, '--fail-truncated', '-o', path.join(dir, 'tc3.jsonl'), '--summary-json', summary], cached(cacheDir));
    expect(night.code, night.stderr).toBe(1);
    expect(server.countFor('cut answer [[fault:length*9]]')).toBe(2);
    expect(server.requests).toHaveLength(3);
    expect(cutOf(path.join(dir, 'tc3.jsonl'))).toMatchObject({ error: { type: 'truncated' }, finish_reason: 'length' });
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 1, failed: 1, failedByType: { truncated: 1 }, truncated: 1 });
  });

  it('--batch-api --fail-truncated: a stored cut answer is put in a batch, and a cut collected answer fails as live', async () => {
    const { run, server } = await fresh();
    const cacheDir = path.join(dir, 'trunc-batch-cache');
    const input = writeFile('trunc-batch.txt', 'whole answer\ncut answer [[fault:length*9]]\n');
    expect((await run([input, '-o', path.join(dir, 'tb1.jsonl'), '-q'], cached(cacheDir))).code).toBe(0);
    const summary = path.join(dir, 'trunc-batch-summary.json');
    const out = path.join(dir, 'tb2.jsonl');
    const r = await run([input, '--batch-api', '--poll', '0.05', '--fail-truncated', '-o', out, '--summary-json', summary, '-q'], cached(cacheDir));
    expect(r.code, r.stderr).toBe(1);
    expect(server.batchState.batches.size, r.stderr).toBe(1);
    expect(cutOf(out)).toMatchObject({ error: { type: 'truncated' }, finish_reason: 'length' });
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 1, failed: 1, failedByType: { truncated: 1 }, truncated: 1 });
  });
});
