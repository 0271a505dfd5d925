import { RunError, isNamedStop } from '../errors.js';
import { BUDGET_DEFAULT_MAX_TOKENS } from '../budget/run-budget.js';
import type { ResultRow } from '../types.js';
import type { BatchOptions } from './batch-options.js';
import type { BatchRecords } from './batch-records.js';
import { runBatch as runEngine, type BatchOutcome } from './run-batch.js';

/**
 * runBatch as the library exports it. A stop the run as a whole ran into (a rejected key, an
 * exhausted quota, an unreachable endpoint, a proxy, a refused response_format) is thrown as a
 * RunError with that `code` and the CLI's `exitCode`, once the rows answered before it are yielded:
 * a `for await` loop drops the generator's return value, so it would end as if all went well. A stop
 * the caller asked for (its `stopSignal`/`abortSignal`: `interrupted`; its `budget`: `budget`) is no
 * error: the loop ends, and the return value says why. The CLI reads every outcome itself and uses
 * the engine's runBatch.
 */
export async function* runBatch(records: BatchRecords, options: BatchOptions): AsyncGenerator<ResultRow, BatchOutcome, undefined> {
  // As the CLI's --max-cost: a request with no max_tokens is sent with 4096, so its worst case has a
  // bound the budget can reserve; without one an answer could run as long as the server allows.
  // `options` may be anything here: the engine refuses what is no options object.
  const bounded = options?.budget && options.budgetMaxTokens === undefined ? { ...options, budgetMaxTokens: BUDGET_DEFAULT_MAX_TOKENS } : options;
  const outcome = yield* runEngine(records, bounded);
  const reason = outcome.stopped;
  if (reason !== undefined && isNamedStop(reason)) throw new RunError(`stopped (${reason}): ${outcome.message ?? reason}`, reason);
  return outcome;
}
