import { RunError } from '../errors.js';
import type { Figures } from '../report/report-data.js';
import { groupDigits } from '../util/group-digits.js';

/** What a run's --summary-json counted of the rows it wrote, and of the prompts it skipped as done. */
export interface SummaryCounts {
  ok: number;
  failed: number;
  skipped: number;
}

/**
 * Refuses a --summary-json whose counts cannot be those of the run that last wrote `results`: each
 * row that run wrote is still the last row of its prompt there, so the file holds at least its ok
 * and its failed rows, and a row for every prompt it skipped as done. At least, not exactly: a
 * resume's summary counts that invocation alone, and the file may hold more (rows a `--limit` or a
 * stop left alone, batches collected since a `--no-wait`). Its figures would otherwise stand beside
 * the rows as theirs: "requests 61 sent by this run" next to 2 ok and 8 failed.
 */
export function checkSummaryFitsRows(file: string, results: string, s: SummaryCounts, f: Pick<Figures, 'rows' | 'ok' | 'failed'>): void {
  if (f.ok >= s.ok && f.failed >= s.failed && f.rows >= s.ok + s.failed + s.skipped) return;
  const done = s.skipped > 0 ? ` and ${groupDigits(s.skipped)} already done` : '';
  throw new RunError(
    `--summary-json ${file} counts ${groupDigits(s.ok)} ok, ${groupDigits(s.failed)} failed${done}, but ${results} holds ${groupDigits(f.ok)} ok and ${groupDigits(f.failed)} failed (the last row of each prompt): it is not the summary of the run that last wrote it`,
    'input',
  );
}
