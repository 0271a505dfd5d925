import { describe, expect, it } from 'vitest';
import { answerPrice, askedModel } from '../../src/budget/answer-price.js';
import { createPriceLookup } from '../../src/budget/prices.js';
import { PRICES } from '../../src/pricing.js';

const given = { input: 10, output: 30 };

describe('answerPrice', () => {
  it.each([
    [
      'a --prices entry for the model asked for beats the table entry of the reported snapshot',
      { file: new Map([['my-deploy', given]]) },
      'my-deploy',
      'gpt-4o-mini-2024-07-18',
      given,
      'my-deploy',
    ],
    ['--price prices every answer as the model asked for', { price: given }, 'my-deploy', 'azure-private-7', given, 'my-deploy'],
    ['a --prices entry for the reported name, when the asked one has none', { file: new Map([['served', given]]) }, 'alias', 'served', given, 'served'],
    ['without given prices, the table by the reported snapshot', {}, 'gpt-4o', 'gpt-4o-2024-05-13', PRICES['gpt-4o-2024-05-13'], 'gpt-4o-2024-05-13'],
    ['the table by the model asked for when the reported name is unknown', {}, 'gpt-4o-mini', 'azure-private-7', PRICES['gpt-4o-mini'], 'gpt-4o-mini'],
  ])('%s', (_name, options, asked, reported, price, pricedAs) => {
    expect(answerPrice(createPriceLookup(options), asked, reported)).toEqual({
      price: expect.objectContaining({ input: price!.input, output: price!.output }),
      pricedAs,
    });
  });

  it('is undefined when no name has a price, and tolerates missing names', () => {
    expect(answerPrice(createPriceLookup({}), 'llama3', 'llama3:8b')).toBeUndefined();
    expect(answerPrice(createPriceLookup({}), null, undefined)).toBeUndefined();
    expect(answerPrice(createPriceLookup({}), null, 'gpt-4o-2024-08-06')?.pricedAs).toBe('gpt-4o');
  });
});

describe('askedModel', () => {
  const table = createPriceLookup({});
  it.each([
    ['its own requested_model', 'b', 'o1', 'a', 'b'],
    ["a row's own model, answered under its name", null, 'o1', 'gpt-4o-mini', 'o1'],
    ["a row's own model, answered as a snapshot", null, 'o1-2024-12-17', 'gpt-4o-mini', 'o1-2024-12-17'],
    ["a snapshot of the run's model", null, 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini', 'gpt-4o-mini'],
    ['a deployment answering as the model behind it', null, 'gpt-4o-mini-2024-07-18', 'my-deploy', 'my-deploy'],
    ['an alias answering as a model with no price', null, 'llama-3-8b', 'gpt-4o-mini', 'gpt-4o-mini'],
    ['no reported name', null, null, 'gpt-4o-mini', 'gpt-4o-mini'],
  ])('%s', (_name, requested, reported, runModel, asked) => {
    expect(askedModel(table, requested, reported, runModel)).toBe(asked);
  });
});
