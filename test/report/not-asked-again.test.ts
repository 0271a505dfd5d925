import { describe, expect, it } from 'vitest';
import { notAskedAgain } from '../../src/report/not-asked-again.js';
import { pricedRow } from '../helpers/report-rows.js';

const ok = (i: number) => pricedRow(i);
const failed = (i: number, type: string, status?: number) => pricedRow(i, { response: null, error: { type, message: 'no', ...(status ? { status } : {}) } });

describe('notAskedAgain', () => {
  // Earlier runs' rows first, then the 2 rows the stopped resume wrote (failed ones among them too).
  const rows = [ok(0), failed(1, 'http', 500), failed(2, 'timeout'), failed(3, 'http', 400), failed(4, 'http', 503), ok(5)];

  it.each([
    ['transient failures of earlier runs, not the run’s own', { notRun: 9, rows: 2 }, 2],
    ['every earlier failure under --retry-failed', { notRun: 9, rows: 2, retryFailed: true }, 3],
    ['no more than the run did not run', { notRun: 1, rows: 2 }, 1],
    ['none without the run’s rows', { notRun: 9 }, undefined],
    ['none when the run did not stop short', { notRun: 0, rows: 2 }, undefined],
  ])('%s', (_name, run, expected) => {
    expect(notAskedAgain(rows, run)).toBe(expected);
  });

  it("a 500 that said the prompt is past the context was not to be asked again (the row's code)", () => {
    const overflow = pricedRow(1, { response: null, error: { type: 'http', message: 'no', status: 500, code: 'context_length_exceeded' } });
    expect(notAskedAgain([ok(0), overflow, failed(2, 'http', 500), ok(3)], { notRun: 9, rows: 1 })).toBe(1);
  });
});
