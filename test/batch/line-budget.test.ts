import { describe, expect, it } from 'vitest';
import { LineBudget, lineWorstCase } from '../../src/batch/line-budget.js';
import { billedPico, createPriceLookup } from '../../src/budget/prices.js';
import { createRunBudget } from '../../src/budget/run-budget.js';
import { toPico } from '../../src/budget/spend-cap.js';

/** $1,000 per million tokens both ways: a token costs $0.001, $0.0005 in a batch. */
const prices = createPriceLookup({ price: { input: 1000, output: 1000 } });
const body = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'm', messages: [{ role: 'user', content }], max_tokens: 10, ...extra });

describe('LineBudget (--max-cost for Batch API lines)', () => {
  it("reserves each line's worst case at half the list price, and once one does not fit holds back every line after it", () => {
    // 16 + 8 + 4 ("user") + 2 ("q1") prompt tokens + 10 answer tokens = 40 tokens, $0.02 in a batch.
    expect(lineWorstCase(prices, body('q1'))).toBe(toPico(0.02));
    const budget = new LineBudget({ capUsd: 0.05, prices }, 0);
    expect(budget.admit(body('q1'))).toBe(toPico(0.02));
    expect(budget.admit(body('q2'))).toBe(toPico(0.02));
    expect(budget.admit(body('q3'))).toBeUndefined();
    // A smaller line after it is held back too: the input order is what a resume continues in.
    expect(budget.admit(body(''))).toBeUndefined();
  });

  it('counts what earlier batches of the output spent', () => {
    expect(new LineBudget({ capUsd: 0.05, prices }, toPico(0.02)).admit(body('q1'))).toBe(toPico(0.02));
    const spent = new LineBudget({ capUsd: 0.05, prices }, toPico(0.04));
    expect(spent.admit(body('q1'))).toBeUndefined();
    expect(new LineBudget({ capUsd: 0.05, prices }, toPico(0.06)).admit(body(''))).toBeUndefined();
  });

  it('a structured line reserves its schema as prompt too (live and batch alike)', () => {
    const format = { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } } } } };
    const bytes = Buffer.byteLength(JSON.stringify(format));
    expect(lineWorstCase(prices, body('q1', { response_format: format }))).toBe(toPico(0.02 + bytes * 0.0005));
    const live = createRunBudget({ capUsd: 0.04 + bytes * 0.001 - 0.0001, prices });
    return expect(
      live.admit({ model: 'm', messages: body('q1').messages, max_tokens: 10, response_format: format }, new AbortController().signal),
    ).resolves.toMatchObject({ kind: 'full' });
  });

  it("reserves a line's prediction as answer tokens too (unused predicted tokens are billed), as live", () => {
    // 40 tokens as above, plus the prediction's 12 bytes at the answer price: 52 tokens, $0.026 in a batch.
    const prediction = { type: 'content', content: 'predicted 12' };
    expect(lineWorstCase(prices, body('q1', { prediction }))).toBe(toPico(0.026));
    const parts = { type: 'content', content: [{ type: 'text', text: 'predicted 12' }] };
    expect(lineWorstCase(prices, body('q1', { prediction: parts }))).toBe(toPico(0.026));
    const budget = new LineBudget({ capUsd: 0.045, prices }, 0);
    expect(budget.admit(body('q1', { prediction }))).toBe(toPico(0.026));
    expect(budget.admit(body('q2', { prediction }))).toBeUndefined();
  });

  it('bills a collected answer at the Batch price, half the live one', () => {
    expect(billedPico(prices('m')!, { prompt_tokens: 10, completion_tokens: 4 }, true)).toBe(toPico(0.007));
  });
});
