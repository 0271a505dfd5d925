import type { ErrorType, ResultRow } from '../types.js';
import { cutAtContext, cutOffAt } from '../finish-reason.js';

/** Live counters of a run; the engine updates them, displays and summaries read them. */
export interface BatchStats {
  startedAt: number;
  /** Records read from the input so far. */
  read: number;
  ok: number;
  failed: number;
  failedByType: Partial<Record<ErrorType, number>>;
  /** Records skipped because an earlier run already answered them (set by the caller). */
  skipped: number;
  /** Of those, records whose last row is an error (a resume without --retry-failed keeps it). */
  skippedFailed: number;
  /** Of `ok`, answers taken from the response cache (no request, no tokens counted, no cost). */
  cached: number;
  inFlight: number;
  requests: number;
  retries: number;
  /** Answers asked again because they were not valid JSON or failed the schema. */
  reasks: number;
  rateLimited: number;
  promptTokens: number;
  completionTokens: number;
  /** Rows that reported no usage (their tokens are not in the totals). */
  rowsWithoutUsage: number;
  /**
   * Attempts cut off after they were sent (a reset stream, a timeout, a stop): the provider may have
   * billed what it generated, and no usage says how much (as --max-cost charges them).
   */
  attemptsCutOff: number;
  /** Answers cut off by the token limit (finish_reason `length`, Mistral's `model_length`), failed or not. */
  truncated: number;
  /** Of `truncated`, answers cut at the model's context length (`model_length`), which no --max-tokens mends. */
  truncatedAtContext: number;
  /** Answers the server's content filter stopped (finish_reason `content_filter`), failed or not. */
  filtered: number;
  /**
   * Set while requests wait on a pace the server announced (`x-ratelimit-limit-requests`): that
   * pace, per minute. A display says why nothing is in flight ("pacing to N/min (server limit)").
   */
  serverPacePerMinute?: number | undefined;
  /** That pace is the one the server's tokens-a-minute limit allows ("(server token limit)"). */
  serverPaceByTokens?: true | undefined;
}

export function createStats(now = performance.now()): BatchStats {
  return {
    startedAt: now,
    read: 0,
    ok: 0,
    failed: 0,
    failedByType: {},
    skipped: 0,
    skippedFailed: 0,
    cached: 0,
    inFlight: 0,
    requests: 0,
    retries: 0,
    reasks: 0,
    rateLimited: 0,
    promptTokens: 0,
    completionTokens: 0,
    rowsWithoutUsage: 0,
    attemptsCutOff: 0,
    truncated: 0,
    truncatedAtContext: 0,
    filtered: 0,
  };
}

/**
 * Counts how an answer ended where the summary says it: cut at the token limit, or stopped by a
 * content filter, answered or failed. `by` -1 takes a row back out (see uncountRow).
 */
export function countFinish(stats: BatchStats, finishReason: string | null | undefined, by: 1 | -1 = 1): void {
  if (cutOffAt(finishReason)) {
    stats.truncated += by;
    if (cutAtContext(finishReason)) stats.truncatedAtContext += by;
  } else if (finishReason === 'content_filter') stats.filtered += by;
}

/**
 * Takes a row back out of the counts when it could not be written (a full disk): the summary then
 * counts what the output holds, and the row is among those not run, which a --resume asks again.
 * Its requests and tokens stay: they were sent and paid for.
 */
export function uncountRow(stats: BatchStats, row: ResultRow): void {
  countFinish(stats, row.finish_reason, -1);
  if (row.error) {
    stats.failed--;
    const left = (stats.failedByType[row.error.type] ?? 1) - 1;
    if (left > 0) stats.failedByType[row.error.type] = left;
    else delete stats.failedByType[row.error.type];
    return;
  }
  stats.ok--;
  if (row.cached) stats.cached--;
}
