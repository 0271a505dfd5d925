import type { CsvError, Info } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { appendFile, open, stat, truncate } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { RunError } from '../errors.js';
import { splitLines } from './complete-lines.js';
import { endOfLastLine, unterminatedJsonlRowEnd } from './last-row.js';
import { openRecordLine, wholeRecordAfterOpenQuote } from './open-quote.js';
import { formatFromPath, type OutputFormat } from './output-format.js';

/**
 * For CSV, a cut can also land right after a newline embedded in a quoted cell, leaving a file
 * that ends in '\n' but inside an open quote. Returns the end of the last complete record in the
 * first `size` bytes in that case, otherwise `size`; or undefined when the open quote is damage, not
 * a torn row (see wholeRecordAfterOpenQuote): the file is then left alone for the readers to refuse
 * with file:line, as are other CSV problems, which are real corruption too.
 */
async function endOfLastCsvRecord(path: string, size: number): Promise<number | undefined> {
  if (size === 0) return 0;
  const { parse } = await import('csv-parse'); // loaded only for CSV: it is not on the start-up path
  const parser = parse({ info: true, bom: true, skip_empty_lines: true, relax_column_count: true });
  let headerCells: number | undefined;
  /** Where the last complete record ends: its byte offset, physical line and blank lines before it. */
  let last = { bytes: 0, lines: 0, empty_lines: 0 };
  parser.on('data', (r: { record: string[]; info: Info }) => {
    headerCells ??= r.record.length;
    last = r.info;
  });
  try {
    await pipeline(createReadStream(path, { start: 0, end: size - 1 }), parser);
    return size;
  } catch (err) {
    const csvErr = err as Partial<CsvError>;
    if (csvErr.code === 'CSV_QUOTE_NOT_CLOSED') {
      const openLine = openRecordLine(err, last.lines, last.empty_lines);
      const lines = splitLines(createReadStream(path, { start: 0, end: size - 1 }));
      return (await wholeRecordAfterOpenQuote(lines, openLine, headerCells)) === undefined ? last.bytes : undefined;
    }
    if (typeof csvErr.code === 'string' && csvErr.code.startsWith('CSV_')) return size;
    throw err;
  }
}

/**
 * Removes a row torn by a crash from the end of a results file so the next run can append: if
 * the file does not end with '\n', it is truncated after the last '\n' (or to 0). For CSV (given
 * as `format` or guessed from the extension) a trailing record left inside an open quote is
 * removed too, unless later lines are whole records (a damaged quote, not a torn row: the file is
 * then left as it is, and the readers refuse it with file:line). A JSONL last line that is valid
 * JSON and only lacks its '\n' is kept and gets the '\n', so the next row does not run on from it;
 * a CSV record without its '\n' is always torn, as one cut inside its last unquoted cell (a
 * --keep-fields URL) still parses whole. Returns the number of bytes removed; a missing file gives 0.
 * Call it before loadResumeState and before openFileWriter(…, { append: true }).
 */
export async function repairPartialLine(path: string, format?: OutputFormat): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new RunError(`Cannot repair output file ${path}: ${(err as Error).message}`, 'output');
  }
  const kind = format ?? formatFromPath(path);
  try {
    if (kind === 'jsonl' && (await unterminatedJsonlRowEnd(path)) !== undefined) {
      await appendFile(path, '\n');
      return 0;
    }
    const fh = await open(path, 'r');
    let keep: number | undefined;
    try {
      keep = await endOfLastLine(fh, size);
    } finally {
      await fh.close();
    }
    if (kind === 'csv') keep = await endOfLastCsvRecord(path, keep);
    if (keep === undefined) return 0;
    if (keep < size) await truncate(path, keep);
    return size - keep;
  } catch (err) {
    throw new RunError(`Cannot repair output file ${path}: ${(err as Error).message}`, 'output');
  }
}
