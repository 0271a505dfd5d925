import type { AnswerPartColumn } from '../output/csv-columns.js';
import { csvLayoutOfRows, type KnownCsvColumns } from '../output/csv-layout-of-rows.js';
import { fieldReservedNames, type CsvLayout } from '../output/csv-layout.js';
import { outputColumns, type OutputColumn } from '../structured/columns.js';

/**
 * The run-metadata key holding a structured run's CSV field columns (property and column name, in
 * schema order), so that its JSONL rows converted to CSV (`--compact`, `merge`) get the columns a
 * CSV run has. Not part of a run's identity: the schema's fingerprint (`jsonSchema`) is, and outputs
 * written before the key existed still resume.
 */
export const OUTPUT_COLUMNS_KEY = 'outputColumns';

/**
 * A structured run's fields in its schema's order, as its run metadata records them (its CSV's
 * columns), named as a results file of `format` has them: the order its report shows them in,
 * whatever order an answer wrote them in.
 */
export function fieldOrderOf(meta: Record<string, unknown> | undefined, format: 'jsonl' | 'csv'): string[] | undefined {
  const columns = meta?.[OUTPUT_COLUMNS_KEY];
  if (!Array.isArray(columns)) return undefined;
  // A CSV's fields are read back under their column names (`output_id` for a field `id`).
  const key = format === 'csv' ? 'column' : 'property';
  const names = columns.map((c: unknown) => (typeof c === 'object' && c !== null ? (c as Record<string, unknown>)[key] : undefined));
  return names.every((n): n is string => typeof n === 'string') && names.length > 0 ? names : undefined;
}

/** The run-metadata entries for a layout's field columns: none for a run without a schema. */
export function storedOutputColumns(columns: readonly OutputColumn[] | undefined): Record<string, unknown> {
  return columns && columns.length > 0 ? { [OUTPUT_COLUMNS_KEY]: columns.map((c) => ({ ...c })) } : {};
}

/** A run's identifying metadata without the keys that only describe its CSV columns. */
export function withoutStoredColumns(meta: Record<string, unknown>): Record<string, unknown> {
  const { [OUTPUT_COLUMNS_KEY]: _columns, ...rest } = meta;
  return rest;
}

/**
 * What a JSONL output's run metadata says of the columns its CSV has: the stored field columns (or
 * for `--json`, its one `output` column), the `--keep-fields` list, and the `tool_calls` / `logprobs`
 * asked for by `--param` (as answer-columns.ts decides for a run). The rest is read from the rows.
 */
export function knownCsvColumns(meta: Record<string, unknown> | undefined): KnownCsvColumns {
  const stored = parseColumns(meta?.[OUTPUT_COLUMNS_KEY]);
  const keep = meta?.['keepFields'];
  const params = meta?.['params'];
  const param = (key: string): unknown => (typeof params === 'object' && params !== null ? (params as Record<string, unknown>)[key] : undefined);
  const answerColumns: AnswerPartColumn[] = [];
  if (param('tools') !== undefined) answerColumns.push('tool_calls');
  if (param('logprobs') !== undefined && param('logprobs') !== false) answerColumns.push('logprobs');
  return {
    ...(stored ? { outputColumns: stored } : meta?.['jsonSchema'] === 'json' ? { outputColumns: outputColumns({}, fieldReservedNames()) } : {}),
    ...(Array.isArray(keep) && keep.every((k) => typeof k === 'string') ? { keptFields: keep as string[] } : {}),
    answerColumns,
  };
}

function parseColumns(value: unknown): OutputColumn[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const columns: OutputColumn[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { property, column, whole } = item as Record<string, unknown>;
    if (typeof property !== 'string' || typeof column !== 'string' || column === '') return undefined;
    columns.push(whole === true ? { property, column, whole } : { property, column });
  }
  return columns;
}

/** The CSV layout of a JSONL output's rows: a direct CSV run's, from its metadata and its rows. */
export function csvLayoutOfJsonl(path: string, meta: Record<string, unknown> | undefined, escapeFormulas = false): Promise<CsvLayout> {
  return csvLayoutOfRows(path, knownCsvColumns(meta), escapeFormulas);
}
