/**
 * A server that announces a token limit makes every request priced in tokens. While the request
 * limit lets out no request large enough for the token pace to matter (OpenAI's higher tiers), a
 * request is priced by an upper bound, and the tokenizer (~0.2 s of CPU to load) is not loaded.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Complete } from '../../src/provider/completion.js';
import { runBatch } from '../../src/engine/run-batch.js';
import type { HeaderSource, ResultRow } from '../../src/types.js';
import { asyncFrom as from, promptRecord as rec } from '../helpers/collect.js';

const tokenizer = vi.hoisted(() => ({ loads: 0 }));
vi.mock('../../src/schedule/estimate-tokens.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/schedule/estimate-tokens.js')>();
  return {
    ...actual,
    requestTokenEstimator: () => {
      tokenizer.loads++;
      return actual.requestTokenEstimator();
    },
  };
});

beforeEach(() => {
  tokenizer.loads = 0;
});

/** Answers every request with the limits a server announces in its headers. */
function announcing(requestsPerMinute: number, tokensPerMinute: number): Complete {
  const values: Record<string, string> = {
    'x-ratelimit-limit-requests': String(requestsPerMinute),
    'x-ratelimit-remaining-requests': String(requestsPerMinute - 1),
    'x-ratelimit-reset-requests': '2ms',
    'x-ratelimit-limit-tokens': String(tokensPerMinute),
    'x-ratelimit-remaining-tokens': String(tokensPerMinute - 100),
    'x-ratelimit-reset-tokens': '1ms',
  };
  const headers: HeaderSource = { get: (name) => values[name.toLowerCase()] ?? null };
  return async () => ({ text: 'ok', finishReason: 'stop', usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 }, model: null, headers });
}

async function run(complete: Complete, prompts: string[]): Promise<ResultRow[]> {
  const records = prompts.map((prompt, i) => rec(i, { prompt, messages: [{ role: 'user', content: prompt }] }));
  const rows: ResultRow[] = [];
  for await (const row of runBatch(from(records), { complete, model: 'm', concurrency: 1, order: 'input', random: () => 0 })) rows.push(row);
  return rows;
}

describe('prompt tokens priced without the tokenizer', () => {
  it('30,000 requests and 150M tokens a minute: short prompts are priced by a bound, the tokenizer stays unloaded', async () => {
    const rows = await run(
      announcing(30_000, 150_000_000),
      Array.from({ length: 20 }, (_, i) => `prompt ${i}`),
    );
    expect(rows.map((r) => r.error?.type ?? 'ok')).toEqual(Array(20).fill('ok'));
    expect(tokenizer.loads).toBe(0);
  });

  it('the same limits and a prompt larger than its share of them: counted exactly, and sent', async () => {
    const rows = await run(announcing(30_000, 150_000_000), ['short', 'short again', 'word '.repeat(1000)]);
    expect(rows.map((r) => r.error?.type ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
    expect(tokenizer.loads).toBe(1);
  });

  it('6,000 requests and 200,000 tokens a minute (33 tokens a request): counted exactly', async () => {
    const rows = await run(announcing(6_000, 200_000), ['a', 'b', 'c']);
    expect(rows.map((r) => r.error?.type ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
    expect(tokenizer.loads).toBe(1);
  });
});
