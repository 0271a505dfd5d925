import type { AttemptError, CompletionRequest, CompletionResult } from '../provider/completion.js';
import { refusedError, truncatedError, type PromptRecord, type ResultRow, type RowError, type Usage } from '../types.js';
import { countFinish, type BatchStats } from './stats.js';
import { cutOffAt } from '../finish-reason.js';
import type { CachedAnswer } from '../cache/response-store.js';
import { withAnswerParts } from '../provider/answer-parts.js';

/** Wall-clock bounds of one attempt (ISO 8601 with ms), so reports can draw a run over time. */
export interface AttemptTimes {
  startedAt: string;
  finishedAt: string;
}

export const toRowError = (e: AttemptError): RowError => ({
  type: e.type,
  message: e.message,
  ...(e.info.status !== undefined ? { status: e.info.status } : {}),
  ...(e.info.code !== undefined ? { code: e.info.code } : {}),
});

type RecordFields = Pick<ResultRow, 'input' | 'requested_model' | 'sample'>;

type BaseRow = Omit<ResultRow, 'response' | 'error' | 'attempts' | 'latency_ms' | 'model' | 'finish_reason' | 'usage'>;

function baseRow(record: PromptRecord): BaseRow {
  const row: BaseRow = { id: record.id, line: record.line, prompt: record.prompt };
  return withRecordFields(row, record);
}

/** What a row carries of its record besides id, line and prompt: kept input fields, a matrix cell. */
function withRecordFields<T extends RecordFields>(row: T, record: PromptRecord): T {
  if (record.fields) row.input = record.fields;
  // A matrix record (several models, --repeat) says which answer it is.
  if (record.sample !== undefined) {
    row.requested_model = record.params.model ?? '';
    row.sample = record.sample;
  }
  return row;
}

/**
 * The row of an answered record; counts it (and its tokens) in `stats`. An answer cut off at the
 * token limit is counted as truncated and, with `failTruncated`, is a failure of type `truncated`
 * that keeps the partial answer.
 */
export function successRow(
  record: PromptRecord,
  request: CompletionRequest,
  outcome: { result: CompletionResult; latencyMs: number } & AttemptTimes,
  attempts: number,
  stats: BatchStats,
  failTruncated = false,
): ResultRow {
  const { result } = outcome;
  if (result.refusal && !result.text) {
    // Refused outside --json-schema/--json (a response_format passed by --param): the same failed row.
    const refused = invalidRow(record, request, outcome, attempts, refusedError(result.refusal).message, stats);
    delete refused.output;
    return refused;
  }
  if (result.usage) {
    stats.promptTokens += result.usage.prompt_tokens;
    stats.completionTokens += result.usage.completion_tokens;
  } else {
    stats.rowsWithoutUsage++;
  }
  const answered = {
    latency_ms: Math.round(outcome.latencyMs),
    started_at: outcome.startedAt,
    finished_at: outcome.finishedAt,
    model: result.model ?? request.model,
    finish_reason: result.finishReason,
    usage: result.usage,
  };
  countFinish(stats, result.finishReason);
  if (failTruncated && cutOffAt(result.finishReason)) {
    // Paid for and kept: the partial answer stays in the row next to the error.
    const error = truncatedError(request.max_tokens, result.finishReason ?? undefined);
    return withAnswerParts({ ...failureRow(record, error, attempts, stats), response: result.text, ...answered }, result);
  }
  stats.ok++;
  // One literal, not spreads of baseRow and `answered`: every answered prompt comes through here.
  const row: ResultRow = {
    id: record.id,
    line: record.line,
    prompt: record.prompt,
    response: result.text,
    error: null,
    attempts,
    latency_ms: answered.latency_ms,
    started_at: answered.started_at,
    finished_at: answered.finished_at,
    model: answered.model,
    finish_reason: answered.finish_reason,
    usage: answered.usage,
  };
  return withAnswerParts(withRecordFields(row, record), result);
}

/**
 * Whether a stored answer may stand for a request. Under --fail-truncated a cut-off answer is a
 * failure, and failures are asked again (as an answer that fails --json-schema is): served from the
 * cache it would turn a cron job's failed night into a green one, and `--retry-failed` into nothing.
 */
export const usableHit = (hit: CachedAnswer, failTruncated: boolean): boolean => !(failTruncated && cutOffAt(hit.finishReason));

/**
 * The row of an answer from the response cache: no attempt, no tokens counted, no cost. A cut-off
 * answer counts as truncated, as it did when it was bought (under --fail-truncated it is no hit:
 * see {@link usableHit}).
 */
export function cachedRow(record: PromptRecord, request: Pick<CompletionRequest, 'model'>, hit: CachedAnswer, stats: BatchStats): ResultRow {
  stats.ok++;
  stats.cached++;
  countFinish(stats, hit.finishReason);
  const row: ResultRow = {
    ...baseRow(record),
    response: hit.text,
    error: null,
    attempts: 0,
    latency_ms: 0,
    // Nothing was sent: null, as README's row table has it (not absent, which strict readers reject).
    started_at: null,
    finished_at: null,
    model: hit.model ?? request.model,
    finish_reason: hit.finishReason,
    usage: hit.usage,
    cached: true,
  };
  return withAnswerParts(row, hit);
}

export function countFailure(stats: BatchStats, error: RowError): void {
  stats.failed++;
  stats.failedByType[error.type] = (stats.failedByType[error.type] ?? 0) + 1;
}

/** An invalid answer, paid for, whose re-ask is on its way; `attempt` brought the answer. */
export interface AwaitingReask {
  outcome: { result: CompletionResult; latencyMs: number } & AttemptTimes;
  message: string;
  attempt: number;
}

/**
 * The row of a failed record; counts it by error type in `stats`. `times` is the last attempt's
 * (none for a record that was never sent). `awaiting`: the record's re-ask failed so (its retries
 * spent, or an error no retry mends). The row keeps the invalid answer's text, as an `aborted` or
 * `invalid_output` row does, and says why it was re-asked: the error alone told nothing of an
 * answer that came and was paid for.
 */
export function failureRow(
  record: PromptRecord,
  error: RowError,
  attempts: number,
  stats: BatchStats,
  times?: AttemptTimes,
  awaiting?: AwaitingReask,
): ResultRow {
  countFailure(stats, error);
  return {
    ...baseRow(record),
    response: awaiting ? awaiting.outcome.result.text : null,
    error: awaiting ? { ...error, message: `${error.message} (while re-asking an invalid answer: ${awaiting.message})` } : error,
    attempts,
    latency_ms: null,
    started_at: times?.startedAt ?? null,
    finished_at: times?.finishedAt ?? null,
    model: null,
    finish_reason: null,
    usage: null,
  };
}

/**
 * A failed row of a record whose earlier answers were paid for (an invalid answer, then a re-ask
 * that failed): their usage goes on the row and into the totals, as an invalid row's does.
 */
export function withPaidUsage(row: ResultRow, paid: Usage | null, stats: BatchStats): ResultRow {
  if (!paid || row.usage) return row;
  stats.promptTokens += paid.prompt_tokens;
  stats.completionTokens += paid.completion_tokens;
  return { ...row, usage: paid };
}

/**
 * The row of an answer that never validated (a schema or --json): an error row that keeps the raw
 * text in `response` for inspection, and the answer's usage, model and timing (it was paid for).
 * A cut-off answer counts as truncated too, so live and --batch-api runs count the same answer alike;
 * with `failTruncated` its type is `truncated`, as a cut answer's that validated is.
 */
export function invalidRow(
  record: PromptRecord,
  request: CompletionRequest,
  outcome: { result: CompletionResult; latencyMs: number } & AttemptTimes,
  attempts: number,
  message: string,
  stats: BatchStats,
  failTruncated = false,
): ResultRow {
  const type = failTruncated && cutOffAt(outcome.result.finishReason) ? 'truncated' : 'invalid_output';
  return answeredFailureRow(record, request, outcome, attempts, { type, message }, stats);
}

/**
 * The row of a record whose invalid answer the run's own stop (--max-cost, a signal) kept from being
 * re-asked: `aborted`, so a plain --resume asks again, and it keeps the answers it paid for (their
 * text and usage), which every cost figure built from rows must count.
 */
export function stoppedBeforeReaskRow(
  record: PromptRecord,
  request: CompletionRequest,
  awaiting: AwaitingReask,
  attempts: number,
  stats: BatchStats,
): ResultRow {
  // A re-ask sent and then cut off was asked: the row should not say it never was.
  const when = attempts > awaiting.attempt ? 'while this answer was being asked again' : 'before this answer could be asked again';
  const message = `the run stopped ${when} (${awaiting.message}); --resume asks again`;
  return answeredFailureRow(record, request, awaiting.outcome, attempts, { type: 'aborted', message }, stats);
}

/** A failed row that keeps an answer it paid for: its text, usage, model and timing. */
function answeredFailureRow(
  record: PromptRecord,
  request: CompletionRequest,
  outcome: { result: CompletionResult; latencyMs: number } & AttemptTimes,
  attempts: number,
  error: RowError,
  stats: BatchStats,
): ResultRow {
  const { result } = outcome;
  countFailure(stats, error);
  // Cut off at the token limit is counted as such whatever else went wrong, as a collected batch row is.
  countFinish(stats, result.finishReason);
  if (result.usage) {
    stats.promptTokens += result.usage.prompt_tokens;
    stats.completionTokens += result.usage.completion_tokens;
  } else {
    stats.rowsWithoutUsage++;
  }
  return {
    ...baseRow(record),
    response: result.refusal && !result.text ? result.refusal : result.text,
    error,
    attempts,
    latency_ms: Math.round(outcome.latencyMs),
    started_at: outcome.startedAt,
    finished_at: outcome.finishedAt,
    model: result.model ?? request.model,
    finish_reason: result.finishReason,
    usage: result.usage,
    output: null,
  };
}
