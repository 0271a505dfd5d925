/**
 * A 429 whose retry-after asks for hours (Groq's daily token limit: `retry-after: 3600`, "Please
 * try again in 1h0m0s") stops the run as an exhausted quota does: exit 3, the line says how long the
 * server asked, and the resume command finishes the rest. Before, every retry slept the whole hour
 * while the progress line claimed a 60 s wait, then said nothing: a cron job sat for ~3 hours, and
 * its rows failed in the end. Through the BUILT CLI against a small server of the test's own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';

const GROQ_TPD =
  'Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01` service tier `on_demand` on tokens per day (TPD): Limit 100000, Used 99804, Requested 1210. Please try again in 1h0m0s. Need more tokens? Upgrade to Dev Tier today.';

/** Which retry-after header the server sends, by the request's model. */
const HEADERS: Record<string, Record<string, string>> = {
  seconds: { 'retry-after': '3600' },
  ms: { 'retry-after-ms': '3600000' },
};

const server = useReplyServer('llm-batch-long-retry-after-', (body, res) => {
  const { model } = JSON.parse(body) as { model: string };
  res.writeHead(429, { 'content-type': 'application/json', ...HEADERS[model] });
  res.end(JSON.stringify({ error: { message: GROQ_TPD, type: 'tokens', code: 'rate_limit_exceeded' } }));
});
beforeAll(() => {
  writePrompts(server.dir, 'p.txt', ['first', 'second']);
});

describe('a 429 that asks for a wait of hours', () => {
  it.each([
    ['seconds', 'retry-after'],
    ['ms', 'retry-after-ms'],
  ])('%s: stops at once with exit 3, saying why, and the resume command', async (model, header) => {
    const before = server.requests;
    const out = path.join(server.dir, `r-${model}.jsonl`);
    const summary = path.join(server.dir, `s-${model}.json`);
    const args = ['p.txt', '--base-url', server.url, '-m', model, '--no-cache', '-c', '1', '-o', out, '--summary-json', summary];
    // Before the fix the child slept the hour: the safety net killed it (code null).
    const r = await runCli(args, { cwd: server.dir, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('Please try again in 1h0m0s');
    expect(r.stderr).toContain(`the server asks to wait 60 minutes (${header}), more than the 2 minutes a run waits for a rate limit`);
    expect(r.stderr).not.toMatch(/waiting \d/);
    const resume = r.stderr.split('\n').find((l) => /--resume/.test(l));
    expect(resume, r.stderr).toContain(out);
    // One request, not retried, and no row: --resume asks both prompts once the limit resets.
    expect(server.requests - before).toBe(1);
    expect(fs.readFileSync(out, 'utf8')).toBe('');
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: 'quota', exitCode: 3, requests: 1, retries: 0, ok: 0, failed: 0 });
  });
});
