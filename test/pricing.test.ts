import { describe, expect, it } from 'vitest';
import { billedUsd, createPriceLookup } from '../src/budget/prices.js';
import { PRICES, PRICES_AS_OF, priceFor } from '../src/pricing.js';

/** The table's price as runs look it up (no --price, no --prices). */
const tablePrice = createPriceLookup({});

describe('pricing table', () => {
  it('is dated and covers the common OpenAI models', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'o3-mini', 'gpt-3.5-turbo']) {
      expect(PRICES[model], model).toBeDefined();
    }
    for (const price of Object.values(PRICES)) {
      expect(price.input).toBeGreaterThan(0);
      expect(price.output).toBeGreaterThanOrEqual(price.input);
    }
  });

  it.each([
    ['gpt-4o-mini', 'gpt-4o-mini'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-2024-05-13', 'gpt-4o-2024-05-13'],
    ['GPT-4.1-Nano', 'gpt-4.1-nano'],
    ['gpt-4.1-2025-04-14', 'gpt-4.1'],
    ['openai/gpt-4o-mini', 'gpt-4o-mini'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['gpt-3.5-turbo-0125', 'gpt-3.5-turbo-0125'],
  ])('prices %s as %s', (model, priced) => {
    expect(priceFor(model)?.priced).toBe(priced);
  });

  it.each([
    'llama3.2',
    'mock-model',
    'gpt-4o-audio-preview',
    'gpt-4o-realtime-preview-2024-12-17',
    'ft:gpt-4o-mini-2024-07-18:acme::abc123',
    'gpt-4o-mini-tts',
    '',
    'gpt',
    'my-gpt-4o',
    // Object.prototype's own names: found there, they priced a run NaN and --max-cost admitted all.
    'constructor',
    '__proto__',
    'openai/constructor',
    'constructor-2024-01-01',
  ])('knows no price for %j', (model) => {
    expect(priceFor(model)).toBeUndefined();
    expect(tablePrice(model)).toBeUndefined();
  });

  it('the first gpt-4o snapshot keeps its own (higher) price', () => {
    expect(priceFor('gpt-4o-2024-05-13')!.price.input).toBeGreaterThan(priceFor('gpt-4o-2024-08-06')!.price.input);
  });

  it('costs input and output tokens at their own rates, per million', () => {
    const { input, output, cachedInput } = PRICES['gpt-4o-mini']!;
    const cost = (model: string, prompt_tokens: number, completion_tokens: number, cached_tokens?: number) =>
      billedUsd(tablePrice(model)!, { prompt_tokens, completion_tokens, ...(cached_tokens !== undefined ? { cached_tokens } : {}) });
    expect(cost('gpt-4o-mini', 1_000_000, 0)).toBeCloseTo(input, 10);
    expect(cost('gpt-4o-mini', 0, 1_000_000)).toBeCloseTo(output, 10);
    expect(cost('gpt-4o-mini-2024-07-18', 2000, 500)).toBeCloseTo((2000 * input + 500 * output) / 1e6, 12);
    expect(cost('gpt-4o', 0, 0)).toBe(0);
    // Cached prompt tokens at the table's cached price.
    expect(cost('gpt-4o-mini', 1_000_000, 0, 400_000)).toBeCloseTo((600_000 * input + 400_000 * cachedInput!) / 1e6, 10);
  });
});
