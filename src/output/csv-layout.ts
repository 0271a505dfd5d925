import type { OutputColumn } from '../structured/columns.js';
import { CSV_COLUMNS, LEGACY_CSV_COLUMNS } from './csv-columns.js';

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
  /**
   * The file was started before CSV had the timestamp, model × sample, cached and batch columns
   * ({@link LEGACY_CSV_COLUMNS}): a resume continues it in that layout, so the file keeps one shape.
   * Decided by the file's header, never by a flag.
   */
  readonly legacy?: boolean;
}

export const PLAIN_CSV: CsvLayout = Object.freeze({ escapeFormulas: false, keptFields: Object.freeze([]) as readonly string[] });

const RESULT_COLUMNS = new Set(CSV_COLUMNS);
const LEGACY_RESULT_COLUMNS = new Set(LEGACY_CSV_COLUMNS);

/**
 * A kept field's column: its own name, or `input_<name>` when that is one of the result columns
 * (of the legacy ones in a legacy file, which named a kept `sample` field `sample`).
 */
export function keptColumnName(field: string, legacy = false): string {
  return (legacy ? LEGACY_RESULT_COLUMNS : RESULT_COLUMNS).has(field) ? `input_${field}` : field;
}

/** Inverse of {@link keptColumnName}. */
export function keptFieldOf(column: string, legacy = false): string {
  return column.startsWith('input_') && (legacy ? LEGACY_RESULT_COLUMNS : RESULT_COLUMNS).has(column.slice(6)) ? column.slice(6) : column;
}

/** The result columns (all but schema fields and kept fields) of a file with this layout. */
export function resultColumns(layout: Pick<CsvLayout, 'legacy'>): readonly string[] {
  return layout.legacy ? LEGACY_CSV_COLUMNS : CSV_COLUMNS;
}

/** Every column of a file with this layout, in order. */
export function csvHeaderColumns(layout: CsvLayout): string[] {
  const output = (layout.outputColumns ?? []).map((c) => c.column);
  const result = resultColumns(layout);
  return [result[0]!, ...output, ...result.slice(1), ...layout.keptFields.map((f) => keptColumnName(f, layout.legacy))];
}

/** What a results CSV's header says about its layout; undefined when it is not one of ours. */
export interface CsvHeaderShape {
  legacy: boolean;
  /** Schema field columns, between `id` and `line`. */
  fieldColumns: string[];
  /** Kept input field columns, after the result columns. */
  keptColumns: string[];
}

/**
 * Reads a header (every CSV we wrote starts with the legacy columns, schema fields after `id`; the
 * newer ones follow them exactly, or the file is legacy). Columns after those are kept fields.
 */
export function csvHeaderShape(header: readonly string[]): CsvHeaderShape | undefined {
  const fields = Math.max(0, header.indexOf(LEGACY_CSV_COLUMNS[1]!) - 1);
  const at = (i: number) => header[i === 0 ? 0 : i + fields];
  if (header.length < LEGACY_CSV_COLUMNS.length + fields || LEGACY_CSV_COLUMNS.some((name, i) => name !== at(i))) return undefined;
  const after = LEGACY_CSV_COLUMNS.length + fields;
  const added = CSV_COLUMNS.slice(LEGACY_CSV_COLUMNS.length);
  const legacy = !added.every((name, j) => header[after + j] === name);
  return { legacy, fieldColumns: header.slice(1, 1 + fields), keptColumns: header.slice(after + (legacy ? 0 : added.length)) };
}

/** The layout a file with this header was written in, to write more rows like them (compact, merge). */
export function layoutOfHeader(shape: CsvHeaderShape, escapeFormulas: boolean): CsvLayout {
  return {
    escapeFormulas,
    keptFields: shape.keptColumns.map((c) => keptFieldOf(c, shape.legacy)),
    // Rows read back hold their fields by column name (see columnValue), so the column is the property.
    ...(shape.fieldColumns.length > 0 ? { outputColumns: shape.fieldColumns.map((column) => ({ property: column, column })) } : {}),
    ...(shape.legacy ? { legacy: true } : {}),
  };
}
