import type { CsvError } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { appendFile, open, stat, truncate } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { RunError } from '../errors.js';
import { endOfLastLine, unterminatedRowEnd } from './last-row.js';
import { formatFromPath, type OutputFormat } from './output-format.js';

/**
 * For CSV, a cut can also land right after a newline embedded in a quoted cell, leaving a file
 * that ends in '\n' but inside an open quote. Returns the end of the last complete record in the
 * first `size` bytes in that case, otherwise `size`. Other CSV problems are left alone here:
 * they are real corruption, and readResults reports them with file:line.
 */
async function endOfLastCsvRecord(path: string, size: number): Promise<number> {
  if (size === 0) return 0;
  const { parse } = await import('csv-parse'); // loaded only for CSV: it is not on the start-up path
  const parser = parse({ info: true, bom: true, skip_empty_lines: true, relax_column_count: true });
  let lastEnd = 0;
  parser.on('data', (r: { info: { bytes: number } }) => (lastEnd = r.info.bytes));
  try {
    await pipeline(createReadStream(path, { start: 0, end: size - 1 }), parser);
    return size;
  } catch (err) {
    if ((err as Partial<CsvError>).code === 'CSV_QUOTE_NOT_CLOSED') return lastEnd;
    if (typeof (err as Partial<CsvError>).code === 'string' && String((err as CsvError).code).startsWith('CSV_')) return size;
    throw err;
  }
}

/**
 * Removes a row torn by a crash from the end of a results file so the next run can append: if
 * the file does not end with '\n', it is truncated after the last '\n' (or to 0). For CSV (given
 * as `format` or guessed from the extension) a trailing record left inside an open quote is
 * removed too. A whole last row that only lacks its '\n' (see unterminatedRowEnd) is kept and
 * gets the '\n', so the next row does not run on from it. Returns the number of bytes removed;
 * a missing file gives 0.
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
    if ((kind === 'jsonl' || kind === 'csv') && (await unterminatedRowEnd(path, kind)) !== undefined) {
      await appendFile(path, '\n');
      return 0;
    }
    const fh = await open(path, 'r');
    let keep: number;
    try {
      keep = await endOfLastLine(fh, size);
    } finally {
      await fh.close();
    }
    if (kind === 'csv') keep = await endOfLastCsvRecord(path, keep);
    if (keep < size) await truncate(path, keep);
    return size - keep;
  } catch (err) {
    throw new RunError(`Cannot repair output file ${path}: ${(err as Error).message}`, 'output');
  }
}
