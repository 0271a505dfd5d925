import { csvLayoutFromFile, PLAIN_CSV, readRunMeta, type CsvLayout } from '../output/index.js';
import { ANSWER_PART_COLUMNS } from '../output/csv-columns.js';
import type { OutputColumn } from '../structured/columns.js';
import type { MergeSource } from '../output/merge-results.js';
import { csvLayoutOfJsonl } from './stored-csv-columns.js';

/**
 * How to read one output being merged: its escaping and its run's model, from its metadata; its
 * answers typed when the merged file is JSONL.
 */
export function mergeSource(file: string, format: 'jsonl' | 'csv', into: 'jsonl' | 'csv'): MergeSource {
  const meta = readRunMeta(file);
  return {
    path: file,
    format,
    escapedFormulas: format === 'csv' && meta?.['csvEscapeFormulas'] === true,
    runModel: typeof meta?.['model'] === 'string' ? meta['model'] : undefined,
    typedOutput: into === 'jsonl',
  };
}

/**
 * The merged CSV's columns, escaped as the run whose metadata the merged file gets: every output's
 * schema-field, kept-field and `tool_calls` / `logprobs` columns, a CSV output's from its header, a
 * JSONL output's as a run writing CSV has them (see csvLayoutOfJsonl). Outputs whose columns differ
 * (merged with --force, or without metadata) give their union, in the order first seen, the outputs
 * taken in the order given: no cell is dropped. Without `cached_tokens` when a CSV output lacks it
 * (an older file): an empty cell would read as "nothing cached" where nothing is known, and the
 * merged file's report says so instead. Returns the sources to read, a JSONL one's answers keyed by
 * column as a CSV's are.
 */
export async function mergedCsvLayout(
  sources: readonly MergeSource[],
  meta: Record<string, unknown> | undefined,
): Promise<{ layout: CsvLayout; sources: MergeSource[] }> {
  const escapeFormulas = meta?.['csvEscapeFormulas'] === true;
  const layouts: CsvLayout[] = [];
  const read: MergeSource[] = [];
  let older = false;
  for (const source of sources) {
    if (source.format === 'csv') {
      const own = await csvLayoutFromFile(source.path, escapeFormulas);
      read.push(source);
      if (!own) continue;
      older ||= own.legacy === true || own.noCachedTokens === true;
      layouts.push(own);
    } else {
      const own = await csvLayoutOfJsonl(source.path, readRunMeta(source.path));
      const fields = own.outputColumns;
      read.push(fields ? { ...source, byColumn: fields } : source);
      layouts.push(fields ? { ...own, outputColumns: fields.map(({ column }) => ({ property: column, column })) } : own);
    }
  }
  const byName = new Map<string, OutputColumn>();
  for (const column of layouts.flatMap((l) => l.outputColumns ?? [])) if (!byName.has(column.column)) byName.set(column.column, column);
  const outputColumns = [...byName.values()];
  const answers = new Set(layouts.flatMap((l) => l.answerColumns ?? []));
  const answerColumns = ANSWER_PART_COLUMNS.filter((c) => answers.has(c));
  const layout: CsvLayout = {
    ...PLAIN_CSV,
    escapeFormulas,
    keptFields: [...new Set(layouts.flatMap((l) => l.keptFields))],
    ...(outputColumns.length > 0 ? { outputColumns } : {}),
    ...(answerColumns.length > 0 ? { answerColumns } : {}),
    ...(older ? { noCachedTokens: true } : {}),
  };
  return { layout, sources: read };
}
