/**
 * An image part's worst case under --max-cost, by model, from OpenAI's vision guide: tile models bill
 * the base alone at detail low and at most 8 tiles more at high or auto; patch models at most 1,536
 * patches times their multiplier. A model with no known rule has no bound: the budget reserves an
 * allowance and says so.
 */
import { describe, expect, it } from 'vitest';
import { imageTokenBound } from '../../src/budget/image-tokens.js';
import { mediaTally, mediaTokens, promptTokenBound, requestTokenBound, UNBOUNDED_MEDIA_PART } from '../../src/budget/worst-case.js';
import { lineWorstCase } from '../../src/batch/line-budget.js';
import { requestTokenEstimator } from '../../src/schedule/estimate-tokens.js';
import type { ChatMessage } from '../../src/types.js';

const image = (detail?: unknown) => ({ type: 'image_url', image_url: { url: 'https://example.com/p.jpg', ...(detail === undefined ? {} : { detail }) } });

describe('imageTokenBound', () => {
  it.each([
    // 2,833 + 8 × 5,667: the explorer's server billed 2,833 + 4 × 5,667 = 25,501 for one image.
    ['gpt-4o-mini', 'high', 48_169],
    ['gpt-4o-mini', 'auto', 48_169],
    ['gpt-4o-mini', undefined, 48_169],
    ['gpt-4o-mini', 'low', 2833],
    ['gpt-4o-mini-2024-07-18', 'high', 48_169],
    ['gpt-4o', 'high', 85 + 8 * 170],
    ['gpt-4o', 'low', 85],
    ['openai/gpt-4o-2024-08-06', 'low', 85],
    ['gpt-4.1', 'high', 1445],
    ['gpt-5', 'high', 70 + 8 * 140],
    ['o3', 'low', 75],
    // Patch models: 1,536 patches at most, whatever the detail.
    ['gpt-4.1-mini', 'low', 2489],
    ['gpt-4.1-nano', 'high', 3779],
    ['o4-mini', 'high', 2642],
  ])('%s at detail %s: %i tokens', (model, detail, tokens) => {
    expect(imageTokenBound(model, image(detail))).toBe(tokens);
  });

  it.each([
    ['a model with no known vision rule', 'my-vlm', 'high'],
    ['no model', undefined, 'high'],
    ['a detail the guide does not describe', 'gpt-4o', 'ultra'],
    // Own entries only, as prices.
    ['an Object.prototype name', 'constructor', 'low'],
  ])('none for %s', (_, model, detail) => {
    expect(imageTokenBound(model, image(detail))).toBeUndefined();
  });
});

describe("a prompt's bound with images", () => {
  const messages: ChatMessage[] = [
    {
      role: 'user',
      content: [{ type: 'text', text: 'Describe it' }, image('high'), image('low')] as unknown as ChatMessage['content'],
    },
  ];
  const text = promptTokenBound([{ role: 'user', content: [{ type: 'text', text: 'Describe it' }] as unknown as ChatMessage['content'] }]);

  it("counts each image at its model's worst case, and tallies none unbounded", () => {
    const tally = mediaTally();
    expect(promptTokenBound(messages, 'gpt-4o-mini', tally)).toBe(text + 48_169 + 2833);
    expect(tally).toEqual({ bounded: 2, unbounded: 0 });
  });

  it('reserves the allowance for a model with no known rule, and tallies it with its kind', () => {
    const tally = mediaTally();
    expect(requestTokenBound({ model: 'my-vlm', messages }, tally)).toBe(text + 2 * UNBOUNDED_MEDIA_PART);
    expect(tally).toEqual({ bounded: 0, unbounded: 2, kind: 'image_url' });
  });

  it("a Batch line's worst case counts its images for its model", () => {
    const price = { input: 1, output: 1 };
    const body = { model: 'gpt-4o-mini', messages, max_tokens: 10 };
    // $1 per million tokens, halved: picodollars are 500,000 a token.
    expect(lineWorstCase(() => price, body)).toBe((text + 48_169 + 2833 + 10) * 500_000);
  });

  it('the token estimate (--dry-run, --tpm) counts images at their worst case, not their URL as text, and leaves out what it cannot bound', () => {
    const estimate = requestTokenEstimator();
    const textOnly = estimate({ messages });
    const dataUrl: ChatMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Describe it' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(200_000)}` } },
        ] as unknown as ChatMessage['content'],
      },
    ];
    // 200 kB of base64 is no 50,000 prompt tokens: the image's size, not its text, is billed.
    expect(estimate({ messages: dataUrl })).toBe(textOnly);
    // The images, for the model, as the engine's --tpm estimate and --dry-run add them.
    expect(mediaTokens(messages, 'gpt-4o-mini', undefined, 0)).toBe(48_169 + 2833);
    const tally = mediaTally();
    expect(mediaTokens(messages, 'my-vlm', tally, 0)).toBe(0);
    expect(tally.unbounded).toBe(2);
  });
});
