import type { CsvError } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { RunError } from '../errors.js';
import { formatFromPath, type OutputFormat } from './output-format.js';

const BLOCK = 1 << 16;

/** Size the file should have to end right after its last '\n' (0 when it has none). */
async function endOfLastLine(path: string, size: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(BLOCK);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - BLOCK);
      const { bytesRead } = await fh.read(buf, 0, end - start, start);
      const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl !== -1) return start + nl + 1;
      end = start;
    }
    return 0;
  } finally {
    await fh.close();
  }
}

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
 * removed too. Returns the number of bytes removed; a missing file gives 0.
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
  try {
    let keep = await endOfLastLine(path, size);
    if ((format ?? formatFromPath(path)) === 'csv') keep = await endOfLastCsvRecord(path, keep);
    if (keep < size) await truncate(path, keep);
    return size - keep;
  } catch (err) {
    throw new RunError(`Cannot repair output file ${path}: ${(err as Error).message}`, 'output');
  }
}
