import { describe, expect, it } from 'vitest';
import { buildErrorGroups } from '../../src/report/build-error-groups.js';
import { buildFigures } from '../../src/report/build-figures.js';
import { reportRowFromJson } from '../../src/report/read-report-rows.js';
import type { ReportRow } from '../../src/report/report-row.js';

function row(i: number, extra: Record<string, unknown> = {}): ReportRow {
  return reportRowFromJson({
    id: `r${i}`,
    line: i + 1,
    prompt: `prompt ${i}`,
    response: `answer ${i}`,
    error: null,
    attempts: 1,
    latency_ms: 100,
    model: 'm1',
    finish_reason: 'stop',
    usage: { prompt_tokens: 10, completion_tokens: 20 },
    ...extra,
  });
}

describe('report figures: answers cut at the token limit', () => {
  it('counts them as the run summary does, in ok and with --fail-truncated in failed', () => {
    const rows = [
      row(0),
      row(1, { finish_reason: 'length' }),
      row(2, { finish_reason: 'length', error: { type: 'truncated', message: 'cut at max_tokens 20' } }),
      row(3, { response: null, finish_reason: null, error: { type: 'http', status: 500, message: 'boom' } }),
    ];
    const f = buildFigures(rows, 0);
    expect(f.truncated).toBe(2);
    expect([f.ok, f.failed]).toEqual([2, 2]);
    expect(f.failedByType).toEqual({ truncated: 1, http: 1 });
    expect(buildFigures([row(0)], 0).truncated).toBe(0);
  });
});

describe('report figures: error types', () => {
  it('counts a foreign file’s types named like an object’s keys as any others (they read "constructor NaN")', () => {
    const failed = (i: number, type: string) => row(i, { response: null, error: { type, message: 'x' } });
    const f = buildFigures([failed(0, 'constructor'), failed(1, 'toString'), failed(2, '__proto__'), failed(3, 'constructor')], 0);
    expect(Object.entries(f.failedByType)).toEqual([
      ['constructor', 2],
      ['toString', 1],
      ['__proto__', 1],
    ]);
    // As the page gets them: through JSON.
    expect(Object.entries(JSON.parse(JSON.stringify(f.failedByType)))).toEqual(Object.entries(f.failedByType));
  });
});

describe('report error groups', () => {
  it('list a prompt’s id once when it failed for several models and samples', () => {
    const fail = (id: string, model: string, sample: number) =>
      row(0, { id, model, sample, response: null, error: { type: 'http', status: 500, message: 'HTTP 500 upstream' } });
    const rows = [fail('x7', 'm1', 0), fail('x7', 'm2', 0), fail('x7', 'm1', 1), fail('x8', 'm1', 0), fail('x8', 'm2', 0), fail('x9', 'm1', 0)];
    const { groups } = buildErrorGroups(rows);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.count).toBe(6);
    expect(groups[0]!.ids).toEqual(['x7', 'x8', 'x9']);
  });
});
