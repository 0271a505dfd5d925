import { createRequire } from 'node:module';
import type { stringify as Stringify } from 'csv-stringify/sync';
import type { ResultRow } from '../types.js';
import { rowToCsvRecord } from './csv-columns.js';
import { csvHeaderColumns, PLAIN_CSV, type CsvLayout } from './csv-layout.js';

/**
 * Shared by every CSV write. Formula escaping is ours (see `escapeCell`), not csv-stringify's, which
 * would also change plain numbers such as `-1`. The record delimiter is left at its default ('\n'):
 * csv-stringify 6.9 stops quoting cells that contain a bare '\r' when `record_delimiter` is given
 * explicitly, which would break reading them back.
 */
const STRINGIFY_OPTIONS = { escape_formulas: false } as const;

let stringifySync: typeof Stringify | undefined;

/** csv-stringify is required on first use, so runs that write no CSV do not load it at start-up. */
function stringify(records: unknown[][]): string {
  stringifySync ??= (createRequire(import.meta.url)('csv-stringify/sync') as { stringify: typeof Stringify }).stringify;
  return stringifySync(records, STRINGIFY_OPTIONS);
}

/** `record` ending in the layout's line end: '\n', or '\r\n' for a file that has those (see CsvLayout.crlf). */
const ended = (record: string, layout: CsvLayout): string => (layout.crlf ? `${record.slice(0, -1)}\r\n` : record);

/** The header line, '\n'-terminated (or '\r\n': see CsvLayout.crlf). */
export function csvHeaderLine(layout: CsvLayout = PLAIN_CSV): string {
  return ended(stringify([csvHeaderColumns(layout)]), layout);
}

/**
 * For a writer that adds the header with its first rows, or alone at close when there were none:
 * the header line the first time, '' after (and always, for a writer that is not writing CSV).
 */
export function headerOnce(csv: boolean, layout: CsvLayout = PLAIN_CSV): () => string {
  let pending = csv;
  return () => {
    if (!pending) return '';
    pending = false;
    return csvHeaderLine(layout);
  };
}

/**
 * One CSV record as a single string ending in '\n' (or '\r\n': see CsvLayout.crlf). Cells with newlines are quoted by csv-stringify,
 * so a record may span several physical lines but is still written with one write call.
 */
export function encodeCsvRow(row: ResultRow, layout: CsvLayout = PLAIN_CSV): string {
  const record = stringify([
    rowToCsvRecord(row, layout.escapeFormulas, layout.keptFields, layout.outputColumns, layout.legacy, layout.answerColumns, !layout.noCachedTokens),
  ]);
  return ended(record, layout);
}
