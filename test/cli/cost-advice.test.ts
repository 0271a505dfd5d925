import { describe, expect, it } from 'vitest';
import { overrunAdvice, worstCaseAdvice } from '../../src/cli/cost-advice.js';

describe('worstCaseAdvice', () => {
  it.each([
    [{ worstUsd: 0.002, maxTokens: 100 }, /^its worst case is \$0\.0020 \(its prompt plus 100 answer tokens\)$/],
    [
      { worstUsd: 0.002, maxTokens: 100, predictionTokens: 3800 },
      /^its worst case is \$0\.0020 \(its prompt plus 100 answer tokens, plus up to 3,800 predicted tokens billed as answer tokens when unused\)$/,
    ],
  ])('names what the worst case assumed: %o', (request, message) => {
    expect(worstCaseAdvice(request, 1, 100)).toMatch(message);
  });

  it.each([
    ['the flag', 100, 100, /plus 100 answer tokens\), more than the whole cap: give a lower --max-tokens or/],
    ['the default', 4096, undefined, /the limit --max-cost sets when --max-tokens is not given\), more than the whole cap: give a lower --max-tokens or/],
    [
      "the row's own",
      100000,
      100,
      /plus 100,000 answer tokens, the row's own max_tokens\), more than the whole cap: give a lower max_tokens in the row \(it wins over --max-tokens\) or/,
    ],
    ["the row's own, no flag", 100000, undefined, /the row's own max_tokens\), more than the whole cap: give a lower max_tokens in the row/],
  ])('over the whole cap, names what to lower: %s limit', (_, maxTokens, flag, message) => {
    expect(worstCaseAdvice({ worstUsd: 2, maxTokens }, 1, flag)).toMatch(message);
  });
});

describe('overrunAdvice', () => {
  it.each([
    [{ answers: 1, usd: 2.9512 }, 'usage exceeded what was reserved by $2.96 (1 answer billed beyond its worst case: '],
    [{ answers: 1200, usd: 0.000012 }, 'usage exceeded what was reserved by $0.000012 (1,200 answers billed beyond their worst case: '],
  ])('one line for the run, however many answers: %o', (overrun, start) => {
    expect(overrunAdvice(overrun).startsWith(start)).toBe(true);
  });
});
