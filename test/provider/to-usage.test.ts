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
