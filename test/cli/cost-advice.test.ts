import { describe, expect, it } from 'vitest';
import { worstCaseAdvice } from '../../src/cli/cost-advice.js';

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
