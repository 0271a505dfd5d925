import { columnValue, outputCell, type OutputColumn } from '../structured/columns.js';
import { keptNumberText, stringifyExact } from '../structured/exact-numbers.js';
import type { ErrorType, ResultRow, RowError } from '../types.js';

/**
 * The columns of a CSV written before rows had timestamps or several models (the "legacy" layout).
 * Every CSV we ever wrote starts with these (schema fields sit between `id` and `line`), so a
 * resume can tell the two layouts apart by the header and continue an old file in its own.
 */
export const LEGACY_CSV_COLUMNS: readonly string[] = Object.freeze([
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
]);

/**
 * Columns after the legacy ones: when the answer was asked for and came back (ISO 8601, ms), which
 * answer it is in a model × sample run (empty in a plain run's rows: sample 0 of the run's model),
 * whether it came from the response cache, and the Batch API batch it was collected from.
 */
export const CSV_ADDED_COLUMNS: readonly string[] = Object.freeze(['started_at', 'finished_at', 'requested_model', 'sample', 'cached', 'batch_id']);

/**
 * Of `prompt_tokens`, those the provider served from its prompt cache (`usage.cached_tokens`, billed
 * at the cached price); empty when the server reported none. Right after `completion_tokens` in files
 * written since it exists; a file without it is continued without it (its header decides).
 */
export const CACHED_TOKENS_COLUMN = 'cached_tokens';

/** The result columns of a CSV written before {@link CACHED_TOKENS_COLUMN} existed (and after the added ones did). */
export const PRE_CACHED_TOKENS_CSV_COLUMNS: readonly string[] = Object.freeze([...LEGACY_CSV_COLUMNS, ...CSV_ADDED_COLUMNS]);

/** CSV header, in order. `error` and `usage` are flattened so the file opens cleanly in a spreadsheet. */
export const CSV_COLUMNS: readonly string[] = Object.freeze([...LEGACY_CSV_COLUMNS, CACHED_TOKENS_COLUMN, ...CSV_ADDED_COLUMNS]);

/**
 * Columns only a run that asks for them has (`tools`, `logprobs`), after {@link CSV_COLUMNS} in this
 * order: compact JSON of the row's `tool_calls` and `logprobs`, empty when the answer had none.
 */
export const ANSWER_PART_COLUMNS = Object.freeze(['tool_calls', 'logprobs'] as const);
export type AnswerPartColumn = (typeof ANSWER_PART_COLUMNS)[number];

/** First characters that make a spreadsheet read a cell as a formula (ASCII and full-width = + - @, tab, CR). */
const FORMULA_START = '=+-@\t\r\uFF1D\uFF0B\uFF0D\uFF20';

/** A plain number (`-1`, `+2.5`, `-3e4`) is data a spreadsheet shows as a number, never a formula. */
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A value that already looks like an escaped formula: one or more `'` then a formula start character. */
function looksEscaped(value: string): boolean {
  let i = 0;
  while (value[i] === "'") i++;
  const next = value[i];
  return i > 0 && next !== undefined && FORMULA_START.includes(next);
}

/**
 * With --csv-escape-formulas: `=x` becomes `'=x`, and a value that already looks escaped gets one
 * more `'`, so reading strips exactly one `'` and write → read is an exact round trip. Plain
 * numbers are left alone: `-1` is a number in a spreadsheet, not a formula.
 */
export function escapeCell(value: string): string {
  if (looksEscaped(value)) return `'${value}`;
  const first = value[0];
  return first !== undefined && FORMULA_START.includes(first) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

/** Undoes {@link escapeCell} on one cell. */
export function unescapeCell(value: string): string {
  return looksEscaped(value) ? value.slice(1) : value;
}

/**
 * Flattens a row into the cells of {@link CSV_COLUMNS} (of {@link LEGACY_CSV_COLUMNS} for a file
 * continued in the old layout, of {@link PRE_CACHED_TOKENS_CSV_COLUMNS} without `cachedTokens`),
 * then one cell per kept input field. Nulls and absent optional fields become ''.
 */
export function rowToCsvRecord(
  row: ResultRow,
  escapeFormulas = false,
  keptFields: readonly string[] = [],
  outputColumns: readonly OutputColumn[] = [],
  legacy = false,
  answerColumns: readonly AnswerPartColumn[] = [],
  cachedTokens = true,
): string[] {
  const e = row.error;
  const cells = [
    row.id,
    // A schema's fields, right after id (see structured/columns.ts).
    ...outputColumns.map((c) => outputCell(columnValue(row.output, c))),
    String(row.line),
    row.prompt,
    row.response ?? '',
    e?.type ?? '',
    e?.message ?? '',
    e?.status === undefined ? '' : String(e.status),
    e?.code ?? '',
    String(row.attempts),
    row.latency_ms === null ? '' : String(row.latency_ms),
    row.model ?? '',
    row.finish_reason ?? '',
    row.usage === null ? '' : String(row.usage.prompt_tokens),
    row.usage === null ? '' : String(row.usage.completion_tokens),
  ];
  if (!legacy) {
    if (cachedTokens) cells.push(row.usage?.cached_tokens === undefined ? '' : String(row.usage.cached_tokens));
    cells.push(
      row.started_at ?? '',
      row.finished_at ?? '',
      row.requested_model ?? '',
      row.sample === undefined ? '' : String(row.sample),
      row.cached ? 'true' : '',
      row.batch_id ?? '',
    );
  }
  for (const column of answerColumns) {
    const value = row[column];
    cells.push(value === undefined ? '' : JSON.stringify(value));
  }
  // Own fields only: a row without a kept `__proto__` or `constructor` would otherwise show Object's.
  for (const field of keptFields) cells.push(keptCell(row.input && Object.hasOwn(row.input, field) ? row.input[field] : undefined));
  return escapeFormulas ? cells.map(escapeCell) : cells;
}

/** A kept input value as one cell: strings as they are, other JSON values as JSON (numbers as written), absent as ''. */
function keptCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : (keptNumberText(value) ?? stringifyExact(value));
}

/**
 * Inverse of {@link rowToCsvRecord} for a record keyed by column name (as parsed from the file).
 * CSV has no null, so empty cells are read as:
 * - `response`: null for a failed row (non-empty error_type), '' for a successful one;
 * - `model`, `finish_reason`, `latency_ms`: null;
 * - `error_status`, `error_code`: absent;
 * - usage: null when both token cells are empty; `cached_tokens` absent when its cell is empty or
 *   the file has no such column (an older file: what was cached is not known);
 * - `started_at`, `finished_at`, `requested_model`, `sample`, `batch_id`: absent (as in a row of a
 *   file without these columns; a never-sent row's null timestamps and absent ones mean the same);
 * - `cached`: absent unless 'true'.
 * - `tool_calls`, `logprobs` (when the file has them): absent when empty, else their JSON.
 * `kept` holds the kept input fields' cells by field name (into `row.input`), read apart from the
 * result columns so that a kept field named like one never takes its place.
 * Throws a plain Error naming the column when a number cell is not a number.
 */
export function csvRecordToRow(record: Record<string, string>, escapedFormulas = false, kept?: Record<string, string>): ResultRow {
  const cell = (name: string): string => (escapedFormulas ? unescapeCell(record[name] ?? '') : (record[name] ?? ''));
  const num = (name: string): number => {
    const raw = cell(name);
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(n)) throw new Error(`column "${name}" must be a number, got ${JSON.stringify(raw)}`);
    return n;
  };
  const optNum = (name: string): number | null => (cell(name) === '' ? null : num(name));
  const jsonCell = (name: string): unknown => {
    const raw = cell(name);
    if (raw === '') return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      throw new Error(`column "${name}" must be JSON, got ${JSON.stringify(raw.slice(0, 40))}`);
    }
  };
  const optStr = (name: string): string | null => {
    const v = cell(name);
    return v === '' ? null : v;
  };

  const errorType = cell('error_type');
  let error: RowError | null = null;
  if (errorType !== '') {
    error = { type: errorType as ErrorType, message: cell('error_message') };
    const status = optNum('error_status');
    if (status !== null) error.status = status;
    const code = optStr('error_code');
    if (code !== null) error.code = code;
  }
  const promptTokens = optNum('prompt_tokens');
  const completionTokens = optNum('completion_tokens');
  const response = cell('response');
  const row: ResultRow = {
    id: cell('id'),
    line: num('line'),
    prompt: cell('prompt'),
    response: response === '' && error !== null ? null : response,
    error,
    attempts: num('attempts'),
    latency_ms: optNum('latency_ms'),
    model: optStr('model'),
    finish_reason: optStr('finish_reason'),
    usage: promptTokens === null && completionTokens === null ? null : { prompt_tokens: promptTokens ?? 0, completion_tokens: completionTokens ?? 0 },
  };
  const cachedTokens = optNum(CACHED_TOKENS_COLUMN);
  if (cachedTokens !== null && row.usage) row.usage.cached_tokens = cachedTokens;
  const startedAt = optStr('started_at');
  if (startedAt !== null) row.started_at = startedAt;
  const finishedAt = optStr('finished_at');
  if (finishedAt !== null) row.finished_at = finishedAt;
  const requestedModel = optStr('requested_model');
  if (requestedModel !== null) row.requested_model = requestedModel;
  const sample = optNum('sample');
  if (sample !== null) row.sample = sample;
  if (cell('cached') === 'true') row.cached = true;
  const batchId = optStr('batch_id');
  if (batchId !== null) row.batch_id = batchId;
  const toolCalls = jsonCell('tool_calls');
  if (toolCalls !== undefined) row.tool_calls = toolCalls as ResultRow['tool_calls'];
  const logprobs = jsonCell('logprobs');
  if (logprobs !== undefined) row.logprobs = logprobs as ResultRow['logprobs'];
  if (kept !== undefined) {
    row.input = Object.fromEntries(Object.entries(kept).map(([field, raw]) => [field, escapedFormulas ? unescapeCell(raw) : raw]));
  }
  return row;
}
