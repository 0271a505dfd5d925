/** uncountRow: a row that could not be written leaves the counts as if it had never been built. */
import { describe, expect, it } from 'vitest';
import { cachedRow, failureRow, successRow } from '../../src/engine/build-row.js';
import { createStats, uncountRow } from '../../src/engine/stats.js';
import type { PromptRecord } from '../../src/types.js';

const record = (id: string): PromptRecord => ({ id, line: 1, prompt: `q ${id}`, params: {} }) as PromptRecord;
const request = { model: 'm', messages: [] } as never;
const answered = (finishReason: string) => ({
  result: { text: 'a', finishReason, model: 'm', usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
  latencyMs: 1,
  startedAt: '2026-12-01T00:00:00.000Z',
  finishedAt: '2026-12-01T00:00:00.001Z',
});

describe('uncountRow', () => {
  it('takes back ok, cached, truncated and a failure by type, and keeps the tokens paid for', () => {
    const stats = createStats(0);
    const kept = failureRow(record('1'), { type: 'timeout', message: 't' }, 1, stats);
    const rows = [
      successRow(record('2'), request, answered('length') as never, 1, stats),
      cachedRow(record('3'), { model: 'm' }, { text: 'c', finishReason: 'stop' } as never, stats),
      failureRow(record('4'), { type: 'timeout', message: 't' }, 1, stats),
      failureRow(record('5'), { type: 'http', message: 'h' }, 1, stats),
    ];
    for (const row of rows) uncountRow(stats, row);
    expect(kept.error?.type).toBe('timeout');
    expect(stats).toMatchObject({ ok: 0, cached: 0, truncated: 0, failed: 1, failedByType: { timeout: 1 }, promptTokens: 3, completionTokens: 2 });
    expect(Object.keys(stats.failedByType)).toEqual(['timeout']);
  });
});
