/**
 * The CSV columns in the order README (Output) documents, without schema or kept fields. Written
 * out here rather than imported from src/, so that a change of order in the code fails the tests.
 */
export const CSV_COLUMNS: readonly string[] = [
  'id',
  'line',
  'prompt',
  'response',
  'error_type',
  'error_message',
  'error_status',
  'error_code',
  'attempts',
  'latency_ms',
  'model',
  'finish_reason',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'started_at',
  'finished_at',
  'requested_model',
  'sample',
  'cached',
  'batch_id',
];

/** The columns of a CSV written before `cached_tokens` existed (llm-batch up to session 9). */
export const PRE_CACHED_TOKENS_CSV_COLUMNS: readonly string[] = CSV_COLUMNS.filter((c) => c !== 'cached_tokens');
