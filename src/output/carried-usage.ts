import type { ResultRow, Usage } from '../types.js';

/**
 * Two usages added up (a re-ask's tokens to its row's, a replaced row's to the row that replaces
 * it); `cached_tokens` kept when either reported it, so the cached part is still priced as such.
 */
export function addUsage(total: Usage | null, usage: Usage | null): Usage | null {
  if (!usage) return total;
  if (!total) return { ...usage };
  const cached = total.cached_tokens === undefined && usage.cached_tokens === undefined ? undefined : (total.cached_tokens ?? 0) + (usage.cached_tokens ?? 0);
  return {
    prompt_tokens: total.prompt_tokens + usage.prompt_tokens,
    completion_tokens: total.completion_tokens + usage.completion_tokens,
    ...(cached === undefined ? {} : { cached_tokens: cached }),
  };
}

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
