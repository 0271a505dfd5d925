/**
 * A base URL with and without its trailing slash is one server: a --resume across the two continues
 * the output (OPENAI_BASE_URL set with a slash in one shell and without in a cron job), where any
 * other difference of the URL still refuses. The BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-baseurlslash-');

describe('--resume and the base URL’s trailing slash', () => {
  it('a run with …/v1/ resumed with …/v1 (and back) continues: only the new prompts are asked', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '-o', out, '--no-cache'], { env: { OPENAI_BASE_URL: `${ctx.server.url}/` } });
    expect(first.code, first.stderr).toBe(0);
    // Trimmed as --base-url's is, so the output records one form of the server.
    expect(JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8')).baseURL).toBe(ctx.server.url);
    fs.appendFileSync(input, 'c\n');
    const resumed = await runCli([input, '-o', out, '--no-cache', '--resume'], { env: { OPENAI_BASE_URL: ctx.server.url } });
    expect(resumed.code, resumed.stderr).toBe(0);
    fs.appendFileSync(input, 'd\n');
    const again = await runCli([input, '-o', out, '--no-cache', '--resume', '--base-url', `${ctx.server.url}/`]);
    expect(again.code, again.stderr).toBe(0);
    expect(ctx.server.requests.map((r) => r.prompt)).toEqual(['a', 'b', 'c', 'd']);
    expect(parseJsonl(fs.readFileSync(out, 'utf8')).map((row) => row['prompt'])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('an output whose metadata recorded the slash (an older llm-batch, from OPENAI_BASE_URL) resumes too', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '-o', out, '--no-cache', '--base-url', ctx.server.url]);
    expect(first.code, first.stderr).toBe(0);
    const metaFile = `${out}.meta.json`;
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    expect(meta.baseURL).toBe(ctx.server.url);
    fs.writeFileSync(metaFile, JSON.stringify({ ...meta, baseURL: `${ctx.server.url}/` }, null, 2));
    fs.appendFileSync(input, 'b\n');
    const resumed = await runCli([input, '-o', out, '--no-cache', '--resume'], { env: { OPENAI_BASE_URL: ctx.server.url } });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(ctx.server.requests.map((r) => r.prompt)).toEqual(['a', 'b']);
  });

  it('--dry-run names the endpoint without the slash, live and --batch-api: trimmed once, where the URL is read', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a']);
    const env = { OPENAI_BASE_URL: `${ctx.server.url}//` };
    const live = await runCli([input, '--dry-run'], { env });
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout + live.stderr).toContain(`POST ${ctx.server.url}/chat/completions`);
    const batch = await runInWorker([input, '--dry-run', '--batch-api'], { env });
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stdout + batch.stderr).toContain(`${ctx.server.url}/files as Batch API lines`);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('a --base-url with a space at its end (pasted) is trimmed as OPENAI_BASE_URL is; capitals in the scheme or host are the same server', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '-o', out, '--no-cache', '--base-url', `${ctx.server.url} `]);
    expect(first.code, first.stderr).toBe(0);
    expect(ctx.server.requests.map((r) => [r.prompt, r.status])).toEqual([['a', 200]]);
    expect(JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8')).baseURL).toBe(ctx.server.url);
    fs.appendFileSync(input, 'b\n');
    const shouted = ctx.server.url.replace('http://', 'HTTP://');
    const resumed = await runCli([input, '-o', out, '--no-cache', '--resume', '--base-url', shouted]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(ctx.server.requests.map((r) => r.prompt)).toEqual(['a', 'b']);
  });

  it('another path is still another server: refused, nothing asked, the output left as it was', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '-o', out, '--no-cache', '--base-url', `${ctx.server.url}/`]);
    expect(first.code, first.stderr).toBe(0);
    const rows = fs.readFileSync(out, 'utf8');
    const other = ctx.server.url.replace(/\/v1$/, '/v2');
    const refused = await runInWorker([input, '-o', out, '--no-cache', '--resume', '--base-url', other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /was written by a different run \(baseURL \(--base-url\): was "http:\/\/127\.0\.0\.1:\d+\/v1", now "http:\/\/127\.0\.0\.1:\d+\/v2"\)/,
    );
    expect(ctx.server.requests).toHaveLength(1);
    expect(fs.readFileSync(out, 'utf8')).toBe(rows);
  });
});
