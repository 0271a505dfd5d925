import { csvLayoutFromFile, PLAIN_CSV, readRunMeta, type CsvLayout } from '../output/index.js';
import type { MergeSource } from '../output/merge-results.js';

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
 * The merged CSV's columns: those of the first CSV output (schema fields and kept fields carry
 * over), in the current layout; escaped as the run whose metadata the merged file gets. Without
 * `cached_tokens` when a CSV output lacks it (an older file): an empty cell would read as "nothing
 * cached" where nothing is known, and the merged file's report says so instead.
 */
export async function mergedCsvLayout(sources: readonly MergeSource[], meta: Record<string, unknown> | undefined): Promise<CsvLayout> {
  const escapeFormulas = meta?.['csvEscapeFormulas'] === true;
  const csvs: CsvLayout[] = [];
  for (const source of sources) {
    const own = source.format === 'csv' ? await csvLayoutFromFile(source.path, escapeFormulas) : undefined;
    if (own) csvs.push(own);
  }
  const first = csvs[0];
  if (!first) return escapeFormulas ? { ...PLAIN_CSV, escapeFormulas } : PLAIN_CSV;
  const { legacy: _legacy, noCachedTokens: _older, ...current } = first;
  return csvs.some((c) => c.legacy || c.noCachedTokens) ? { ...current, noCachedTokens: true } : current;
}
