import type { CsvError } from 'csv-parse';
import { LEGACY_CSV_COLUMNS } from './csv-columns.js';

/**
 * A CSV that ends inside an open quote is either a row torn inside a quoted cell (a crash cut the
 * write just after one of the cell's newlines) or damage: a quote opened by a hand edit or a bad
 * byte, which swallows every record after it into one cell. A torn write is one row long, so a
 * later line that is a whole record by itself (as many cells as the header; with the header itself
 * open, at least as many as any header we write) means damage. Returns that line, or undefined
 * when the open record can be a torn last row. `lines` are the file's, numbered from 1; only those
 * after `openLine` (where the open record starts) are looked at, and reading stops at the first hit.
 */
export async function wholeRecordAfterOpenQuote(
  lines: AsyncIterable<{ text: string; line: number }>,
  openLine: number,
  headerCells: number | undefined,
): Promise<number | undefined> {
  const { parse } = await import('csv-parse'); // loaded only for CSV: it is not on the start-up path
  const fits = (cells: number) => (headerCells === undefined ? cells >= LEGACY_CSV_COLUMNS.length : cells === headerCells);
  const minCommas = (headerCells ?? LEGACY_CSV_COLUMNS.length) - 1;
  for await (const { text, line } of lines) {
    // Most lines of a torn answer are prose: too few commas to be a record, so never parsed.
    if (line <= openLine || commas(text) < minCommas) continue;
    const records = await new Promise<string[][] | undefined>((resolve) =>
      parse(text, { relax_column_count: true }, (err, out: string[][] | undefined) => resolve(err ? undefined : out)),
    );
    if (records?.length === 1 && fits(records[0]!.length)) return line;
  }
  return undefined;
}

/** Why a quote left open before whole rows (the first on line `swallowed`) is refused. */
export function unclosedQuote(swallowed: number): string {
  return `a quote opened on this line is never closed, so line ${swallowed} and every row after it would be read as part of one cell`;
}

/**
 * The line where the record an unclosed-quote error (`err`, CSV_QUOTE_NOT_CLOSED) is about starts:
 * after the last whole record (ending on line `lastLine`, with `lastEmpty` blank lines skipped so
 * far) and the blank lines skipped since.
 */
export function openRecordLine(err: unknown, lastLine: number, lastEmpty: number): number {
  const empty = (err as { empty_lines?: unknown }).empty_lines;
  return lastLine + 1 + (typeof empty === 'number' ? empty - lastEmpty : 0);
}

/**
 * csv-parse options under which a parse that ends inside an open quote ends like any other, the
 * error kept for `error()`; other errors fail the parse as usual. A failed parser stream drops the
 * records it parsed but had not handed out yet, so the rows before a torn tail would go missing and
 * the line where it opens would be misplaced.
 */
export function endingAtOpenQuote(): {
  options: { skip_records_with_error: true; on_skip: (err: CsvError | undefined) => undefined };
  error: () => CsvError | undefined;
} {
  let open: CsvError | undefined;
  const onSkip = (err: CsvError | undefined): undefined => {
    if (err?.code !== 'CSV_QUOTE_NOT_CLOSED') throw err;
    open = err;
  };
  return { options: { skip_records_with_error: true, on_skip: onSkip }, error: () => open };
}

function commas(text: string): number {
  let n = 0;
  for (let i = text.indexOf(','); i !== -1; i = text.indexOf(',', i + 1)) n++;
  return n;
}
