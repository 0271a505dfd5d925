import { manifestPath, openChunks, readManifest, type Chunk, type Manifest } from '../batch/manifest.js';
import type { UncollectedBatches } from '../report/report-data.js';
import { counted } from '../util/group-digits.js';
import { lostMockBatches, lostMockBatchesMessage } from './mock-batches-gone.js';
import { batchesOfMock } from './mock-run.js';
import { shellQuote } from './shell-quote.js';
import { uncollectedOf } from './pending-batches.js';

/**
 * For `llm-batch report OUT`: the line that says OUT's --batch-api run left batches not collected
 * (`--no-wait`, or a stop), so the report lacks their rows, and the command that goes on: the run's
 * own resumeHint when its --summary-json gave one, else the shape of it; and how many batches are
 * pending on the server and how many were built but never submitted (the page says so too), none
 * with no line once all are collected. A --mock run's batches ended with its process: that is said
 * instead, and they are counted as gone, not pending. Undefined when OUT has no manifest, or it or the metadata cannot be
 * read (the report does not depend on them).
 */
export function pendingBatchesNote(output: string, resumeHint: string | null): { message?: string; batches: UncollectedBatches } | undefined {
  let manifest: Manifest | undefined;
  let mock: boolean;
  try {
    manifest = readManifest(output);
    mock = manifest !== undefined && batchesOfMock(output, manifest);
  } catch {
    return undefined;
  }
  if (!manifest) return undefined;
  const batches = uncollectedOf(manifest, mock);
  if (batches.gone > 0) return { message: lostMockBatchesMessage(output, lostMockBatches(output, true)), batches };
  const open = openChunks(manifest);
  if (batches.pending + batches.unsubmitted === 0) return { batches };
  const listed = (chunks: readonly Chunk[]) =>
    `${counted(chunks.length, 'batch', 'batches')} (${counted(
      chunks.reduce((n, c) => n + c.lines, 0),
      'request',
    )})`;
  const what = [
    ...(batches.pending ? [`${listed(open.submitted)} not collected yet`] : []),
    ...(batches.unsubmitted ? [`${listed(open.unsubmitted)} built but not submitted`] : []),
  ].join(' and ');
  const them = batches.pending + batches.unsubmitted === 1 ? 'it' : 'them';
  const to = batches.unsubmitted === 0 ? `collect ${them}` : batches.pending === 0 ? `submit ${them}` : 'collect and submit them';
  const how = resumeHint ? `run: ${resumeHint}` : `run the run's command again with --resume (llm-batch … -o ${shellQuote(output)} --batch-api --resume)`;
  return {
    message: `${manifestPath(output)} lists ${what}: the report covers the rows collected so far; to ${to}, ${how}`,
    batches,
  };
}
