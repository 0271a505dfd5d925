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
});

describe('overrunAdvice', () => {
  it.each([
    [{ answers: 1, usd: 2.9512 }, 'usage exceeded what was reserved by $2.96 (1 answer billed beyond its worst case: '],
    [{ answers: 1200, usd: 0.000012 }, 'usage exceeded what was reserved by $0.000012 (1,200 answers billed beyond their worst case: '],
  ])('one line for the run, however many answers: %o', (overrun, start) => {
    expect(overrunAdvice(overrun).startsWith(start)).toBe(true);
  });
});
