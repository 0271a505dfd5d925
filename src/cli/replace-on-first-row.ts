import { writeEach, type RowWriter } from '../output/index.js';
import { toError } from '../util/error-message.js';

export type ReplaceOnFirstRow = RowWriter & { replace(): void; readonly replaced: boolean };

/**
 * --overwrite replaces the old results only once this run has something to put in their place: a run
 * stopped before its first row (a rejected key, Ctrl-C, a 407) leaves them as they were.
 */
export function replaceOnFirstRow(open: () => RowWriter): ReplaceOnFirstRow {
  let real: RowWriter | undefined;
  const ensure = () => (real ??= open());
  return {
    write(row) {
      try {
        return ensure().write(row);
      } catch (err) {
        return Promise.reject(toError(err));
      }
    },
    writeMany(rows) {
      try {
        return writeEach(ensure(), rows);
      } catch (err) {
        return Promise.reject(toError(err));
      }
    },
    close: () => real?.close() ?? Promise.resolve(),
    checkInPlace: () => real?.checkInPlace?.(),
    replace: () => void ensure(),
    get replaced() {
      return real !== undefined;
    },
  };
}
