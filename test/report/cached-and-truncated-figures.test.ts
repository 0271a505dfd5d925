/**
 * Figures of answers served from the response cache and of answers cut at the token limit, as the
 * run's summary counts them: a cache hit sends nothing, costs nothing, and its tokens were bought
 * by an earlier run; a cut answer may be ok or failed.
 */
import { describe, expect, it } from 'vitest';
import { buildComparisons } from '../../src/report/build-comparisons.js';
import { buildFigures } from '../../src/report/build-figures.js';
import { pricedRow } from '../helpers/report-rows.js';

const row = pricedRow;
// As the engine writes a cache hit: nothing sent, the usage of the answer when it was bought.
const hit = (i: number, extra: Record<string, unknown> = {}) =>
  row(i, { cached: true, attempts: 0, latency_ms: 0, started_at: null, finished_at: null, ...extra });

describe('answers from the response cache', () => {
  it('every row from the cache of a priced model: cost $0, not "no known price"', () => {
    const f = buildFigures([hit(0), hit(1)], 0);
    expect(f.cost).toMatchObject({ usd: 0, byModel: [{ model: 'gpt-4o', usd: 0 }] });
  });

  it('a cached answer of an unpriced model leaves the cost unknown', () => {
    expect(buildFigures([hit(0, { model: 'my-own-model' })], 0).cost).toBeNull();
  });

  it('counts the tokens sent, as the summary does, and the cached answers’ apart', () => {
    const f = buildFigures([row(0), hit(1), hit(2, { usage: { prompt_tokens: 7, completion_tokens: 3 } })], 0);
    expect([f.promptTokens, f.completionTokens]).toEqual([1000, 2000]);
    expect(f.cachedAnswerTokens).toEqual({ prompt: 1007, completion: 2003 });
    const [group] = buildComparisons([row(0), hit(1), hit(2, { model: 'gpt-4o-mini' })], null)[0]!.groups;
    expect(group).toMatchObject({ key: 'gpt-4o', promptTokens: 1000, completionTokens: 2000, meanCompletionTokens: 2000 });
  });
});

describe('answers cut at the token limit', () => {
  it('counts the cut answers that failed apart from the ok ones', () => {
    const f = buildFigures(
      [
        row(0, { finish_reason: 'length' }),
        row(1, { finish_reason: 'length', response: '{"a":', error: { type: 'invalid_output', message: 'cut' } }),
        row(2, { finish_reason: 'length', error: { type: 'truncated', message: 'cut' } }),
        row(3),
      ],
      0,
    );
    expect([f.truncated, f.truncatedFailed]).toEqual([3, 2]);
  });
});
