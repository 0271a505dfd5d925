import type { ErrorType, ResultRow, RowError, Usage } from '../types.js';
import { isPlainObject } from '../util/is-plain-object.js';

/**
 * Rebuilds a row with its keys in ResultRow order (id, line, prompt, response, error, attempts,
 * latency_ms, started_at and finished_at when set, model, finish_reason, usage, then tool_calls,
 * logprobs and reasoning when the answer has them) and without any
 * extra keys, so every JSONL line has the same shape no matter how the caller built the object.
 * RowError keeps type, message, status?, code?. `output` (--json-schema / --json) and `input`
 * (--keep-fields) come last, only when present.
 */
export function normalizeRow(row: ResultRow): ResultRow {
  // Assigned one by one, not spread from conditional literals: this runs for every row written,
  // and each `...(cond ? { k } : {})` cost an object and a slow copy (issue 16).
  const out: ResultRow = {
    id: row.id,
    line: row.line,
    prompt: row.prompt,
    response: row.response,
    error: row.error === null ? null : normalizeError(row.error),
    attempts: row.attempts,
    latency_ms: row.latency_ms,
  } as ResultRow;
  if (row.started_at !== undefined) out.started_at = row.started_at;
  if (row.finished_at !== undefined) out.finished_at = row.finished_at;
  out.model = row.model;
  out.finish_reason = row.finish_reason;
  out.usage = row.usage === null ? null : normalizeUsage(row.usage);
  if (row.tool_calls !== undefined) out.tool_calls = row.tool_calls;
  if (row.logprobs !== undefined) out.logprobs = row.logprobs;
  if (row.reasoning !== undefined) out.reasoning = row.reasoning;
  if (row.batch_id !== undefined) out.batch_id = row.batch_id;
  if (row.requested_model !== undefined) out.requested_model = row.requested_model;
  if (row.sample !== undefined) out.sample = row.sample;
  if (row.cached) out.cached = true;
  if (row.output !== undefined) out.output = row.output;
  if (row.input !== undefined) out.input = row.input;
  return out;
}

/** `cached_tokens` (prompt tokens the provider served from its prompt cache) only when reported: it prices lower. */
function normalizeUsage(usage: Usage): Usage {
  const out: Usage = { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens };
  if (usage.cached_tokens !== undefined) out.cached_tokens = usage.cached_tokens;
  return out;
}

function normalizeError(error: RowError): RowError {
  const out: RowError = { type: error.type, message: error.message };
  if (error.status !== undefined) out.status = error.status;
  if (error.code !== undefined) out.code = error.code;
  return out;
}

/**
 * Checks that a parsed JSON value is a result row and returns it normalized.
 * Throws a plain Error whose message says what is wrong; the reader adds file:line.
 */
export function rowFromJson(value: unknown): ResultRow {
  if (!isPlainObject(value)) throw new Error('not a JSON object');
  const row: ResultRow = {
    id: req(value, 'id', isString, 'a string'),
    line: req(value, 'line', isNumber, 'a number'),
    prompt: req(value, 'prompt', isString, 'a string'),
    response: req(value, 'response', nullable(isString), 'a string or null'),
    error: null,
    attempts: req(value, 'attempts', isNumber, 'a number'),
    latency_ms: req(value, 'latency_ms', nullable(isNumber), 'a number or null'),
    model: req(value, 'model', nullable(isString), 'a string or null'),
    finish_reason: req(value, 'finish_reason', nullable(isString), 'a string or null'),
    usage: null,
  };
  for (const key of ['started_at', 'finished_at'] as const) {
    if (value[key] !== undefined) row[key] = req(value, key, nullable(isString), 'a string or null');
  }
  const error = value['error'];
  if (error !== null) {
    if (!isPlainObject(error)) throw new Error('"error" must be an object or null');
    const e: RowError = {
      type: req(error, 'type', isString, 'a string', 'error.') as ErrorType,
      message: req(error, 'message', isString, 'a string', 'error.'),
    };
    if (error['status'] !== undefined) e.status = req(error, 'status', isNumber, 'a number', 'error.');
    if (error['code'] !== undefined) e.code = req(error, 'code', isString, 'a string', 'error.');
    row.error = e;
  }
  if (value['requested_model'] !== undefined) row.requested_model = req(value, 'requested_model', isString, 'a string');
  if (value['sample'] !== undefined) row.sample = req(value, 'sample', isNumber, 'a number');
  if (value['cached'] === true) row.cached = true;
  const usage = value['usage'];
  if (usage !== null && usage !== undefined) {
    if (!isPlainObject(usage)) throw new Error('"usage" must be an object or null');
    const u: Usage = {
      prompt_tokens: req(usage, 'prompt_tokens', isNumber, 'a number', 'usage.'),
      completion_tokens: req(usage, 'completion_tokens', isNumber, 'a number', 'usage.'),
    };
    if (usage['cached_tokens'] !== undefined) u.cached_tokens = req(usage, 'cached_tokens', isNumber, 'a number', 'usage.');
    row.usage = u;
  }
  const toolCalls = value['tool_calls'];
  if (toolCalls !== undefined) {
    if (!Array.isArray(toolCalls)) throw new Error('"tool_calls" must be an array');
    row.tool_calls = toolCalls as ResultRow['tool_calls'];
  }
  const logprobs = value['logprobs'];
  if (logprobs !== undefined) {
    if (!isPlainObject(logprobs)) throw new Error('"logprobs" must be an object');
    row.logprobs = logprobs;
  }
  const reasoning = value['reasoning'];
  if (reasoning !== undefined) {
    if (typeof reasoning !== 'string') throw new Error('"reasoning" must be a string');
    row.reasoning = reasoning;
  }
  if (value['output'] !== undefined) row.output = value['output'];
  const input = value['input'];
  if (input !== undefined) {
    if (!isPlainObject(input)) throw new Error('"input" must be an object');
    row.input = input;
  }
  if (typeof value['batch_id'] === 'string') row.batch_id = value['batch_id'];
  return row;
}

function req<T>(obj: Record<string, unknown>, key: string, check: (v: unknown) => v is T, expected: string, prefix = ''): T {
  const v = obj[key];
  if (!check(v)) {
    throw new Error(v === undefined ? `missing "${prefix}${key}"` : `"${prefix}${key}" must be ${expected}`);
  }
  return v;
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}
function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
function nullable<T>(check: (v: unknown) => v is T): (v: unknown) => v is T | null {
  return (v: unknown): v is T | null => v === null || check(v);
}
