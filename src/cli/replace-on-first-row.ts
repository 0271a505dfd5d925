import { writeEach, type RowWriter } from '../output/index.js';
import { toError } from '../util/error-message.js';

export type ReplaceOnFirstRow = RowWriter & {
  replace(): void;
  readonly replaced: boolean;
  /** Calls `listener` once the old results are replaced, whichever way (a row, `replace()`). */
  onReplace(listener: () => void): void;
};

/**
 * --overwrite replaces the old results only once this run has something to put in their place: a run
 * stopped before its first row (a rejected key, Ctrl-C, a 407) leaves them as they were.
 */
export function replaceOnFirstRow(open: () => RowWriter): ReplaceOnFirstRow {
  let real: RowWriter | undefined;
  const listeners: Array<() => void> = [];
  const ensure = () => {
    if (real) return real;
    real = open();
    for (const listener of listeners) listener();
    return real;
  };
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
    onReplace: (listener) => void listeners.push(listener),
  };
}
