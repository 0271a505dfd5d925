/**
 * OpenAI's 429 for a limit per day used up ("on requests per day (RPD): Limit 10000, Used 10000,
 * Requested 1. Please try again in 8.64s.") stops the run as an exhausted quota does: exit 3, the
 * server's words, the resume command. Its short wait is the pace the day refills at: before, each
 * prompt was retried at it and failed `rate_limit` after 4 attempts, stderr silent, and 10,000 rows
 * would have taken a day. Through the BUILT CLI against a small server of the test's own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';

const SAID: Record<string, string> = {
  RPD: 'Rate limit reached for gpt-4o-mini in organization org-1 on requests per day (RPD): Limit 10000, Used 10000, Requested 1. Please try again in 8.64s. Visit https://platform.openai.com/account/rate-limits to learn more.',
  TPD: 'Rate limit reached for gpt-4o-mini in organization org-1 on tokens per day (TPD): Limit 2000000, Used 1999990, Requested 20. Please try again in 8.64s. Visit https://platform.openai.com/account/rate-limits to learn more.',
};

/** The model asked names the limit the server says is used up. */
const server = useReplyServer('llm-batch-daily-limit-', (body, res) => {
  const { model } = JSON.parse(body) as { model: string };
  res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '9', 'retry-after-ms': '8640' });
  res.end(JSON.stringify({ error: { message: SAID[model], type: model === 'RPD' ? 'requests' : 'tokens', param: null, code: 'rate_limit_exceeded' } }));
});
beforeAll(() => {
  writePrompts(server.dir, 'p.txt', ['first', 'second', 'third']);
});

describe('a 429 for a limit per day used up', () => {
  it.each(['RPD', 'TPD'])("%s: stops at once with exit 3, in the server's words, with the resume command", async (limit) => {
    const before = server.requests;
    const out = path.join(server.dir, `r-${limit}.jsonl`);
    const summary = path.join(server.dir, `s-${limit}.json`);
    const args = ['p.txt', '--base-url', server.url, '-m', limit, '--no-cache', '-c', '1', '-o', out, '--summary-json', summary];
    // Before, the child retried every prompt 8.64 s apart: the safety net killed it (code null).
    const r = await runCli(args, { cwd: server.dir, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`quota exhausted: HTTP 429: ${SAID[limit]!.replace(/\.$/, '')}; a limit per day (${limit}) is used up`);
    const resume = r.stderr.split('\n').find((l) => /--resume/.test(l));
    expect(resume, r.stderr).toContain(out);
    // One request, not retried, and no row: --resume asks every prompt once the limit allows.
    expect(server.requests - before).toBe(1);
    expect(fs.readFileSync(out, 'utf8')).toBe('');
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: 'quota', exitCode: 3, requests: 1, retries: 0, rateLimited: 1 });
  });
});
