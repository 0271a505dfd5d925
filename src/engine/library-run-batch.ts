import { RunError, isNamedStop } from '../errors.js';
import { BUDGET_DEFAULT_MAX_TOKENS } from '../budget/run-budget.js';
import type { ResultRow } from '../types.js';
import type { BatchOptions } from './batch-options.js';
import type { BatchRecords } from './batch-records.js';
import type { StopReason } from './events.js';
import { runBatch as runEngine, type BatchOutcome as EngineOutcome } from './run-batch.js';

/** The stops the library returns rather than throws: the ones its caller asked for. */
export type CallerStop = Extract<StopReason, 'interrupted' | 'budget'>;

/** How the library's run ended (exported as BatchOutcome): `{}` when every record got its row. */
export interface LibraryOutcome extends Omit<EngineOutcome, 'stopped'> {
  /** Set when the caller's stopSignal, abortSignal or budget stopped the run before every record had a row. */
  stopped?: CallerStop;
}

/**
 * runBatch as the library exports it. A stop the run as a whole ran into (a rejected key, an
 * exhausted quota, an unreachable endpoint, a proxy, a refused response_format) is thrown as a
 * RunError with that `code` and the CLI's `exitCode`, once the rows answered before it are yielded:
 * a `for await` loop drops the generator's return value, so it would end as if all went well. A stop
 * the caller asked for (its `stopSignal`/`abortSignal`: `interrupted`; its `budget`: `budget`) is no
 * error: the loop ends, and the return value says why. The CLI reads every outcome itself and uses
 * the engine's runBatch.
 */
export async function* runBatch(records: BatchRecords, options: BatchOptions): AsyncGenerator<ResultRow, LibraryOutcome, undefined> {
  // As the CLI's --max-cost: a request with no max_tokens is sent with 4096, so its worst case has a
  // bound the budget can reserve; without one an answer could run as long as the server allows.
  // `options` may be anything here: the engine refuses what is no options object.
  const bounded = options?.budget && options.budgetMaxTokens === undefined ? { ...options, budgetMaxTokens: BUDGET_DEFAULT_MAX_TOKENS } : options;
  const outcome = yield* runEngine(records, bounded);
  const reason = outcome.stopped;
  if (reason !== undefined && isNamedStop(reason)) throw new RunError(`stopped (${reason}): ${outcome.message ?? reason}`, reason);
  // What is left is the caller's own stop: output_closed and output_failed are set by the CLI as it
  // writes rows, never by the engine.
  return outcome as LibraryOutcome;
}
