import type { ResultRow, Usage } from '../types.js';
import { fnv1a } from '../util/fnv1a.js';

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
 * The spend of rows left out, per key, until the row that replaces them takes it: each under when it
 * was asked (`at`: see stampOf), so one row copied twice (a `cat a >> a`, a row appended again) is one
 * spend, and a copy of the kept row none. A row whose `at` is not known is like no other. One entry a
 * key in the common case (a prompt asked again once), a list beyond; held for every key whose
 * replacing row is still to come (a million of them compacting a resumed run). Serves `--compact`'s
 * usage (usageCarrier) and the report's tokens (latestRows) alike.
 */
export function paidCarrier<T>(add: (total: T | null, more: T) => T) {
  const carried = new Map<string, Paid<T> | Paid<T>[]>();
  let unstamped = 0;
  return {
    /** A row left out, asked `at`, that spent `spent`. */
    drop(key: string, at: number | undefined, spent: T): void {
      const paid: Paid<T> = { at: at ?? -++unstamped, spent };
      const before = carried.get(key);
      if (before === undefined) carried.set(key, paid);
      else {
        const list = Array.isArray(before) ? before : [before];
        const same = list.findIndex((p) => p.at === paid.at);
        if (same >= 0) list[same] = paid;
        else list.push(paid);
        if (!Array.isArray(before)) carried.set(key, list);
      }
    },
    /** What the rows left out for `key` spent, a copy of the kept row (asked `at`) aside, or null; forgotten then. */
    take(key: string, at: number | undefined): T | null {
      const before = carried.get(key);
      if (before === undefined) return null;
      carried.delete(key);
      let total: T | null = null;
      for (const paid of Array.isArray(before) ? before : [before]) if (paid.at !== at) total = add(total, paid.spent);
      return total;
    },
    /** Forgets what was carried for rows not kept (another file's row replaces them, see mergeResults). */
    clear(): void {
      carried.clear();
    },
  };
}

/** A left-out row's spend, and when it was asked (negative: not known). */
interface Paid<T> {
  at: number;
  spent: T;
}

/**
 * When a row's answer was asked and came, and what it spent, as a 32-bit hash: two rows that say
 * the same are one answer written twice (a Batch API's rows share their batch's times, never its
 * spend). Compared only among one prompt's rows, where a collision would take two to one.
 */
export function stampOf(startedAt: string | number, finishedAt: string | number, promptTokens: number | null, completionTokens: number | null): number {
  return fnv1a(`${startedAt}/${finishedAt}/${promptTokens}/${completionTokens}`);
}

/**
 * The usage of the rows a compaction leaves out, carried to the row that replaces them: an
 * `aborted` or failed row was paid for, and a resume that asks its prompt again must not make that
 * spend vanish from the file (`report` prices rows, and reads one row per prompt). The replacing
 * row's `usage` becomes the sum, as a re-ask adds its tokens to its row's. A row served from the
 * response cache cost nothing here: it carries nothing, and takes nothing (its usage is the stored
 * answer's, which `report` prices at $0). A row left out that was asked when the kept one was, at the
 * same spend (its started_at, finished_at and usage), is that row copied, and carries nothing.
 * Superseded rows always come before the row that replaces them.
 */
export function usageCarrier() {
  const paid = paidCarrier<Usage>((total, usage) => addUsage(total, usage)!);
  return {
    /** A row left out: its usage waits for the row that replaces it. */
    drop(key: string, row: CarriedRow): void {
      if (row.usage && row.cached !== true) paid.drop(key, askedAt(row), row.usage);
    },
    /** The row kept for `key`, with the usage of the rows it replaced (not its own copies) added to its own. */
    keep<R extends CarriedRow>(key: string, row: R): R {
      const earlier = paid.take(key, askedAt(row));
      return row.cached === true || !earlier ? row : { ...row, usage: addUsage(earlier, row.usage) };
    },
    clear: paid.clear,
  };
}

type CarriedRow = Pick<ResultRow, 'usage' | 'cached' | 'started_at' | 'finished_at'>;

/** A result row's stampOf, from its times as written; undefined without them or a usage. */
function askedAt(row: CarriedRow): number | undefined {
  const { usage } = row;
  return row.started_at && row.finished_at && usage ? stampOf(row.started_at, row.finished_at, usage.prompt_tokens, usage.completion_tokens) : undefined;
}
