import type { CsvError, Info } from 'csv-parse';
import { Readable, pipeline } from 'node:stream';
import { RunError } from '../errors.js';
import type { ResultRow } from '../types.js';
import { readCompleteChunks, splitLines, type TailInfo } from './complete-lines.js';
import { CSV_COLUMNS, csvRecordToRow, unescapeCell } from './csv-columns.js';
import type { FileSnapshot } from './file-snapshot.js';
import { csvHeaderShape } from './csv-layout.js';
import { endingAtOpenQuote, openRecordLine, unclosedQuote, wholeRecordAfterOpenQuote } from './open-quote.js';
import { rowFromJson } from './row-shape.js';
import { withOutputAndInputAsWritten } from '../structured/exact-numbers.js';
import { outputFromResponse } from '../structured/output-from-response.js';
import { errorMessage } from '../util/error-message.js';
import { isPlainObject } from '../util/is-plain-object.js';

/** A row as read back, with where it starts in the file (1-based physical line). */
export interface ReadRow {
  row: ResultRow;
  line: number;
}

/**
 * A line of a results file that is not a row: where, and why. Worded for a resume, which reads its
 * output; `merge` and `--compact` say it in their own words (src/cli/source-line-error.ts).
 */
export class BadResultLineError extends RunError {
  override readonly name = 'BadResultLineError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`Cannot resume from ${file}:${line}: ${reason}. Fix or delete that line, or write to a new output file.`, 'resume');
  }
}

function corrupt(path: string, line: number, reason: string): RunError {
  return new BadResultLineError(path, line, reason);
}

function unreadable(path: string, err: unknown): RunError {
  return new RunError(`Cannot read results file ${path}: ${errorMessage(err)}`, 'resume');
}

/**
 * Streams the rows of a JSONL or CSV results file (text output cannot be read back).
 * A torn last row left by a crash is skipped (a whole JSONL row that only lacks its '\n' is read; a
 * CSV record without it is torn); anything else that is not a valid row (a CSV quote left open
 * before whole rows among them) throws
 * RunError(code 'resume') naming `file:line`. Blank lines in JSONL are ignored.
 */
export async function* readResults(path: string, format: 'jsonl' | 'csv', options: ReadOptions = {}, snapshot?: FileSnapshot): AsyncGenerator<ResultRow> {
  for await (const { row } of readResultsWithLines(path, format, options, snapshot)) yield row;
}

export interface ReadOptions {
  /** The CSV was written with --csv-escape-formulas: strip the `'` it added. */
  escapedFormulas?: boolean;
  /**
   * A structured CSV's rows get `output` as the run's JSONL has it (typed, keyed by property),
   * parsed from `response`, in place of the text cells keyed by column that a CSV copy writes back
   * unchanged. Costs a JSON.parse per row. @default false
   */
  typedOutput?: boolean;
  /**
   * Called once the file is read to its end if it ends with a row cut short (bytes after its last
   * line end that are no whole row, or a CSV quote left open by the cut), which is left out.
   */
  onTorn?: () => void;
  /** Told the size of each block of the file read, as it is read: for a progress line. */
  onRead?: (bytes: number) => void;
}

/**
 * The rows with the physical line each starts on; {@link readResults} is this without the lines.
 * With a `snapshot` of `path` (see openSnapshot), the file as it was when that was taken, not what
 * the path names now: merge reads each output twice, and a resume may compact it in between.
 */
export function readResultsWithLines(path: string, format: 'jsonl' | 'csv', options: ReadOptions = {}, snapshot?: FileSnapshot): AsyncGenerator<ReadRow> {
  if (format === 'jsonl') return readJsonl(path, snapshot, options);
  if (format === 'csv') return readCsv(path, options.escapedFormulas ?? false, options.typedOutput ?? false, snapshot, options);
  throw new RunError(`Cannot read ${format} output back; only jsonl and csv results can be resumed`, 'resume');
}

async function* readJsonl(path: string, snapshot: FileSnapshot | undefined, { onTorn, onRead }: ReadOptions): AsyncGenerator<ReadRow> {
  const tail: TailInfo = { tornBytes: 0 };
  const lines = splitLines(readCompleteChunks(path, tail, 'jsonl', snapshot, onRead));
  try {
    yield* parseJsonlLines(path, lines);
    if (tail.tornBytes > 0) onTorn?.();
  } finally {
    // Closes the file if the consumer stopped early.
    await lines.return(undefined);
  }
}

async function* parseJsonlLines(path: string, lines: AsyncGenerator<{ text: string; line: number }>): AsyncGenerator<ReadRow> {
  while (true) {
    let next: IteratorResult<{ text: string; line: number }>;
    try {
      next = await lines.next();
    } catch (err) {
      throw unreadable(path, err);
    }
    if (next.done) return;
    const { text, line } = next.value;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw corrupt(path, line, `invalid JSON (${errorMessage(err)})`);
    }
    if (isPlainObject(value)) value = withOutputAndInputAsWritten(text, value);
    let row: ResultRow;
    try {
      row = rowFromJson(value);
    } catch (err) {
      throw corrupt(path, line, `not a result row (${errorMessage(err)})`);
    }
    yield { row, line };
  }
}

interface CsvRecord {
  record: string[];
  info: Info;
}

async function* readCsv(
  path: string,
  escapedFormulas: boolean,
  typedOutput: boolean,
  snapshot: FileSnapshot | undefined,
  { onTorn, onRead }: ReadOptions,
): AsyncGenerator<ReadRow> {
  const tail: TailInfo = { tornBytes: 0 };
  const { parse } = await import('csv-parse'); // loaded only for CSV: it is not on the start-up path
  const openQuote = endingAtOpenQuote();
  const parser = parse({ info: true, bom: true, skip_empty_lines: true, relax_column_count: false, ...openQuote.options });
  // pipeline() forwards read errors into the parser and tears the file stream down if we stop early.
  pipeline(Readable.from(readCompleteChunks(path, tail, 'csv', snapshot, onRead)), parser, () => {});
  let prevEndLine = 0;
  let prevEmpty = 0;
  let header = true;
  let columns: readonly string[] = CSV_COLUMNS;
  let fieldColumns: readonly string[] = [];
  /** Where the kept input fields (--keep-fields) start, and the field each of those columns holds. */
  let keptStart = 0;
  let keptFields: readonly string[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<CsvRecord>) {
      const line = prevEndLine + 1 + (info.empty_lines - prevEmpty);
      prevEndLine = info.lines;
      prevEmpty = info.empty_lines;
      if (header) {
        header = false;
        // A schema's field columns (--json-schema) sit between id and line, kept input fields last;
        // the header says which, and whether the file has the newer result columns (legacy or not).
        const shape = csvHeaderShape(record);
        if (!shape) throw corrupt(path, line, `expected the llm-batch CSV header (${CSV_COLUMNS.join(',')})`);
        columns = record;
        fieldColumns = shape.fieldColumns;
        keptStart = record.length - shape.keptColumns.length;
        keptFields = shape.keptFields;
        continue;
      }
      // By name, result columns only: a schema field or kept field named like one (in a legacy
      // file, where `sample` was a free name) is read apart and never taken for it.
      const byName: Record<string, string> = {};
      for (let i = 1 + fieldColumns.length; i < keptStart; i++) byName[columns[i]!] = record[i] ?? '';
      byName[columns[0]!] = record[0] ?? '';
      const kept = keptFields.length > 0 ? Object.fromEntries(keptFields.map((field, j) => [field, record[keptStart + j] ?? ''])) : undefined;
      let row: ResultRow;
      try {
        row = csvRecordToRow(byName, escapedFormulas, kept);
      } catch (err) {
        throw corrupt(path, line, `not a result row (${errorMessage(err)})`);
      }
      // Field cells come back as the strings they were written as (CSV keeps no types), keyed by
      // column, so a compaction writes them out unchanged (see columnValue); or typed, as asked.
      if (fieldColumns.length > 0) {
        const typed = typedOutput ? outputFromResponse(row) : undefined;
        row.output =
          typed !== undefined
            ? typed
            : Object.fromEntries(fieldColumns.map((c, j) => [c, escapedFormulas ? unescapeCell(record[1 + j] ?? '') : (record[1 + j] ?? '')]));
      }
      yield { row, line };
    }
  } catch (err) {
    if (err instanceof RunError) throw err;
    const csvErr = err as Partial<CsvError>;
    if (typeof csvErr.code === 'string' && csvErr.code.startsWith('CSV_')) {
      throw corrupt(path, typeof csvErr.lines === 'number' ? csvErr.lines : prevEndLine + 1, `invalid CSV (${errorMessage(err)})`);
    }
    throw unreadable(path, err);
  }
  // An unclosed quote at the very end is a row torn inside a multi-line cell (the cut landed just
  // after one of its embedded newlines), skipped like a torn line; unless whole rows follow the
  // line it opens on: then it is damage that would swallow them, refused like any other.
  const open = openQuote.error();
  if (open === undefined) {
    if (tail.tornBytes > 0) onTorn?.();
    return;
  }
  const openLine = openRecordLine(open, prevEndLine, prevEmpty);
  const lines = splitLines(readCompleteChunks(path, { tornBytes: 0 }, 'csv', snapshot));
  const swallowed = await wholeRecordAfterOpenQuote(lines, openLine, header ? undefined : columns.length).catch((err: unknown) => {
    throw unreadable(path, err);
  });
  if (swallowed !== undefined) throw corrupt(path, openLine, unclosedQuote(swallowed));
  onTorn?.();
}
