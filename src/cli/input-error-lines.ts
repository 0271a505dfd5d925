import type { ResultRow } from '../types.js';
import type { Reporter } from '../ui/reporter.js';
import { groupDigits } from '../util/group-digits.js';

/** Bad input lines named one by one on stderr; past that, one line counts the rest. */
export const INPUT_ERROR_LINES = 20;

/**
 * Each bad input record is said on stderr, even with -q, but only the first
 * {@link INPUT_ERROR_LINES}: a broken export of a million rows must not become a million-line
 * cron mail. `end()` says how many more there were; every one of them is a row either way.
 */
export function inputErrorLines(reporter: Pick<Reporter, 'error'>, limit = INPUT_ERROR_LINES): { row(row: ResultRow): void; end(): void } {
  let seen = 0;
  let ended = false;
  return {
    row(row) {
      if (row.error?.type !== 'input') return;
      if (++seen <= limit) reporter.error(row.error.message);
    },
    end() {
      if (ended || seen <= limit) return;
      ended = true;
      const more = seen - limit;
      reporter.error(`… and ${groupDigits(more)} more bad input ${more === 1 ? 'record' : 'records'} (their rows have error.type "input")`);
    },
  };
}
