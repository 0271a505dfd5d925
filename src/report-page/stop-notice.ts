import type { RunFigures } from '../report/report-data.js';
import { fmt } from './format.js';

/**
 * What the page says of a run that stopped early: why, how many prompts it did not run (the rows
 * this report lacks, which "100 % of 12 rows" cannot show) and the command that finishes it, as
 * stderr and the summary say them. `again`: of those, prompts whose earlier failed row is in the
 * report (see notAskedAgain), said apart so that no prompt counts both as a row and as not run.
 * Pure, so unit tests read the words without a browser.
 */
export function stopNotice(run: Pick<RunFigures, 'stopped' | 'budget' | 'notRun' | 'resumeHint'> | null, again = 0): string | null {
  if (!run?.stopped) return null;
  const budget = run.budget && run.stopped === 'budget' ? `: ${fmt.usd(run.budget.spentUsd)} of the ${fmt.usd(run.budget.capUsd)} budget spent` : '';
  const notRun = run.notRun ?? null;
  const missing = notRun === null ? null : notRun - again;
  const asked =
    again > 0 ? `${fmt.int(again)} ${again === 1 ? 'prompt whose earlier failed row is' : 'prompts whose earlier failed rows are'} here not asked again` : '';
  const said =
    missing === null
      ? '; rows it did not reach are not in this report.'
      : missing === 0
        ? asked
          ? `; ${asked}.`
          : ', after every prompt had its row.'
        : `; ${notRunText(missing)}, so not in this report${asked ? `, and ${asked}` : ''}.`;
  const finish = run.resumeHint && notRun !== 0 ? ` To finish: ${run.resumeHint}` : '';
  return `The run stopped early (${run.stopped}${budget})${said}${finish}`;
}

/** `28 prompts not run`: the summary's `notRun`, less those with a row in the report. */
export const notRunText = (n: number): string => `${fmt.int(n)} ${n === 1 ? 'prompt' : 'prompts'} not run`;
