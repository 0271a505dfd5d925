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
 *
 * `open` calls `gone` once the old results are gone (their record rewritten, their rows emptied), if
 * it gets that far: a writer that then fails to open (no descriptor left) leaves them replaced all the
 * same, and the run must not say that they were kept.
 */
export function replaceOnFirstRow(open: (gone: () => void) => RowWriter): ReplaceOnFirstRow {
  let real: RowWriter | undefined;
  let replaced = false;
  const listeners: Array<() => void> = [];
  const gone = () => {
    if (replaced) return;
    replaced = true;
    for (const listener of listeners) listener();
  };
  const ensure = () => {
    if (real) return real;
    real = open(gone);
    gone();
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
      return replaced;
    },
    onReplace: (listener) => void listeners.push(listener),
  };
}
