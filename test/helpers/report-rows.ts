import { reportRowFromJson } from '../../src/report/read-report-rows.js';
import type { ReportRow } from '../../src/report/report-row.js';

/** 2026-11-30T00:00:00Z: row i starts i seconds later. */
export const T0 = Date.parse('2026-11-30T00:00:00.000Z');

/** Result row i as a run writes it (a JSONL line): answered in 300 ms by gpt-4o-mini, 5 tokens in and out; `extra` overrides. */
export function resultRow(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `r${i}`,
    line: i + 1,
    prompt: `p${i}`,
    response: `a${i}`,
    error: null,
    attempts: 1,
    latency_ms: 300,
    model: 'gpt-4o-mini',
    finish_reason: 'stop',
    usage: { prompt_tokens: 5, completion_tokens: 5 },
    ...extra,
  };
}

/** A results file's text: one JSON line a row. */
export const jsonlOf = (rows: readonly Record<string, unknown>[]): string => `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;

/** Row i of a gpt-4o run: answered in 500 ms, 1,000 tokens in and 2,000 out; `extra` overrides. */
export function pricedRow(i: number, extra: Record<string, unknown> = {}): ReportRow {
  return reportRowFromJson(
    resultRow(i, {
      latency_ms: 500,
      started_at: new Date(T0 + i * 1000).toISOString(),
      finished_at: new Date(T0 + i * 1000 + 500).toISOString(),
      model: 'gpt-4o',
      usage: { prompt_tokens: 1000, completion_tokens: 2000 },
      ...extra,
    }),
  );
}
