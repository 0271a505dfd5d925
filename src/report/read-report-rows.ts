import { putEntry } from '../structured/put-entry.js';
import type { Info } from 'csv-parse';
import { Readable, pipeline } from 'node:stream';
import { RunError } from '../errors.js';
import { readCompleteChunks, splitLines, type TailInfo } from '../output/complete-lines.js';
import { CACHED_TOKENS_COLUMN, CSV_COLUMNS, unescapeCell } from '../output/csv-columns.js';
import { csvHeaderShape } from '../output/csv-layout.js';
import { endingAtOpenQuote, openRecordLine, unclosedQuote, wholeRecordAfterOpenQuote } from '../output/open-quote.js';
import { keepNumbersAsWritten, withOutputAsWritten } from '../structured/exact-numbers.js';
import { stripFence } from '../structured/strip-fence.js';
import { isPlainObject } from '../util/is-plain-object.js';
import type { ReportRow } from './report-row.js';
import type { FileSnapshot } from '../output/file-snapshot.js';

/** Columns of ours in a results CSV that are not structured-output fields. */
const KNOWN_CSV = new Set(CSV_COLUMNS);

/**
 * A number field of a JSONL row: null when absent or null, refused when it is something else (as
 * --compact, merge and --resume refuse it): `"attempts": "x"` was read as 1 attempt.
 */
function num(v: unknown, key: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new Error(`"${key}" must be a number`);
}
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function time(v: unknown): number | null {
  if (typeof v !== 'string' || v === '') return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

function bad(path: string, line: number, reason: string): RunError {
  return new RunError(`${path}:${line}: ${reason}; llm-batch report reads the JSONL or CSV results of a run`, 'input');
}

/** Columns every results CSV has, whatever its layout or age: without them it is not one. */
const REQUIRED_CSV = ['id', 'prompt', 'response'];
/** Header names shown in a refusal, at most. */
const SHOW_COLUMNS = 12;

/**
 * Refuses a CSV that is not a results file from its header, before any row: a header-only file
 * (or one whose rows are all torn) would otherwise make an empty report of someone else's data.
 */
function checkResultsHeader(path: string, header: readonly string[]): void {
  const missing = REQUIRED_CSV.filter((name) => !header.includes(name));
  if (missing.length === 0) return;
  const names = header.slice(0, SHOW_COLUMNS).map((name) => JSON.stringify(name));
  const columns = names.join(', ') + (header.length > SHOW_COLUMNS ? ', …' : '');
  const quoted = missing.map((name) => `"${name}"`);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
  throw bad(path, 1, `not a results header: no ${list} column${missing.length === 1 ? '' : 's'} (columns: ${columns})`);
}

/** One parsed JSONL value to a report row; throws a reason when it is not a result row. */
export function reportRowFromJson(value: unknown): ReportRow {
  if (!isObject(value)) throw new Error('not a JSON object');
  const id = value['id'];
  if (typeof id !== 'string' && typeof id !== 'number') throw new Error('missing "id"');
  if (!('response' in value) && !('error' in value)) throw new Error('neither "response" nor "error"');
  // As --compact, merge and --resume refuse them: `"error": "boom"` was read as no error, an answer.
  for (const key of ['error', 'usage']) {
    const v = value[key];
    if (v !== undefined && v !== null && !isObject(v)) throw new Error(`"${key}" must be an object or null`);
  }
  const error = isObject(value['error']) ? value['error'] : null;
  const usage = isObject(value['usage']) ? value['usage'] : null;
  const output = value['output'];
  return {
    id: String(id),
    line: num(value['line'], 'line') ?? 0,
    prompt: str(value['prompt']) ?? '',
    response: str(value['response']),
    errorType: error ? (str(error['type']) ?? 'unknown') : null,
    errorMessage: error ? (str(error['message']) ?? '') : null,
    errorStatus: error ? num(error['status'], 'error.status') : null,
    errorCode: error ? str(error['code']) : null,
    attempts: num(value['attempts'], 'attempts') ?? 1,
    latencyMs: num(value['latency_ms'], 'latency_ms'),
    startedMs: time(value['started_at']),
    finishedMs: time(value['finished_at']),
    // The model asked for groups a comparison: a failed row has no answering model, but was asked of one.
    model: str(value['requested_model']) ?? str(value['model']),
    requestedModel: str(value['requested_model']),
    servedModel: str(value['model']),
    finishReason: str(value['finish_reason']),
    promptTokens: usage ? num(usage['prompt_tokens'], 'usage.prompt_tokens') : null,
    completionTokens: usage ? num(usage['completion_tokens'], 'usage.completion_tokens') : null,
    cachedTokens: usage ? num(usage['cached_tokens'], 'usage.cached_tokens') : null,
    batchId: str(value['batch_id']),
    sample: num(value['sample'], 'sample'),
    cached: value['cached'] === true,
    output: isObject(output) ? output : output === undefined || output === null ? null : { value: output },
  };
}

/**
 * One CSV record (keyed by header name) to a report row. `fieldColumns`: the schema's field columns
 * of one of our CSVs (kept input fields are not answers); without it, unknown columns are taken
 * for structured output. `cachedTokens`: whether the file has a `cached_tokens` result column; in
 * a file without one (an older llm-batch's) what the prompt cache served is not known.
 * `escapedFormulas`: written with --csv-escape-formulas, its cells are read back without the `'`;
 * in any other file a cell's leading `'` is the answer's own.
 */
export function reportRowFromCsv(record: Record<string, string>, fieldColumns?: readonly string[], cachedTokens = true, escapedFormulas = false): ReportRow {
  const asWritten = (text: string): string => (escapedFormulas ? unescapeCell(text) : text);
  const cell = (name: string): string => asWritten(record[name] ?? '');
  // A cell that is no number is refused, as --compact, merge and --resume refuse it: a header
  // repeated by `>>` (its "line" cell is "line") was a failed row of error type "error_type".
  const n = (name: string): number | null => {
    const raw = cell(name);
    if (raw.trim() === '') return null;
    const v = Number(raw);
    if (!Number.isFinite(v)) throw new Error(`column "${name}" must be a number, got ${JSON.stringify(raw)}`);
    return v;
  };
  const opt = (name: string): string | null => (cell(name) === '' ? null : cell(name));
  const errorType = opt('error_type');
  let output: Record<string, unknown> | null = null;
  if (fieldColumns) {
    // As data: a field column named `__proto__` (merged or compacted `--json` answers) is a field.
    for (const key of fieldColumns) putEntry((output ??= {}), key, asWritten((Object.hasOwn(record, key) ? record[key] : undefined) ?? ''));
    if (output && fieldColumns.length === 1 && fieldColumns[0] === 'output') output = wholeOutput(output, cell('response')) ?? output;
  } else {
    for (const [key, raw] of Object.entries(record)) {
      if (KNOWN_CSV.has(key)) continue;
      putEntry((output ??= {}), key, asWritten(raw));
    }
  }
  // A failed row's empty cells are no answer: its JSONL row has `output: null`, not empty fields.
  if (output && errorType !== null && Object.values(output).every((v) => v === '')) output = null;
  const response = cell('response');
  return {
    id: cell('id'),
    line: n('line') ?? 0,
    prompt: cell('prompt'),
    response: response === '' && errorType !== null ? null : response,
    errorType,
    errorMessage: errorType === null ? null : cell('error_message'),
    errorStatus: n('error_status'),
    errorCode: errorType === null ? null : opt('error_code'),
    attempts: n('attempts') ?? 1,
    latencyMs: n('latency_ms'),
    startedMs: time(cell('started_at')),
    finishedMs: time(cell('finished_at')),
    model: opt('requested_model') ?? opt('model'),
    requestedModel: opt('requested_model'),
    servedModel: opt('model'),
    finishReason: opt('finish_reason'),
    promptTokens: n('prompt_tokens'),
    completionTokens: n('completion_tokens'),
    cachedTokens: cachedTokens ? n(CACHED_TOKENS_COLUMN) : null,
    ...(cachedTokens ? {} : { cachedTokensUnknown: true }),
    batchId: opt('batch_id'),
    sample: n('sample'),
    cached: cell('cached') === 'true',
    output,
  };
}

/**
 * A `--json` run's CSV keeps the whole answer in one `output` cell, as compact JSON: its keys are
 * the fields, as the same run's JSONL shows them. Not when the cell is the one property of a schema
 * named `output` (the answer is then `{"output": <the cell>}`).
 */
function wholeOutput(cells: Record<string, unknown>, response: string): Record<string, unknown> | undefined {
  const text = cells['output'];
  if (typeof text !== 'string' || !text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  try {
    const answer: unknown = JSON.parse(stripFence(response));
    if (isObject(answer) && Object.keys(answer).length === 1 && answer['output'] === text) return undefined;
  } catch {
    // An answer that is not JSON cannot be a schema's object: the cell is the whole answer.
  }
  return keepNumbersAsWritten(text, value) as Record<string, unknown>;
}

export interface ReadReportOptions {
  /** Filled in once the file is read to its end: the bytes after its last line end, left out. */
  tail?: TailInfo;
  /** Read `path` as it was when this was taken (see openSnapshot), whatever was renamed over it since. */
  snapshot?: FileSnapshot;
  /**
   * Called once the file is read to its end if it ends with a row cut short (bytes after its last
   * line end that are no whole row, or a CSV quote left open by the cut), which is left out.
   */
  onTorn?: () => void;
  /** Told the size of each block of the file read, as it is read: for a progress line (as ReadOptions.onRead). */
  onRead?: (bytes: number) => void;
  /** A CSV written with --csv-escape-formulas (its metadata says so): see reportRowFromCsv. */
  escapedFormulas?: boolean;
}

/**
 * Streams the rows of a JSONL or CSV results file. A torn last line (a crash mid-write) is skipped;
 * a line that is not a result row stops with a one-line error naming file and line.
 */
export async function* readReportRows(path: string, format: 'jsonl' | 'csv', options: ReadReportOptions = {}): AsyncGenerator<ReportRow> {
  const { tail = { tornBytes: 0 }, snapshot, onTorn, onRead, escapedFormulas = false } = options;
  if (format === 'jsonl') {
    for await (const { text, line } of splitLines(readCompleteChunks(path, tail, 'jsonl', snapshot, onRead))) {
      if (text.trim() === '') continue;
      let row: ReportRow;
      try {
        const value: unknown = JSON.parse(text);
        row = reportRowFromJson(isPlainObject(value) ? withOutputAsWritten(text, value) : value);
      } catch (err) {
        throw bad(path, line, `not a result row (${(err as Error).message})`);
      }
      yield row;
    }
    if (tail.tornBytes > 0) onTorn?.();
    return;
  }
  const { parse } = await import('csv-parse');
  let fieldColumns: readonly string[] | undefined;
  let cachedTokens = true;
  let headerCells: number | undefined;
  const columns = (header: string[]): string[] => {
    headerCells = header.length;
    checkResultsHeader(path, header);
    const shape = csvHeaderShape(header);
    fieldColumns = shape?.fieldColumns;
    cachedTokens = shape ? shape.cachedTokens : header.includes(CACHED_TOKENS_COLUMN);
    // Kept input columns are renamed out of the way: in an old file one may be called `sample`.
    const kept = header.length - (shape?.keptColumns.length ?? 0);
    return header.map((name, i) => (i >= kept ? `\u0000input:${name}` : name));
  };
  const openQuote = endingAtOpenQuote();
  const parser = parse({ bom: true, skip_empty_lines: true, columns, relax_column_count: false, info: true, ...openQuote.options });
  pipeline(Readable.from(readCompleteChunks(path, tail, 'csv', snapshot, onRead)), parser, () => {});
  // Where the last record ends (physical line, blank lines skipped so far): the header's, to start with.
  let last = { lines: 1, empty_lines: 0 };
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: Info }>) {
      last = info;
      let row: ReportRow;
      try {
        row = reportRowFromCsv(record, fieldColumns, cachedTokens, escapedFormulas);
      } catch (err) {
        throw bad(path, info.lines, `not a result row (${(err as Error).message})`);
      }
      yield row;
    }
  } catch (err) {
    if (err instanceof RunError) throw err;
    const e = err as { code?: string; lines?: number; message?: string };
    throw bad(path, e.lines ?? 0, `invalid CSV (${e.message ?? String(err)})`);
  }
  // A row torn inside a quoted cell is skipped; a damaged quote with whole rows after it, refused.
  const open = openQuote.error();
  if (open === undefined) {
    if (tail.tornBytes > 0) onTorn?.();
    return;
  }
  const openLine = headerCells === undefined ? 1 : openRecordLine(open, last.lines, last.empty_lines);
  const swallowed = await wholeRecordAfterOpenQuote(splitLines(readCompleteChunks(path, { tornBytes: 0 }, 'csv', snapshot)), openLine, headerCells);
  if (swallowed !== undefined) throw bad(path, openLine, unclosedQuote(swallowed));
  onTorn?.();
}
