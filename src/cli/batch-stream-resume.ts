import { heldPlace, isOpen, manifestPath, type HeldPlace, type Manifest } from '../batch/manifest.js';
import type { BatchJobOutcome } from '../batch/batch-job.js';

/**
 * `--batch-api -o FIFO`: a FIFO's rows went to its reader and cannot be read back, so a run into it
 * knows what was answered only from OUT.batch.json. Once every batch that lists is collected, a
 * `--resume` would plan the whole input again (nothing to skip it by) and upload, and bill, every
 * prompt a second time. Refused instead (exit 2), before anything is read or sent; `--overwrite`
 * sends the input again on purpose. Undefined while a batch is open: collecting those is safe.
 */
export function streamResumeRefusal(output: string, manifest: Manifest): string | undefined {
  // Nothing collected (no batch yet, or only ones the server refused unrun): nothing would be paid twice.
  if (!manifest.planned || manifest.chunks.some(isOpen) || !manifest.chunks.some((c) => c.collected)) return undefined;
  const held = manifest.budget?.held;
  return (
    `${output} is a FIFO, whose rows cannot be read back, and every batch ${manifestPath(output)} lists is collected: ` +
    `a --resume cannot know which prompts were answered and would send (and bill) every one again; nothing was sent` +
    (held ? ` (the input from ${heldPlace(held)} on was never submitted: over --max-cost)` : '') +
    `. To send the whole input again, pass --overwrite in place of --resume`
  );
}

/** How a --batch-api run ended under --max-cost, as finishBatchRun says it. */
export interface BudgetEnd {
  /** The first request the cap held back, when the run ended with one. */
  held?: NonNullable<BatchJobOutcome['budget']>['held'];
  /** The next request does not fit even with nothing reserved: a new cap is needed (exit 3). */
  stuck: boolean;
  /** More fits now that the batches' real cost is known, and the same command with --resume plans it (exit 75). */
  more: boolean;
  /**
   * More fits, but the output is a FIFO: this process did not read the input (a resume), and no
   * --resume can (see streamResumeRefusal). Said as such, with no command to run (exit 3).
   */
  unplannable: boolean;
}

/** `resumable`: a --resume of the output would not be refused (see streamResumeRefusal). */
export function budgetEnd(outcome: BatchJobOutcome, resumable: boolean): BudgetEnd {
  const held = !outcome.interrupted && outcome.pending === 0 ? outcome.budget?.held : undefined;
  const stuck = held !== undefined && outcome.budget!.planned === 0;
  const fits = held !== undefined && !stuck;
  return { ...(held ? { held } : {}), stuck, more: fits && resumable, unplannable: fits && !resumable };
}

/** Whether a --resume of this output would go on, not be refused as streamResumeRefusal refuses it. */
export function resumable(output: string | undefined, stream: boolean, manifest: Manifest | undefined): boolean {
  return !stream || output === undefined || manifest === undefined || streamResumeRefusal(output, manifest) === undefined;
}

/** What a stuck run's `budget reached` line says instead of the command to run, into a FIFO. */
export const NO_STREAM_RESUME = "a FIFO's rows cannot be read back, so no --resume can submit the rest without sending every prompt again";

/** The line for `unplannable`: what was not submitted, and why no command follows. */
export function unplannableLine(output: string, held: HeldPlace): string {
  return (
    `the input from ${heldPlace(held)} on was not submitted (over --max-cost when it was planned), and more fits now that ` +
    `the batches' real cost is known; but ${output} is a FIFO, whose rows cannot be read back, so a --resume cannot know which prompts ` +
    `were answered and is refused: every answered row went to its reader`
  );
}
