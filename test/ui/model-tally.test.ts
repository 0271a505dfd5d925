import { describe, expect, it } from 'vitest';
import { ModelTally } from '../../src/ui/model-tally.js';
import type { ResultRow } from '../../src/types.js';
import { createPriceLookup } from '../../src/budget/prices.js';
import { costOf, UsageTally } from '../../src/ui/summary.js';

const row = (model: string, extra: Partial<ResultRow> = {}): ResultRow => ({
  id: 'x',
  line: 1,
  prompt: 'p',
  response: 'r',
  error: null,
  attempts: 1,
  latency_ms: 1,
  model,
  finish_reason: 'stop',
  usage: { prompt_tokens: 1000, completion_tokens: 1000 },
  requested_model: model,
  sample: 0,
  ...extra,
});

describe('ModelTally', () => {
  it('lists models in the order of -m whatever order rows arrive in; cached answers cost nothing', () => {
    const tally = new ModelTally('gpt-4o-mini', ['gpt-4o-mini', 'gpt-4.1']);
    tally.add(row('gpt-4.1'));
    tally.add(row('gpt-4o-mini', { cached: true }));
    tally.add(row('gpt-4o-mini', { error: { type: 'http', message: 'x' }, response: null, usage: null }));
    expect(tally.figures()).toEqual([
      { model: 'gpt-4o-mini', ok: 1, failed: 1, fromCache: 1, promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0, estimatedUsd: 0 },
      { model: 'gpt-4.1', ok: 1, failed: 0, fromCache: 0, promptTokens: 1000, completionTokens: 1000, cachedPromptTokens: 0, estimatedUsd: 0.01 },
    ]);
    expect(tally.lines()[1]).toBe('gpt-4.1: 1 ok, 0 failed · 1,000 tokens in / 1,000 out · est. $0.0100');
  });

  it('uncount takes an unwritten row out of the counts and leaves its tokens, as uncountRow does', () => {
    const tally = new ModelTally('gpt-4.1', ['gpt-4.1']);
    tally.add(row('gpt-4.1'));
    tally.add(row('gpt-4.1'));
    tally.add(row('gpt-4.1', { error: { type: 'invalid_output', message: 'x' } }));
    tally.uncount(row('gpt-4.1'));
    tally.uncount(row('gpt-4.1', { error: { type: 'invalid_output', message: 'x' } }));
    expect(tally.figures()).toEqual([expect.objectContaining({ ok: 1, failed: 0, promptTokens: 3000, completionTokens: 3000 })]);
  });

  it("prices at the run's prices (--price), cached prompt tokens at their own price, as the budget does", () => {
    const tally = new ModelTally('my-llama', ['my-llama', 'gpt-4o-mini'], 1, createPriceLookup({ price: { input: 1000, output: 1000, cachedInput: 100 } }));
    const usage = { prompt_tokens: 1000, completion_tokens: 10, cached_tokens: 900 };
    tally.add(row('my-llama', { usage }));
    tally.add(row('gpt-4o-mini', { usage }));
    expect(tally.figures().map((f) => [f.model, f.estimatedUsd])).toEqual([
      ['my-llama', 0.2],
      ['gpt-4o-mini', 0.2],
    ]);
  });

  it("a line the input refused is no model's: not counted under the first model, as it was (4 bad lines: 1 ok, 4 failed)", () => {
    const tally = new ModelTally('gpt-4o-mini', ['gpt-4o-mini', 'gpt-4.1']);
    const refused = row('', {
      requested_model: undefined,
      sample: undefined,
      model: null,
      response: null,
      usage: null,
      error: { type: 'input', message: 'invalid JSON' },
    });
    tally.add(row('gpt-4o-mini'));
    tally.add(refused);
    tally.add(row('gpt-4.1'));
    expect(tally.figures().map((f) => [f.model, f.ok, f.failed])).toEqual([
      ['gpt-4o-mini', 1, 0],
      ['gpt-4.1', 1, 0],
    ]);
    // Nor taken back out of one (a row that could not be written).
    tally.uncount(refused);
    expect(tally.figures().map((f) => f.failed)).toEqual([0, 0]);
    // A failed request's row without a model asked (none of a matrix's) is still the run's model's.
    tally.add(row('', { requested_model: undefined, model: null, response: null, usage: null, error: { type: 'http', message: 'x' } }));
    expect(tally.figures()[0]).toMatchObject({ model: 'gpt-4o-mini', failed: 1 });
  });

  it('a model answered only from the cache says nothing was sent', () => {
    const tally = new ModelTally('gpt-4o-mini');
    tally.add(row('gpt-4o-mini', { cached: true }));
    expect(tally.lines()).toEqual(['gpt-4o-mini: 1 ok (1 from cache), 0 failed · nothing sent']);
  });

  it("prices each row at its own served model's price, as the summary's estimate does", () => {
    // An alias answering under two snapshots priced apart ($5/$15 and $2.50/$10 per 1M).
    const tally = new ModelTally('gpt-4o', ['gpt-4o', 'gpt-4o-mini']);
    tally.add(row('gpt-4o-2024-05-13', { requested_model: 'gpt-4o' }));
    tally.add(row('gpt-4o-2024-08-06', { requested_model: 'gpt-4o' }));
    tally.add(row('gpt-4o-2024-08-06', { requested_model: 'gpt-4o', usage: { prompt_tokens: 1000, completion_tokens: 0 }, cached: true }));
    const usage = new UsageTally('gpt-4o');
    usage.add(row('gpt-4o-2024-05-13', { requested_model: 'gpt-4o' }));
    usage.add(row('gpt-4o-2024-08-06', { requested_model: 'gpt-4o' }));
    const total = costOf({ promptTokens: 2000, completionTokens: 2000 }, 'gpt-4o', usage.byModel)!.usd;
    expect(total).toBeCloseTo(0.02 + 0.0125, 9);
    expect(tally.figures()[0]!.estimatedUsd).toBeCloseTo(total, 9);
  });
});
