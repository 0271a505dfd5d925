import type { ReportData } from '../report/report-data.js';
import { fmt } from './format.js';

const batches = (n: number, verb: [string, string]): string => `${fmt.int(n)} ${n === 1 ? `batch ${verb[0]}` : `batches ${verb[1]}`}`;

/**
 * What the page says of a --batch-api run's batches whose rows it lacks, one notice per kind, each
 * with what can be done: those on the server are collected by --resume; those built but never
 * submitted (an upload that failed) exist nowhere but in OUT.batch.d/, and --resume submits them;
 * a --mock run's ended with its process, and only --overwrite goes on.
 * Pure, so unit tests read the words without a browser.
 */
export function batchNotices(d: Pick<ReportData, 'pendingBatches' | 'unsubmittedBatches' | 'goneBatches'>): Array<{ id: string; text: string }> {
  const notices: Array<{ id: string; text: string }> = [];
  if (d.goneBatches > 0) {
    const one = d.goneBatches === 1;
    notices.push({
      id: 'gone',
      text: `${batches(d.goneBatches, ['of this --mock run was', 'of this --mock run were'])} not collected and cannot be: --mock batches live only in the process that made them, so no --resume can collect ${one ? 'it' : 'them'}. This report holds the rows collected before that process ended; run the command again with --overwrite to start again.`,
    });
  }
  if (d.pendingBatches > 0)
    notices.push({
      id: 'pending',
      text: `${batches(d.pendingBatches, ['was', 'were'])} still pending on the server when this report was made: it holds the rows collected so far. Run the run's command again with --resume to collect the rest.`,
    });
  if (d.unsubmittedBatches > 0) {
    const them = d.unsubmittedBatches === 1 ? 'it' : 'them';
    notices.push({
      id: 'unsubmitted',
      text: `${batches(d.unsubmittedBatches, ['was', 'were'])} built but never submitted (the server has no batch for ${them}): this report lacks ${d.unsubmittedBatches === 1 ? 'its' : 'their'} rows. Run the run's command again with --resume to submit ${them}.`,
    });
  }
  return notices;
}
