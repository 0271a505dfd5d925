/**
 * Rate, end to end: with a token limit learned from x-ratelimit-limit-tokens and no --max-tokens, a
 * request is charged its prompt plus the answer length seen so far, not a fixed 256-token guess that
 * held the run at about half the server's request limit (review R10). Spawns the BUILT CLI: `npm run
 * build` first.
 *
 * Checked on the CLI's own clock (each row's started_at, stamped as the pacer admits the request; see
 * rate.test.ts for why not the mock's arrivals): never over either limit, and in its densest second
 * more requests than the guess could ever let into one, a count the machine's speed cannot fake.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { maxInWindow, startMockServer, type MockServer, type RecordedRequest } from '../helpers/mock-server.js';
import { parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

const tmp = tempDir('llm-batch-rate-answer-');
const servers: MockServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  tmp.cleanup();
});

/** Tokens the mock's limiter charges a request without max_tokens: prompt tokens + 16. */
const charged = (q: RecordedRequest): number => q.tokens + 16;

describe('a token limit from the headers, no --max-tokens, short answers', () => {
  it('runs up to the request limit (20/s), not at the ~10/s a 256-token guess allows; never over either limit', async () => {
    const REQUESTS = 20;
    const TOKENS = 3000;
    const server = await startMockServer({ latencyMs: 20, rateLimit: { requests: REQUESTS, tokens: TOKENS, windowMs: 1000 } });
    servers.push(server);
    const prompts = Array.from({ length: 300 }, (_, i) => `heavy rl prompt ${i + 1}`);
    const file = writePrompts(tmp.dir, 'r10.txt', prompts);
    const r = await runCli([file, '--base-url', server.url, '-q', '--no-cache', '-c', '64'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = parseJsonl<ResultRow>(r.stdout);
    expect(rows).toHaveLength(prompts.length);
    expect(rows.filter((row) => row.error !== null)).toEqual([]);

    const accepted = server.requests.filter((q) => q.status === 200);
    expect(accepted.every((q) => q.body.max_tokens === undefined && q.body.max_completion_tokens === undefined)).toBe(true);
    const prompt = Math.max(...accepted.map((q) => q.tokens));
    const answers = Math.max(...rows.map((row) => row.usage!.completion_tokens));
    expect(answers).toBeLessThan(16); // short answers: the server's charge (prompt + 16) is ~10 % of the guess's

    // Admissions once the limits are known and the slots queued before that (charged nothing for
    // tokens, as the limit was not known yet) have left: 64 slots at 20/s, 3.2 s after the first answer.
    const firstAnswer = Math.min(...rows.map((row) => Date.parse(row.finished_at!)));
    const admitted = rows.map((row) => Date.parse(row.started_at!)).filter((t) => t > firstAnswer + 4000);
    const densest = maxInWindow(admitted, 1000);
    // The 256-token guess: (3000 × 98 % − one request held back) / (prompt + 256) a second at most.
    const guessCeiling = Math.floor((TOKENS * 0.98 - (prompt + 256)) / (prompt + 256));
    console.log(
      `[rate] R10: ${server.requests.length} requests, ${rows.length} rows, densest second ${densest} sent from 4 s after the first answer` +
        ` (limit ${REQUESTS}, the 256 guess allowed ${guessCeiling}), ${server.requests.filter((q) => q.status === 429).length} × 429`,
    );
    expect(densest).toBeLessThanOrEqual(REQUESTS);
    expect(densest).toBeGreaterThan(guessCeiling + 2);
    // What the server charged each accepted request, in every sliding second of the CLI's clock.
    const byRow = rows.map((row) => {
      const q = accepted.find((x) => x.prompt === row.prompt)!;
      return { t: Date.parse(row.started_at!), tokens: charged(q) };
    });
    expect(maxTokensInWindow(byRow, 1000)).toBeLessThanOrEqual(TOKENS);
  });
});

/** The largest sum of tokens inside any half-open sliding window (t - w, t]. */
function maxTokensInWindow(items: ReadonlyArray<{ t: number; tokens: number }>, windowMs: number): number {
  const sorted = [...items].sort((a, b) => a.t - b.t);
  let best = 0;
  let sum = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    sum += sorted[hi]!.tokens;
    while (sorted[lo]!.t <= sorted[hi]!.t - windowMs) sum -= sorted[lo++]!.tokens;
    best = Math.max(best, sum);
  }
  return best;
}
