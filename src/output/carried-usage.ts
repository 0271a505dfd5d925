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
 * answer's, which `report` prices at $0). A row left out that was asked when the kept one was, at the
 * same spend (its started_at, finished_at and usage), is that row copied, and carries nothing. Holds only the usage of
 * keys whose last row is still to come: superseded rows always come before the row that replaces them.
 */
export function usageCarrier() {
  /** Per key, the usage of each row left out, by when it was asked: one row copied twice is one spend. */
  const carried = new Map<string, Map<string, Usage>>();
  let unstamped = 0;
  return {
    /** A row left out: its usage waits for the row that replaces it. */
    drop(key: string, row: CarriedRow): void {
      if (!row.usage || row.cached === true) return;
      let rows = carried.get(key);
      if (!rows) carried.set(key, (rows = new Map()));
      rows.set(askedAt(row) ?? `#${unstamped++}`, row.usage);
    },
    /**
     * The row kept for `key`, with the usage of the rows it replaced added to its own. A copy of it
     * left out (the same row twice in the file: a `cat a >> a`, a row appended again) adds nothing.
     */
    keep<R extends CarriedRow>(key: string, row: R): R {
      const rows = carried.get(key);
      if (!rows) return row;
      carried.delete(key);
      const own = askedAt(row);
      if (own !== undefined) rows.delete(own);
      let earlier: Usage | null = null;
      for (const usage of rows.values()) earlier = addUsage(earlier, usage);
      return row.cached === true || !earlier ? row : { ...row, usage: addUsage(earlier, row.usage) };
    },
    /** Forgets what was carried for rows not kept (another file's row replaces them, see mergeResults). */
    clear(): void {
      carried.clear();
    },
  };
}

type CarriedRow = Pick<ResultRow, 'usage' | 'cached' | 'started_at' | 'finished_at'>;

/**
 * When a row's answer was asked and came, and what it spent: two rows that say the same are one
 * answer written twice (a Batch API's rows share their batch's times, never its spend).
 */
function askedAt(row: CarriedRow): string | undefined {
  const { usage } = row;
  return row.started_at && row.finished_at && usage ? `${row.started_at}/${row.finished_at}/${usage.prompt_tokens}/${usage.completion_tokens}` : undefined;
}
