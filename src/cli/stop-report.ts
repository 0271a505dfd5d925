import fs from 'node:fs';
import type { BatchStats } from '../engine/stats.js';
import { countRunRecords } from './count-run-records.js';
import type { CliConfig } from './config.js';

/**
 * Rows this run would have written (see countRunRecords) that a stopped run did not, for the summary's "N not run": the
 * progress display's total when it has one, else the file counted now (a stream, flat memory).
 * Null for stdin or a pipe, whose end nobody saw, and when the total is less than the rows counted
 * (a file that changed since it was counted): a 0 there would tell a script that the run had finished.
 */
export async function countNotRun(
  config: CliConfig,
  stats: BatchStats,
  knownTotal: number | undefined,
  signal: AbortSignal,
  /**
   * The records counted as already done: by default those the reader skipped; for a resume whose
   * output's rows are known (ResumeState.done), those past where the reader stopped too.
   */
  alreadyDone = stats.skipped,
): Promise<number | null> {
  let total = knownTotal;
  if (total === undefined && config.input.kind === 'file') {
    try {
      if (!fs.statSync(config.input.path).isFile()) return null;
      // After the grace period the run's signal is already aborted; the count still gets a moment.
      const counting = signal.aborted ? AbortSignal.timeout(3000) : signal;
      total = await countRunRecords(config, config.input.path, counting);
    } catch {
      return null;
    }
  }
  if (total === undefined) return null;
  const notRun = total - (stats.ok + stats.failed + alreadyDone);
  return notRun < 0 ? null : notRun;
}

/**
 * Records this run read that have no row, for the summary of a run a run-level error stopped (input
 * that turns unreadable mid-stream): those the stop kept from being sent, which --resume sends. What
 * lies past the unreadable line is not counted: it was never read.
 */
export function readNotRun(stats: BatchStats): number {
  return Math.max(0, stats.read - (stats.ok + stats.failed));
}

/** Said after a stop when there is nothing to --resume: answers only on the screen, or in a text file. */
export function unsavedNote(config: CliConfig): string | undefined {
  if (config.output.kind === 'file' && config.output.format === 'text')
    return `a text output cannot be resumed (it keeps no rows to read back): the answers so far are in ${config.output.path}; run with -o FILE.jsonl or .csv to --resume after a stop`;
  if (config.output.kind !== 'terminal') return undefined;
  return 'no results were saved (no -o): the answers above are all there is; run with -o FILE to keep them and --resume after a stop';
}
