/**
 * A request that needs more tokens than a minute allows is refused unsent (an `input` row): judged
 * by the limit of the model it goes to, as OpenAI's and Groq's limits and headers are per model.
 */
import { describe, expect, it } from 'vitest';
import { AttemptError, type Complete } from '../../src/provider/completion.js';
import { createRunBudget } from '../../src/budget/run-budget.js';
import { createStats } from '../../src/engine/stats.js';
import { runBatch, type BatchOutcome } from '../../src/engine/run-batch.js';
import type { BatchOptions } from '../../src/engine/batch-options.js';
import type { PromptRecord, ResultRow } from '../../src/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { asyncFrom as from, promptRecord as rec } from '../helpers/collect.js';

/** Runs the batch on virtual time (pacing waits of a minute take none) and returns its rows. */
async function runOnFakeClock(records: PromptRecord[], options: Omit<BatchOptions, 'clock'>): Promise<ResultRow[]> {
  // The engine imports its token estimator on the first request, in real time: loaded here first, or
  // the loop below could spend all its virtual minutes before the import came back (it did in CI,
  // under load: the test then waited for its 60 s timeout).
  await import('../../src/schedule/estimate-tokens.js');
  const clock = new FakeClock();
  const gen = runBatch(from(records), { random: () => 0, ...options, clock });
  const rows: ResultRow[] = [];
  let done: BatchOutcome | undefined;
  const drained = (async () => {
    for (;;) {
      const step = await gen.next();
      if (step.done) return (done = step.value);
      rows.push(step.value);
    }
  })();
  // Each virtual second also lets real I/O callbacks run (setImmediate), whatever else is pending.
  for (let i = 0; i < 20_000 && done === undefined; i++) {
    await clock.advance(1000);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await drained;
  return rows;
}

describe('a request larger than a minute of tokens', () => {
  it("is judged by its own model's announced limit, and the line names the model when there are several", async () => {
    // "big" allows 2,000,000 tokens a minute, "small" 30,000: small's limit refused big's
    // 40,000-token requests unsent, permanently (a --resume sent nothing for them).
    const limits: Record<string, string> = { big: '2000000', small: '30000' };
    const sent: string[] = [];
    const complete: Complete = async (request) => {
      sent.push(`${request.model} ${String(request.messages[0]!.content)}`);
      const headers = new Headers({ 'x-ratelimit-limit-tokens': limits[request.model]!, 'x-ratelimit-limit-requests': '10000' });
      return { text: 'ok', finishReason: 'stop', usage: null, model: request.model, headers };
    };
    const records = [0, 1, 2].flatMap((i) => ['big', 'small'].map((model) => rec(i, { params: { model }, sample: 0 })));
    const rows = await runOnFakeClock(records, { complete, model: 'big', maxTokens: 40_000, concurrency: 1, order: 'input' });
    expect(rows.map((r) => `${r.requested_model} ${r.error?.type ?? 'ok'}`)).toEqual([
      'big ok',
      'small ok', // sent before small's limit was known
      'big ok',
      'small input',
      'big ok',
      'small input',
    ]);
    expect(rows[3]!.error!.message).toMatch(
      /^prompts\.txt:2: never sent to small: its prompt and max_tokens 40000 need about 400\d\d tokens, more than the server's limit of 30000 tokens a minute/,
    );
    expect(sent).toEqual(['big p0', 'small p0', 'big p1', 'big p2']);
  });

  // README's row table: `attempts` is the requests sent ("0 for an input error"), and the times are
  // "null when nothing was sent"; refused rows said 1 and carried an instant, --summary-json 0 requests.
  it.each([
    ['above --tpm', { tpm: 6000 }],
    ['of a model with no price under --max-cost', { budget: createRunBudget({ capUsd: 1, prices: () => undefined }) }],
  ] as const)('refused unsent (%s): attempts 0, no times, no request counted', async (_, extra) => {
    let sent = 0;
    const complete: Complete = async () => {
      sent++;
      return { text: 'ok', finishReason: 'stop', usage: null, model: null, headers: null };
    };
    const stats = createStats();
    const big = rec(0, { prompt: 'word '.repeat(8000), messages: [{ role: 'user', content: 'word '.repeat(8000) }] });
    const rows = await runOnFakeClock([big], { complete, model: 'm', maxTokens: 5, stats, ...extra });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ error: { type: 'input' }, attempts: 0, started_at: null, finished_at: null, latency_ms: null });
    expect(sent).toBe(0);
    expect(stats.requests).toBe(0);
  });

  it('after a 429 "Request too large" announced the limit: attempts 1, the sent attempt\'s times, "not sent again"', async () => {
    let sent = 0;
    const complete: Complete = async () => {
      sent++;
      throw new AttemptError('rate_limit', 'HTTP 429: Request too large for gpt-4o on tokens per min (TPM): Limit 6000, Requested 8012.', {
        status: 429,
        headers: new Headers({ 'x-ratelimit-limit-tokens': '6000', 'retry-after-ms': '10' }),
      });
    };
    const stats = createStats();
    const big = rec(0, { prompt: 'word '.repeat(8000), messages: [{ role: 'user', content: 'word '.repeat(8000) }] });
    const rows = await runOnFakeClock([big], { complete, model: 'm', maxTokens: 5, stats });
    expect(sent).toBe(1);
    expect(stats.requests).toBe(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ error: { type: 'input' }, attempts: 1 });
    expect(row.error!.message).toMatch(
      /^prompts\.txt:1: not sent again: its prompt and max_tokens 5 need about \d+ tokens, more than the server's limit of 6000 tokens a minute/,
    );
    expect(row.started_at).not.toBeNull();
    expect(row.finished_at! >= row.started_at!).toBe(true);
  });

  it('after a "Request too large" with no headers, counted above the limit by the server alone: its row at once, in the server\'s count', async () => {
    // The estimate (a short prompt) is within the limit, as an image's or another tokenizer's count
    // may be: the server's own words settle it. Before, it was retried 4 times and typed rate_limit.
    let sent = 0;
    const complete: Complete = async () => {
      sent++;
      throw new AttemptError(
        'rate_limit',
        'HTTP 429: Request too large for gpt-4o-mini in organization org-1 on tokens per min (TPM): Limit 6000, Requested 8012. The input or output tokens must be reduced in order to run successfully.',
        { status: 429, headers: new Headers({ 'retry-after-ms': '10' }) },
      );
    };
    const rows = await runOnFakeClock([rec(0)], { complete, model: 'm', maxTokens: 5 });
    expect(sent).toBe(1);
    expect(rows[0]).toMatchObject({ error: { type: 'input' }, attempts: 1 });
    expect(rows[0]!.error!.message).toMatch(
      /^prompts\.txt:1: not sent again: its prompt and max_tokens 5 need about 8012 tokens, more than the server's limit of 6000 tokens a minute allows/,
    );
  });
});
