import type { ResultRow, Usage } from '../types.js';
import { addUsage } from '../util/add-usage.js';

/**
 * The usage of the rows a compaction leaves out, carried to the row that replaces them: an
 * `aborted` or failed row was paid for, and a resume that asks its prompt again must not make that
 * spend vanish from the file (`report` prices rows, and reads one row per prompt). The replacing
 * row's `usage` becomes the sum, as a re-ask adds its tokens to its row's. A row served from the
 * response cache cost nothing here: it carries nothing, and takes nothing (its usage is the stored
 * answer's, which `report` prices at $0). Holds only the usage of keys whose last row is still to
 * come: superseded rows always come before the row that replaces them.
 */
export function usageCarrier() {
  const carried = new Map<string, Usage>();
  return {
    /** A row left out: its usage waits for the row that replaces it. */
    drop(key: string, row: Pick<ResultRow, 'usage' | 'cached'>): void {
      if (!row.usage || row.cached === true) return;
      const sum = addUsage(carried.get(key) ?? null, row.usage);
      if (sum) carried.set(key, sum);
    },
    /** The row kept for `key`, with the usage of the rows it replaced added to its own. */
    keep<R extends Pick<ResultRow, 'usage' | 'cached'>>(key: string, row: R): R {
      const earlier = carried.get(key);
      if (!earlier) return row;
      carried.delete(key);
      return row.cached === true ? row : { ...row, usage: addUsage(earlier, row.usage) };
    },
    /** Forgets what was carried for rows not kept (another file's row replaces them, see mergeResults). */
    clear(): void {
      carried.clear();
    },
  };
}
