import type { PromptRecord } from '../types.js';
import type { Changes } from './changes.js';

/** Shared between the pull and the loop that hands out rows. */
export interface PullState {
  /** Records pulled whose row has not been handed out yet. */
  outstanding: number;
  /** Of those, duplicates waiting for another record's answer (see Engine.afterEarlier). */
  waiting: number;
  /** Of those, records waiting out a backoff (or a model's loading) before another attempt. */
  resting: number;
  /** Of those, rows waiting behind an earlier one (input order), as the last hand-out left them. */
  parked: number;
  /** The pull is over: input exhausted, stopped, or failed. */
  inputDone: boolean;
  /** The input ended: every record it holds was pulled. */
  inputEnded?: boolean;
  /** The first failure of the input (or of processing a record); the run rethrows it. */
  inputError: unknown;
}

export interface PullOptions {
  /** Stops the pull; aborted by the pull itself when the input fails. */
  stop: AbortController;
  /**
   * Most records outstanding at once, besides parked rows, resting records (up to `restingFree`)
   * and waiting duplicates (up to WAITING_FREE): memory stays flat whatever the input size.
   */
  highWater: number;
  /** Up to this many resting records do not count against `highWater` (see held). */
  restingFree: number;
  /** Input order: most records outstanding at once, parked rows included (`highWater` counts none). */
  window?: number;
  /** Notified when the pull ends; waited on while at the high-water mark. */
  changes: Changes;
  state: PullState;
  /** Starts one record; `seq` counts records in input order from 0. */
  onRecord(record: PromptRecord, seq: number): void;
}

/**
 * Duplicates waiting for an answer hold no slot: up to this many of them do not count against the
 * high-water mark, so a prompt repeated many times, slow to answer or to fail, does not stop the
 * other prompts from being read (each waiter holds its record: memory stays bounded).
 */
export const WAITING_FREE = 1024;

/** Records outstanding as the window counts them. */
const counted = (state: PullState): number => state.outstanding - Math.min(state.waiting, WAITING_FREE);

/**
 * Records outstanding as the high-water mark counts them: neither parked rows nor resting records
 * hold a slot, so a mark just above the concurrency keeps every slot busy while some wait to retry.
 */
const held = (state: PullState, restingFree: number): number => counted(state) - state.parked - Math.min(state.resting, restingFree);

/**
 * Pulls records only while fewer than `highWater` are held (see held) and fewer than `window`
 * outstanding, until the input ends or the run stops. A stop must not wait on the input: stdin
 * from `tail -f` or a slow pipe may send nothing for hours.
 */
export async function pullRecords(records: AsyncIterable<PromptRecord>, options: PullOptions): Promise<void> {
  const { stop, highWater, restingFree, window = Number.POSITIVE_INFINITY, changes, state } = options;
  const full = () => held(state, restingFree) >= highWater || counted(state) >= window;
  const signal = stop.signal;
  // One listener wakes whichever pull is waiting; racing each pull against one run-long promise
  // would leave a reaction on it per record (memory growing with the input).
  const STOPPED = Symbol('stopped');
  let wake: ((value: typeof STOPPED) => void) | undefined;
  signal.addEventListener('abort', () => wake?.(STOPPED), { once: true });
  let abandoned = false;
  let pulled = 0;
  const iterator = records[Symbol.asyncIterator]();
  try {
    while (!signal.aborted) {
      while (full() && !signal.aborted) await changes.next();
      if (signal.aborted) break;
      const pending = iterator.next();
      const next = await new Promise<IteratorResult<PromptRecord> | typeof STOPPED>((resolve, reject) => {
        wake = resolve;
        pending.then(resolve, reject);
      });
      wake = undefined;
      if (next === STOPPED) {
        // Left pending (its outcome is absorbed above): the caller closes the source (the CLI
        // destroys stdin), which settles it.
        abandoned = true;
        break;
      }
      if (next.done) {
        state.inputEnded = true;
        break;
      }
      const seq = pulled++;
      state.outstanding++;
      options.onRecord(next.value, seq);
    }
  } catch (err) {
    state.inputError ??= err;
    stop.abort(err);
  } finally {
    state.inputDone = true;
    changes.notify();
    // With a pull still pending, return() would queue behind it: ask, but do not wait.
    if (signal.aborted) {
      const closing = iterator.return?.().catch(() => {});
      if (!abandoned) await closing;
    }
  }
}
