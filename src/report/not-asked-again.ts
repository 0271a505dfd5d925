import { isTransientFailure } from '../output/resume-policy.js';
import type { ErrorType } from '../types.js';
import type { RunFigures } from './report-data.js';
import type { ReportRow } from './report-row.js';

/**
 * Of the prompts a stopped resume did not run (its `notRun`), those that have a row here all the
 * same: an earlier run's failure the resume was to ask again (a transient one; any, with
 * --retry-failed) and did not reach. The page counts them once, among the rows, not again as "not
 * run". `rows`: the last row of each prompt, in file order, where the run's own rows are the last
 * `run.rows` (appended after every earlier row, and kept last by a compaction). Undefined when the
 * run did not stop short or its rows are not known.
 */
export function notAskedAgain(rows: readonly ReportRow[], run: Pick<RunFigures, 'notRun' | 'rows' | 'retryFailed'> | undefined): number | undefined {
  if (!run?.notRun || run.rows === undefined) return undefined;
  const earlier = rows.length - run.rows;
  let again = 0;
  for (let i = 0; i < earlier; i++) {
    const r = rows[i]!;
    if (
      r.errorType !== null &&
      (run.retryFailed || isTransientFailure({ type: r.errorType as ErrorType, status: r.errorStatus ?? undefined, code: r.errorCode ?? undefined }))
    )
      again++;
  }
  // Rows of prompts outside this run (a --force-resume of another run's file) are none of its own.
  return Math.min(again, run.notRun);
}
