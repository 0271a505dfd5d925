import type { RunFigures } from '../report/report-data.js';
import { fmt } from './format.js';

/**
 * What the page says of a run that stopped early: why, how many prompts it did not run (the rows
 * this report lacks, which "100 % of 12 rows" cannot show) and the command that finishes it, as
 * stderr and the summary say them. Pure, so unit tests read the words without a browser.
 */
export function stopNotice(run: Pick<RunFigures, 'stopped' | 'budget' | 'notRun' | 'resumeHint'> | null): string | null {
  if (!run?.stopped) return null;
  const budget = run.budget && run.stopped === 'budget' ? `: ${fmt.usd(run.budget.spentUsd)} of the ${fmt.usd(run.budget.capUsd)} budget spent` : '';
  const notRun = run.notRun ?? null;
  const missing =
    notRun === null
      ? '; rows it did not reach are not in this report.'
      : notRun === 0
        ? ', after every prompt had its row.'
        : `; ${notRunText(notRun)}, so not in this report.`;
  const finish = run.resumeHint && notRun !== 0 ? ` To finish: ${run.resumeHint}` : '';
  return `The run stopped early (${run.stopped}${budget})${missing}${finish}`;
}

/** `28 prompts not run`: the summary's `notRun`. */
export const notRunText = (n: number): string => `${fmt.int(n)} ${n === 1 ? 'prompt' : 'prompts'} not run`;
