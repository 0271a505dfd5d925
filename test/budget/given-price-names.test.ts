import { describe, expect, it } from 'vitest';
import { answerPrice } from '../../src/budget/answer-price.js';
import { createPriceLookup } from '../../src/budget/prices.js';
import { PRICES } from '../../src/pricing.js';

const mine = { input: 1, output: 4 };
const file = (entries: Record<string, typeof mine>) => createPriceLookup({ file: new Map(Object.entries(entries)) });

describe('--prices entries by the names the table is searched by', () => {
  it.each([
    ['a dated snapshot', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
    ['an openai/ routing prefix', 'gpt-4o', 'openai/gpt-4o'],
    ['both, in any case', 'gpt-4o', 'OpenAI/GPT-4o-2024-08-06'],
  ])('%s is priced by the entry', (_name, entry, model) => {
    const prices = file({ [entry]: mine });
    expect(prices(model)).toEqual(mine);
    expect(prices.given?.(model)).toEqual(mine);
    expect(answerPrice(prices, model, model)?.price).toEqual(mine);
  });

  it("a library caller's Map keyed in mixed case prices its model in any case, as the CLI's file does", () => {
    const prices = file({ 'Qwen/Qwen2.5-7B-Instruct': mine });
    expect(prices('Qwen/Qwen2.5-7B-Instruct')).toEqual(mine);
    expect(prices('qwen/qwen2.5-7b-instruct')).toEqual(mine);
  });

  it.each([
    ['a NaN input', { price: { input: Number.NaN, output: 1 } }, /^price: input must be a number >= 0 \(USD per million tokens\), got NaN$/],
    ['a negative output', { price: { input: 1, output: -1 } }, /^price: output must be a number >= 0 .*got -1$/],
    [
      'a string in a file entry',
      { file: new Map([['m', { input: '1' as unknown as number, output: 1 }]]) },
      /^file's "m": input must be a number >= 0 .*got "1"$/,
    ],
    ['a file entry without output', { file: new Map([['m', { input: 1 } as typeof mine]]) }, /^file's "m": output must be a number >= 0 .*got none$/],
  ])('refuses %s: a price that is no number >= 0 switched --max-cost off', (_name, options, message) => {
    expect(() => createPriceLookup(options)).toThrow(message);
  });

  it("an entry for the exact name wins, and the table's own entry for a snapshot beats a family entry", () => {
    expect(file({ 'gpt-4o-mini': mine, 'gpt-4o-mini-2024-07-18': { input: 2, output: 8 } })('gpt-4o-mini-2024-07-18')).toEqual({ input: 2, output: 8 });
    expect(file({ 'gpt-4o': mine })('gpt-4o-2024-05-13')).toMatchObject({ input: PRICES['gpt-4o-2024-05-13']!.input });
  });

  it('tells the entries that priced nothing and the models the table priced instead', () => {
    const prices = file({ gpt4o: mine, 'my-llama': mine });
    prices('my-llama');
    prices('gpt-4o-2024-08-06');
    prices('llama-unknown');
    expect(prices.missed?.()).toEqual({ entries: ['gpt4o'], models: ['gpt-4o-2024-08-06'], pricedAs: 'table' });
    expect(createPriceLookup({ price: mine }).missed).toBeUndefined();
  });
});

describe('--price beside a --prices file', () => {
  it("the file prices the models it names, --price every other (it silently replaced the whole file); the file's unused entries are still said", () => {
    const flat = { input: 1, output: 1 };
    const prices = createPriceLookup({ price: flat, file: new Map(Object.entries({ 'gpt-4o': mine, 'my-typo': mine })) });
    expect(prices('gpt-4o')).toEqual(mine);
    expect(prices.given?.('gpt-4o-2024-08-06')).toEqual(mine);
    expect(prices('gpt-4o-mini')).toEqual(flat);
    expect(prices('llama3')).toEqual(flat);
    expect(prices.missed?.()).toEqual({ entries: ['my-typo'], models: ['gpt-4o-mini', 'llama3'], pricedAs: '--price' });
  });
});
