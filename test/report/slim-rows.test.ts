import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { reportRowFromJson } from '../../src/report/read-report-rows.js';
import { rowSlimmer, textChars, type ReportRow } from '../../src/report/report-row.js';
import { resultRow, T0 } from '../helpers/report-rows.js';

/** Row i parsed from its JSONL line, as the report reads it: every string a fresh one. */
const parsed = (i: number, extra: Record<string, unknown> = {}): ReportRow => reportRowFromJson(JSON.parse(JSON.stringify(resultRow(i, extra))));

describe('rowSlimmer', () => {
  it('keeps every figure of the row and the size of its texts, not the texts', () => {
    const row = parsed(7, {
      prompt: 'p'.repeat(300),
      response: null,
      error: { type: 'http', message: 'm'.repeat(5000), status: 400 },
      requested_model: 'gpt-4o-mini',
      model: 'gpt-4o-mini-2024-07-18',
      usage: { prompt_tokens: 9, completion_tokens: 0, cached_tokens: 4 },
      batch_id: 'batch_1',
      sample: 2,
      output: { label: 'x' },
    });
    const slim = rowSlimmer()(row, 41);
    expect(slim).toEqual({ ...row, prompt: '', errorMessage: 'm'.repeat(2000), slim: { chars: 5300, ordinal: 41 } });
    expect(textChars(slim)).toBe(textChars(row));
  });

  it('keeps an answer apart from a failure: an empty answer, not none', () => {
    const slim = rowSlimmer();
    expect(slim(parsed(0), 0).response).toBe('');
    expect(slim(parsed(1, { response: null, error: { type: 'timeout', message: 'late' } }), 1).response).toBeNull();
  });

  // A 1M-row report held 2.1 GB under Node 20: each slim row was a spread copy of about 1,000 bytes.
  it('takes the same few hundred bytes a row whatever the rows name', () => {
    // A forced collection makes heapUsed a measure of what is retained, not of when GC last ran.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const n = 50_000;
    const bytesPerRow = (extra: Record<string, unknown>): number => {
      const slim = rowSlimmer();
      gc();
      const before = process.memoryUsage().heapUsed;
      const timed = (i: number) => ({ started_at: new Date(T0 + i * 1000).toISOString(), finished_at: new Date(T0 + i * 1000 + 300).toISOString(), ...extra });
      const rows = Array.from({ length: n }, (_, i) => slim(parsed(i, timed(i)), i));
      gc();
      const bytes = (process.memoryUsage().heapUsed - before) / n;
      expect(rows).toHaveLength(n);
      return bytes;
    };
    const short = bytesPerRow({ model: 'm' });
    const long = bytesPerRow({ requested_model: 'ft:gpt-4o-mini:acme::base', model: 'ft:gpt-4o-mini-2024-07-18:acme::9xYz' });
    // One shape of 24 fields (8 bytes each on 64 bits), two boxed times, the id and the slim record.
    expect(long).toBeLessThan(400);
    // Each name is shared between rows, not copied into every one.
    expect(Math.abs(long - short)).toBeLessThan(16);
  });
});
