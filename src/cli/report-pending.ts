import { isOpen, manifestPath, readManifest, type Manifest } from '../batch/manifest.js';
import { counted } from '../util/group-digits.js';
import { lostMockBatches, lostMockBatchesMessage, writtenByMock } from './mock-batches-gone.js';
import { shellQuote } from './shell-quote.js';

/**
 * For `llm-batch report OUT`: the line that says OUT's --batch-api run left batches not collected
 * (`--no-wait`, or a stop), so the report lacks their rows, and the command that collects them: the
 * run's own resumeHint when its --summary-json gave one, else the shape of it; and how many batches
 * are pending (the page says so too), 0 with no line once all are collected. A --mock run's batches
 * ended with its process: that is said instead, and none is pending. Undefined when OUT has no
 * manifest, or it or the metadata cannot be read (the report does not depend on them).
 */
export function pendingBatchesNote(output: string, resumeHint: string | null): { message?: string; batches: number } | undefined {
  let manifest: Manifest | undefined;
  let mock: boolean;
  try {
    manifest = readManifest(output);
    mock = manifest !== undefined && writtenByMock(output);
  } catch {
    return undefined;
  }
  if (!manifest) return undefined;
  if (mock) {
    const lost = lostMockBatches(output, true);
    return lost.length > 0 ? { message: lostMockBatchesMessage(output, lost), batches: 0 } : { batches: 0 };
  }
  // As the run counts them ("N batches are still pending"): every chunk not collected.
  const open = manifest.chunks.filter(isOpen);
  if (open.length === 0) return { batches: 0 };
  const requests = open.reduce((n, c) => n + c.lines, 0);
  const batches = `${counted(open.length, 'batch', 'batches')} (${counted(requests, 'request')})`;
  const how = resumeHint ? `run: ${resumeHint}` : `run the run's command again with --resume (llm-batch … -o ${shellQuote(output)} --batch-api --resume)`;
  return {
    message: `${manifestPath(output)} lists ${batches} not collected yet: the report covers the rows collected so far; to collect them, ${how}`,
    batches: open.length,
  };
}
