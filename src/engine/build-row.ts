import type { AttemptError, CompletionRequest, CompletionResult } from '../provider/completion.js';
import type { PromptRecord, ResultRow, RowError } from '../types.js';
import type { BatchStats } from './stats.js';

export const toRowError = (e: AttemptError): RowError => ({
  type: e.type,
  message: e.message,
  ...(e.info.status !== undefined ? { status: e.info.status } : {}),
  ...(e.info.code !== undefined ? { code: e.info.code } : {}),
});

function baseRow(record: PromptRecord): Omit<ResultRow, 'response' | 'error' | 'attempts' | 'latency_ms' | 'model' | 'finish_reason' | 'usage'> {
  return { id: record.id, line: record.line, prompt: record.prompt };
}

/** The row of an answered record; counts it (and its tokens) in `stats`. */
export function successRow(
  record: PromptRecord,
  request: CompletionRequest,
  outcome: { result: CompletionResult; latencyMs: number },
  attempts: number,
  stats: BatchStats,
): ResultRow {
  const { result } = outcome;
  stats.ok++;
  if (result.usage) {
    stats.promptTokens += result.usage.prompt_tokens;
    stats.completionTokens += result.usage.completion_tokens;
  } else {
    stats.rowsWithoutUsage++;
  }
  return {
    ...baseRow(record),
    response: result.text,
    error: null,
    attempts,
    latency_ms: Math.round(outcome.latencyMs),
    model: result.model ?? request.model,
    finish_reason: result.finishReason,
    usage: result.usage,
  };
}

/** The row of a failed record; counts it by error type in `stats`. */
export function failureRow(record: PromptRecord, error: RowError, attempts: number, stats: BatchStats): ResultRow {
  stats.failed++;
  stats.failedByType[error.type] = (stats.failedByType[error.type] ?? 0) + 1;
  return {
    ...baseRow(record), response: null, error,
    attempts, latency_ms: null, model: null, finish_reason: null, usage: null,
  };
}
