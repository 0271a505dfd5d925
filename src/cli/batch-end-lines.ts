import type { BatchJobOutcome } from '../batch/batch-job.js';
import type { UncollectedBatches } from '../report/report-data.js';

const is = (n: number): string => `${n} ${n === 1 ? 'batch is' : 'batches are'}`;

/**
 * After a signal, of `onServer` batches not collected, which keep running (and billing) on the server:
 * an expired batch being finished live (--finish-live), or one whose rows were being collected, runs nothing.
 */
function runningWords(onServer: number, running: number): string {
  if (running >= onServer) return `: ${onServer === 1 ? 'it keeps' : 'they keep'} running on the server`;
  if (running === 0) return `: ${onServer === 1 ? 'it has' : 'they have'} ended on the server, and nothing runs there`;
  return `: ${running} ${running === 1 ? 'keeps' : 'keep'} running on the server`;
}

/**
 * A --batch-api run's batches not collected, in words: `2 batches are still pending` (on the
 * server), `1 batch was built but not submitted` (on no server), or both; a --mock run's that ended
 * with its process as such; undefined for none.
 */
export function uncollectedWords(b: UncollectedBatches): string | undefined {
  if (b.gone > 0) return `${b.gone} ${b.gone === 1 ? 'batch was' : 'batches were'} not collected and cannot be (--mock)`;
  const built = `${b.unsubmitted} built but not submitted`;
  if (b.pending > 0) return `${is(b.pending)} still pending${b.unsubmitted > 0 ? `, and ${built}` : ''}`;
  return b.unsubmitted > 0 ? `${b.unsubmitted} ${b.unsubmitted === 1 ? 'batch was' : 'batches were'} built but not submitted` : undefined;
}

/** `3 batches wait to be uploaded`; those whose file is uploaded wait only to be created: `1 batch waits to be created, 2 to be uploaded`. */
function waitingWords(unsubmitted: number, uploaded: number): string {
  const waits = (n: number) => `${n} ${n === 1 ? 'batch waits' : 'batches wait'}`;
  if (uploaded === 0) return `${waits(unsubmitted)} to be uploaded`;
  if (uploaded >= unsubmitted) return `${waits(unsubmitted)} to be created from ${unsubmitted === 1 ? 'its uploaded file' : 'their uploaded files'}`;
  return `${waits(uploaded)} to be created, ${unsubmitted - uploaded} to be uploaded`;
}

/**
 * The line that ends a `--batch-api` run which leaves work behind, with the command that goes on
 * (`next`); undefined when there is no such command, or nothing left. `signal`: Ctrl-C, SIGTERM or a
 * hangup stopped the run, while its batches (paid for) keep running on the server: said so (and
 * when they do not: ended ones wait to be collected). Only
 * batches on the server are pending; those never submitted are said as such.
 */
export function pendingLine(
  outcome: Pick<BatchJobOutcome, 'pending' | 'unsubmitted' | 'uploaded' | 'running' | 'interrupted' | 'outage' | 'anySubmitted'>,
  next: string | null,
  signal: boolean,
): string | undefined {
  if (!next) return undefined;
  const { unsubmitted } = outcome;
  const onServer = outcome.pending - unsubmitted;
  if (onServer === 0 && unsubmitted > 0) {
    // Nothing is pending on the server, the requests only wait to be sent; "nothing was submitted"
    // only while no batch of the plan ever was (earlier ones may be collected, or expired and resent).
    const waiting = `${waitingWords(unsubmitted, outcome.uploaded ?? 0)}${outcome.outage ? `: ${outcome.outage.lastError}` : ''}`;
    return outcome.anySubmitted ? `${waiting}; to continue, run: ${next}` : `nothing was submitted yet (${waiting}); to try again, run: ${next}`;
  }
  if (onServer > 0) {
    const running = signal ? runningWords(onServer, outcome.running) : '';
    const built = unsubmitted > 0 ? `, and ${unsubmitted} built but not submitted` : '';
    return `${is(onServer)} still pending${running}${built}; to continue, run: ${next}`;
  }
  return outcome.interrupted ? `to continue, run: ${next}` : undefined;
}
