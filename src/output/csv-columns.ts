import { columnValue, outputCell, type OutputColumn } from '../structured/columns.js';
import type { ErrorType, ResultRow, RowError } from '../types.js';

/** CSV header, in order. `error` and `usage` are flattened so the file opens cleanly in a spreadsheet. */
export const CSV_COLUMNS: readonly string[] = Object.freeze([
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
 * Flattens a row into the cells of {@link CSV_COLUMNS}, then one cell per kept input field.
 * Nulls and absent optional fields become ''.
 */
export function rowToCsvRecord(
  row: ResultRow,
  escapeFormulas = false,
  keptFields: readonly string[] = [],
  outputColumns: readonly OutputColumn[] = [],
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
  for (const field of keptFields) cells.push(keptCell(row.input?.[field]));
  return escapeFormulas ? cells.map(escapeCell) : cells;
}

/** A kept input value as one cell: strings as they are, other JSON values as JSON, absent as ''. */
function keptCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Inverse of {@link rowToCsvRecord} for a record keyed by column name (as parsed from the file).
 * CSV has no null, so empty cells are read as:
 * - `response`: null for a failed row (non-empty error_type), '' for a successful one;
 * - `model`, `finish_reason`, `latency_ms`: null;
 * - `error_status`, `error_code`: absent;
 * - usage: null when both token cells are empty.
 * `keptFields` maps extra column names to the input fields they carry (into `row.input`).
 * Throws a plain Error naming the column when a number cell is not a number.
 */
export function csvRecordToRow(record: Record<string, string>, escapedFormulas = false, keptFields: ReadonlyMap<string, string> = new Map()): ResultRow {
  const cell = (name: string): string => (escapedFormulas ? unescapeCell(record[name] ?? '') : (record[name] ?? ''));
  const num = (name: string): number => {
    const raw = cell(name);
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(n)) throw new Error(`column "${name}" must be a number, got ${JSON.stringify(raw)}`);
    return n;
  };
  const optNum = (name: string): number | null => (cell(name) === '' ? null : num(name));
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
  if (keptFields.size > 0) row.input = Object.fromEntries([...keptFields].map(([column, field]) => [field, cell(column)]));
  return row;
}
