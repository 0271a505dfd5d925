import type { OutputColumn } from '../structured/columns.js';
import { CSV_COLUMNS } from './csv-columns.js';

/**
 * How a CSV results file is laid out beyond the fixed columns: whether cells were escaped against
 * spreadsheet formulas, and which input fields (--keep-fields) follow the result columns.
 */
export interface CsvLayout {
  /**
   * Prefix `'` to text cells a spreadsheet would run as a formula. Off by default: the file is data
   * for programs (python's csv, sqlite3, pandas) that read `-1` and `- Paris` as written.
   */
  readonly escapeFormulas: boolean;
  /** Input fields carried into each row, as extra columns after the result columns, in this order. */
  readonly keptFields: readonly string[];
  /** With --json-schema / --json: one column per top-level property of the answer, right after `id`. */
  readonly outputColumns?: readonly OutputColumn[];
}

export const PLAIN_CSV: CsvLayout = Object.freeze({ escapeFormulas: false, keptFields: Object.freeze([]) as readonly string[] });

const RESULT_COLUMNS = new Set(CSV_COLUMNS);

/** A kept field's column: its own name, or `input_<name>` when that is one of the result columns. */
export function keptColumnName(field: string): string {
  return RESULT_COLUMNS.has(field) ? `input_${field}` : field;
}

/** Inverse of {@link keptColumnName}. */
export function keptFieldOf(column: string): string {
  return column.startsWith('input_') && RESULT_COLUMNS.has(column.slice(6)) ? column.slice(6) : column;
}

/** Every column of a file with this layout, in order. */
export function csvHeaderColumns(layout: CsvLayout): string[] {
  const output = (layout.outputColumns ?? []).map((c) => c.column);
  return [CSV_COLUMNS[0]!, ...output, ...CSV_COLUMNS.slice(1), ...layout.keptFields.map(keptColumnName)];
}
