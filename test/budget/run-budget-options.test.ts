/**
 * createRunBudget checks a library caller's options when it is called: `prices` left out or given
 * as a plain `{ model: price }` object crashed mid-run inside runBatch ("TypeError: options.prices
 * is not a function"), and a cap of 0, below or NaN was taken. Now a UsageError naming the option.
 */
import { describe, expect, it } from 'vitest';
import { createPriceLookup, createRunBudget, UsageError } from '../../src/index.js';

function refusal(options: unknown): UsageError {
  try {
    createRunBudget(options as Parameters<typeof createRunBudget>[0]);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('not refused');
}

describe('createRunBudget: its options', () => {
  it.each([
    [undefined, 'got undefined'],
    [{ 'gpt-4o-mini': { input: 0.15, output: 0.6 } }, 'got object'],
  ])('prices %j is refused, naming createPriceLookup', (prices, got) => {
    const err = refusal({ capUsd: 1, prices });
    expect(err.message).toMatch(new RegExp(`^createRunBudget: prices must be a function from a model name to its price, ${got}: use createPriceLookup`));
    expect(err.exitCode).toBe(2);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5', undefined])('capUsd %j is refused', (capUsd) => {
    expect(refusal({ capUsd, prices: createPriceLookup({}) }).message).toMatch(/^createRunBudget: capUsd must be a number of USD greater than 0, got /);
  });

  it('a lookup from createPriceLookup is taken, with its own prices or the built-in table', () => {
    expect(createRunBudget({ capUsd: 1, prices: createPriceLookup({}) }).capUsd).toBe(1);
    const own = createPriceLookup({ file: new Map([['my-model', { input: 1, output: 2 }]]) });
    expect(own('my-model')).toEqual({ input: 1, output: 2 });
    expect(createRunBudget({ capUsd: 0.5, prices: own }).capUsd).toBe(0.5);
  });
});
