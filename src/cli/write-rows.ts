import type { BatchOutcome } from '../engine/run-batch.js';
import type { RowWriter } from '../output/index.js';
import type { ResultRow } from '../types.js';
import type { Reporter } from '../ui/reporter.js';

export interface WrittenRows {
  outcome: BatchOutcome;
  /** Rows that failed with HTTP 404 (a wrong --base-url or model shows up as all of them). */
  notFound: number;
}

/** Drains the engine into the writer, showing each row to the reporter once it is written. */
export async function writeRows(
  rows: AsyncGenerator<ResultRow, BatchOutcome, undefined>,
  writer: RowWriter,
  reporter: Reporter,
  onRow?: (row: ResultRow) => void,
): Promise<WrittenRows> {
  let step = await rows.next();
  let notFound = 0;
  try {
    while (!step.done) {
      const row = step.value;
      await writer.write(row);
      if (row.error?.type === 'input') reporter.error(row.error.message);
      if (row.error?.status === 404) notFound++;
      reporter.row(row);
      onRow?.(row);
      step = await rows.next();
    }
  } catch (err) {
    // The output failed (a full disk, a closed pipe): stop the engine, in-flight requests included,
    // rather than pay for answers that cannot be written.
    await rows.return(undefined as never).catch(() => {});
    throw err;
  }
  return { outcome: step.value, notFound };
}
