import { describe, expect, it } from 'vitest';
import { toUsage } from '../../src/provider/to-usage.js';

describe('toUsage', () => {
  it('keeps whole counts, digits sent as strings included, and cached tokens above 0', () => {
    expect(toUsage({ prompt_tokens: 12, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 4 } })).toEqual({
      prompt_tokens: 12,
      completion_tokens: 7,
      cached_tokens: 4,
    });
    expect(toUsage({ prompt_tokens: '12', completion_tokens: '0', prompt_tokens_details: { cached_tokens: 0 } })).toEqual({
      prompt_tokens: 12,
      completion_tokens: 0,
    });
  });

  it('a count that is no whole number 0 or more makes the usage unknown, never NaN', () => {
    for (const bad of [null, undefined, 'many', -3, 1.5, Number.NaN, Number.POSITIVE_INFINITY, {}]) {
      expect(toUsage({ prompt_tokens: bad, completion_tokens: 3 })).toBeNull();
      expect(toUsage({ prompt_tokens: 3, completion_tokens: bad })).toBeNull();
    }
  });

  it('a cached count that is no number is left out, the rest kept', () => {
    expect(toUsage({ prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 'x' } })).toEqual({
      prompt_tokens: 5,
      completion_tokens: 2,
    });
  });
});

describe('toUsage: reasoning tokens', () => {
  it("OpenAI's shape: reasoning inside completion_tokens, total = prompt + completion", () => {
    const openai = { prompt_tokens: 10, completion_tokens: 500, total_tokens: 510, completion_tokens_details: { reasoning_tokens: 450 } };
    expect(toUsage(openai)).toEqual({ prompt_tokens: 10, completion_tokens: 500 });
  });

  it("xAI's shape: reasoning apart, total = prompt + completion + reasoning; counted as completion", () => {
    const xai = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 465, completion_tokens_details: { reasoning_tokens: 450 } };
    expect(toUsage(xai)).toEqual({ prompt_tokens: 10, completion_tokens: 455 });
  });

  it('any excess of total_tokens is taken as output; a smaller or odd total changes nothing', () => {
    expect(toUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 100 })).toEqual({ prompt_tokens: 10, completion_tokens: 90 });
    expect(toUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 12 })).toEqual({ prompt_tokens: 10, completion_tokens: 5 });
    expect(toUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 'lots' })).toEqual({ prompt_tokens: 10, completion_tokens: 5 });
  });
});
