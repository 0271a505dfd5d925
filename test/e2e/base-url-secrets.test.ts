/**
 * The base URL outside a run: `llm-batch status` and `cancel` refuse a --base-url (or
 * OPENAI_BASE_URL, or a recorded one) with credentials or a query as a run does, and a key in a
 * path segment of the URL (`https://gateway/sk-…/v1`) is sent but never printed or written to a
 * file (OUT.meta.json, --summary-json, --report, resume commands, --dry-run).
 * The BUILT CLI against the mock server (its Batch API), behind a proxy that serves it under a path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { startPathPrefixProxy, type PathPrefixProxy } from '../helpers/path-prefix-proxy.js';
import { SECRET_KEY, parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-baseurlsecrets-');
const OTHER = 'tok-NOT-THE-KEY-5b1e';

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 30 };
});

/** Every file under `dir` that holds `secret`. */
function filesHolding(dir: string, secret: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (fs.readFileSync(file).includes(secret)) hits.push(file);
    }
  };
  walk(dir);
  return hits;
}

/** An output with one batch still running on the server. */
async function pendingOutput(): Promise<{ input: string; out: string }> {
  ctx.server.options.batches = { stepMs: 30, hold: () => true };
  const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
  const out = path.join(ctx.dir, 'out.jsonl');
  const r = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-wait', '--no-cache']);
  expect(r.code, r.stderr).toBe(75);
  return { input, out };
}

describe('status and cancel refuse a base URL as a run does', () => {
  const bad: Array<[string, (u: URL) => string, RegExp]> = [
    ['the key as username', (u) => `${u.protocol}//${SECRET_KEY}@${u.host}${u.pathname}`, /http:\/\/\*\*\*@127\.0\.0\.1:\d+\/v1 has credentials in it/],
    ['user and password', (u) => `${u.protocol}//${OTHER}:${OTHER}@${u.host}${u.pathname}`, /\*\*\*@127\.0\.0\.1:\d+\/v1 has credentials/],
    ['the key in the query', (u) => `${u.href}?api-key=${SECRET_KEY}`, /http:\/\/127\.0\.0\.1:\d+\/v1\?\*\*\* has a query string or fragment/],
    ['a fragment', (u) => `${u.href}#${OTHER}`, /has a query string or fragment/],
  ];

  // One pending output serves every URL: a refusal asks and writes nothing (checked after each), and
  // the recorded metadata is put back before each, so every URL meets the output as the run left it.
  it('the key as username, user and password, the key in the query, a fragment: exit 2, one line, no secret, nothing asked or written (--base-url and OPENAI_BASE_URL)', async () => {
    const { out } = await pendingOutput();
    const rows = fs.readFileSync(out, 'utf8');
    const recorded = fs.readFileSync(`${out}.meta.json`, 'utf8');
    const meta = JSON.parse(recorded);
    const counts = { ...ctx.server.batchState.counts };
    for (const [name, makeUrl, message] of bad) {
      const url = makeUrl(new URL(ctx.server.url));
      fs.writeFileSync(`${out}.meta.json`, recorded);
      for (const how of ['flag', 'env'] as const) {
        // OPENAI_BASE_URL is used when the recorded URL is the default one: record it so.
        if (how === 'env') fs.writeFileSync(`${out}.meta.json`, JSON.stringify({ ...meta, baseURL: 'openai' }));
        for (const command of ['status', 'cancel']) {
          // The first URL by flag stays a child process, status and cancel each: the rest run in the worker.
          const cli = name === bad[0]![0] && how === 'flag' ? runCli : runInWorker;
          const r = how === 'flag' ? await cli([command, out, '--base-url', url]) : await cli([command, out], { env: { OPENAI_BASE_URL: url } });
          const what = `${name}, ${command} ${how}`;
          expect(r.code, `${what}: ${r.stderr}`).toBe(2);
          expect(stderrLines(r), what).toHaveLength(1);
          expect(r.stderr, what).toMatch(new RegExp(`^llm-batch: ${how === 'flag' ? '--base-url' : 'OPENAI_BASE_URL'} .*${message.source}`));
          expect(r.stdout + r.stderr, what).not.toContain(SECRET_KEY);
          expect(r.stderr, what).not.toContain(OTHER);
        }
      }
      expect(ctx.server.batchState.counts, name).toEqual(counts);
      expect(fs.readFileSync(out, 'utf8'), name).toBe(rows);
    }
  });

  it('a base URL recorded by an older run with credentials in it: refused too', async () => {
    const { out } = await pendingOutput();
    const meta = JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8'));
    const u = new URL(ctx.server.url);
    fs.writeFileSync(`${out}.meta.json`, JSON.stringify({ ...meta, baseURL: `${u.protocol}//${SECRET_KEY}@${u.host}${u.pathname}` }));
    const counts = { ...ctx.server.batchState.counts };
    const r = await runInWorker(['status', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^llm-batch: the base URL in .*out\.jsonl\.meta\.json http:\/\/\*\*\*@127\.0\.0\.1:\d+\/v1 has credentials/);
    expect(r.stderr).not.toContain(SECRET_KEY);
    expect(ctx.server.batchState.counts).toEqual(counts);
  });

  it('an OPENAI_BASE_URL that is no http(s) URL (`mock`, no scheme): exit 2, one line naming it, nothing asked or written', async () => {
    const { out } = await pendingOutput();
    const meta = JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8'));
    // OPENAI_BASE_URL is used when the recorded URL is the default one: record it so.
    const recorded = JSON.stringify({ ...meta, baseURL: 'openai' });
    fs.writeFileSync(`${out}.meta.json`, recorded);
    const rows = fs.readFileSync(out, 'utf8');
    const counts = { ...ctx.server.batchState.counts };
    for (const value of ['mock', `${SECRET_KEY}@localhost:8000/v1`])
      for (const command of ['status', 'cancel']) {
        const r = await runInWorker([command, out], { env: { OPENAI_BASE_URL: value } });
        expect(r.code, `${command} ${value}: ${r.stderr}`).toBe(2);
        expect(stderrLines(r)).toHaveLength(1);
        expect(r.stderr).toMatch(/^llm-batch: OPENAI_BASE_URL "(mock|\*\*\*@localhost:8000\/v1)": expected an http:\/\/ or https:\/\/ URL/);
        expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
      }
    expect(ctx.server.batchState.counts).toEqual(counts);
    expect(fs.readFileSync(out, 'utf8')).toBe(rows);
    expect(fs.readFileSync(`${out}.meta.json`, 'utf8')).toBe(recorded);
  });

  it('a plain --base-url still works for both', async () => {
    const { out } = await pendingOutput();
    const status = await runCli(['status', out, '--base-url', ctx.server.url]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/batch_mock\d+ {2}gpt-4o-mini {2}in_progress/);
    const cancel = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(ctx.server.batchState.counts.cancels).toBe(1);
  });
});

describe('a key in a path segment of the base URL', () => {
  let proxy: PathPrefixProxy;
  beforeEach(async () => {
    proxy = await startPathPrefixProxy(ctx.server.url, SECRET_KEY);
  });
  afterEach(async () => {
    await proxy.close();
  });

  it('--batch-api: sent, but in no file and no output; a resume matches; status asks for the URL again', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, '--base-url', proxy.url, '--batch-api', '--poll', '0.05', '--no-cache'];
    const side = ['--summary-json', path.join(ctx.dir, 'sum.json'), '--report', path.join(ctx.dir, 'report.html')];
    const dry = await runInWorker([...args, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/exactly as they would be sent to http:\/\/127\.0\.0\.1:\d+\/\[redacted\]\/v1\/files/);

    const first = await runCli([...args, '--no-wait', ...side]);
    expect(first.code, first.stderr).toBe(75);
    expect(ctx.server.batchState.counts.creates).toBe(1); // it did reach the server, through the path
    const printed = /to continue, run: (.*)$/m.exec(first.stderr)?.[1];
    expect(printed).toContain(`--base-url '${proxy.url.replace(SECRET_KEY, '[redacted]')}' `);
    const meta = JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8'));
    expect(meta.baseURL).toBe(proxy.url.replace(SECRET_KEY, '[redacted]'));
    expect(JSON.parse(fs.readFileSync(path.join(ctx.dir, 'sum.json'), 'utf8')).resumeHint).toBe(printed);
    for (const r of [dry, first]) expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
    expect(filesHolding(ctx.dir, SECRET_KEY)).toEqual([]);

    // The URL is no longer on file: status says so instead of asking `[redacted]`, and works with it given.
    const status = await runInWorker(['status', out]);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(
      /the base URL in .*out\.jsonl\.meta\.json had a secret in it, which is not stored .*give the URL with --base-url or OPENAI_BASE_URL/,
    );
    expect(status.stderr).not.toContain(SECRET_KEY);
    const given = await runCli(['status', out], { env: { OPENAI_BASE_URL: proxy.url } });
    expect(given.code, given.stderr).toBe(0);
    expect(given.stdout + given.stderr).not.toContain(SECRET_KEY);

    // An output an older version started (the URL stored as typed) resumes as the same run.
    fs.writeFileSync(`${out}.meta.json`, JSON.stringify({ ...meta, baseURL: proxy.url }));
    holding = false;
    const resumed = await runCli([...args, '--resume', ...side]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(parseJsonl<{ response: string }>(fs.readFileSync(out, 'utf8')).map((r) => r.response)).toEqual(['ECHO a', 'ECHO b']);
    expect(resumed.stdout + resumed.stderr).not.toContain(SECRET_KEY);
    expect(filesHolding(ctx.dir, SECRET_KEY)).toEqual([]);
  });

  it('a live run stopped by --max-cost: the resume command, the summary and the settings hold no key', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const sum = path.join(ctx.dir, 'sum.json');
    const r = await runCli([input, '-o', out, '--base-url', proxy.url, '--no-cache', '--max-cost', '0.0000001', '--summary-json', sum]);
    expect(r.code, r.stderr).toBe(3);
    const printed = /to finish the rest, run: (.*)$/m.exec(r.stderr)?.[1];
    expect(printed).toContain(`--base-url '${proxy.url.replace(SECRET_KEY, '[redacted]')}' `);
    expect(JSON.parse(fs.readFileSync(sum, 'utf8')).resumeHint).toBe(printed);
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
    expect(filesHolding(ctx.dir, SECRET_KEY)).toEqual([]);

    // Answers come through the path all the same.
    const done = await runCli([input, '-o', out, '--base-url', proxy.url, '--no-cache', '--resume']);
    expect(done.code, done.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(2);
    expect(filesHolding(ctx.dir, SECRET_KEY)).toEqual([]);
  });
});
