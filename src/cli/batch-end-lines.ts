import type { BatchJobOutcome } from '../batch/batch-job.js';

/**
 * The line that ends a `--batch-api` run which leaves work behind, with the command that goes on
 * (`next`); undefined when there is no such command, or nothing left. `signal`: Ctrl-C, SIGTERM or a
 * hangup stopped the run, while its batches (paid for) keep running on the server: said so.
 */
export function pendingLine(
  outcome: Pick<BatchJobOutcome, 'pending' | 'unsubmitted' | 'interrupted' | 'outage'>,
  next: string | null,
  signal: boolean,
): string | undefined {
  if (!next) return undefined;
  const { pending, unsubmitted } = outcome;
  if (pending > 0 && pending === unsubmitted)
    // No batch exists: nothing is pending on the server, the requests only wait to be sent.
    return `nothing was submitted yet (${pending} ${pending === 1 ? 'batch waits' : 'batches wait'} to be uploaded${outcome.outage ? `: ${outcome.outage.lastError}` : ''}); to try again, run: ${next}`;
  if (pending > 0) {
    const running = signal ? `: ${pending === 1 ? 'it keeps' : 'they keep'} running on the server` : '';
    return `${pending} ${pending === 1 ? 'batch is' : 'batches are'} still pending${running}; to continue, run: ${next}`;
  }
  return outcome.interrupted ? `to continue, run: ${next}` : undefined;
}
