import type { BatchOutcome } from '../engine/run-batch.js';
import type { StopReason } from '../engine/events.js';
import { OutputAbandonedError, OutputClosedError, OutputWriteError } from '../errors.js';
import type { RowWriter } from '../output/index.js';
import type { ResultRow } from '../types.js';
import type { Reporter } from '../ui/reporter.js';
import { inputErrorLines } from './input-error-lines.js';
import { isUnfollowedRedirect } from '../provider/unfollowed-redirect.js';

export interface WrittenRows {
  outcome: BatchOutcome;
  /** Rows that failed with HTTP 404 (a wrong --base-url or model shows up as all of them). */
  notFound: number;
  /** Rows a 301/302/303 failed (not followed for a POST), and the first one's words: all of them, and --base-url is likely http:// for https. */
  redirected?: { rows: number; first: string };
}

/** The stop an output's failure ends the run with, if it is one. */
function outputStop(err: unknown): StopReason | undefined {
  if (err instanceof OutputClosedError) return 'output_closed';
  if (err instanceof OutputWriteError) return 'output_failed';
  // The hard stop gave up on a reader that does not read.
  if (err instanceof OutputAbandonedError) return 'interrupted';
  return undefined;
}

/**
 * Drains the engine into the writer, showing each row to the reporter once it is written. Rows
 * that finished together are written together (one append for the group). A reader that closed
 * stdout ends the run like a stop (`output_closed`), so the side files still get what was done; so
 * does an output that cannot be written (`output_failed`: a full disk), exit 2 and --resume continuing,
 * and the hard stop giving up on a reader that does not read (`interrupted`, see RowWriter.stopWaiting).
 */
export async function writeRows(
  groups: AsyncGenerator<ResultRow[], BatchOutcome, undefined>,
  writer: RowWriter,
  reporter: Reporter,
  /** Rows built (and counted) whose write failed, or was given up: they are not in the output. */
  onUnwritten?: (rows: readonly ResultRow[]) => void,
): Promise<WrittenRows> {
  let step = await groups.next();
  // The group being written, and how many of it are written: on a failure the rest are not in the output.
  let group: readonly ResultRow[] = [];
  let written = 0;
  let notFound = 0;
  let redirected: WrittenRows['redirected'];
  const inputErrors = inputErrorLines(reporter);
  const shown = (row: ResultRow): void => {
    inputErrors.row(row);
    if (row.error?.status === 404) notFound++;
    if (row.error && isUnfollowedRedirect(row.error.status)) redirected = { rows: (redirected?.rows ?? 0) + 1, first: redirected?.first ?? row.error.message };
    reporter.row(row);
  };
  try {
    while (!step.done) {
      const rows = step.value;
      group = rows;
      written = 0;
      if (writer.writeMany) {
        await writer.writeMany(rows);
        written = rows.length;
        for (const row of rows) shown(row);
      } else {
        // The answer printer: each answer and what the reporter says of it stay together.
        for (const row of rows) {
          await writer.write(row);
          written++;
          shown(row);
        }
      }
      step = await groups.next();
    }
  } catch (err) {
    // A full disk can take a group part-way: its first rows are in the output all the same.
    if (err instanceof OutputWriteError) {
      for (const row of group.slice(written, written + err.rowsKept)) shown(row);
      written += err.rowsKept;
    }
    // The output failed (a full disk, a closed pipe): stop the engine, in-flight requests included,
    // rather than pay for answers that cannot be written.
    await groups.return(undefined as never).catch(() => {});
    // Any failure, a bug's too: the summary counts the rows the output holds.
    onUnwritten?.(group.slice(written));
    const stopped = outputStop(err);
    if (!stopped) throw err;
    return { outcome: { stopped, message: (err as Error).message }, notFound, redirected };
  } finally {
    inputErrors.end();
  }
  return { outcome: step.value, notFound, redirected };
}
