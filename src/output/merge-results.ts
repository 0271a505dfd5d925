import { readResults } from './read-results.js';
import type { RowWriter } from './row-writer.js';

export interface MergeSource {
  path: string;
  format: 'jsonl' | 'csv';
}

export interface MergeStats {
  rows: number;
  failed: number;
  /** Superseded rows left out (an earlier row for an id seen again, in the same or a later file). */
  dropped: number;
}

/**
 * Writes one row per id from several results files: the last one, files taken in the order given
 * (as `--compact` does within one file). Two streaming passes with only `id → position` in memory,
 * so shard outputs of any size merge in flat memory. `onId` sees every id written (for a coverage
 * check against the input).
 */
export async function mergeResults(sources: readonly MergeSource[], out: RowWriter, onId?: (id: string) => void): Promise<MergeStats> {
  const last = new Map<string, number>();
  let position = 0;
  for (const source of sources) for await (const row of readResults(source.path, source.format)) last.set(row.id, position++);

  const stats: MergeStats = { rows: 0, failed: 0, dropped: 0 };
  position = 0;
  for (const source of sources) {
    for await (const row of readResults(source.path, source.format)) {
      if (last.get(row.id) !== position++) {
        stats.dropped++;
        continue;
      }
      await out.write(row);
      stats.rows++;
      if (row.error) stats.failed++;
      onId?.(row.id);
    }
  }
  return stats;
}
