import * as fs from 'node:fs';
import { OutputWriteError, RunError } from '../errors.js';
import type { ResultRow } from '../types.js';
import { toError } from '../util/error-message.js';
import { writeAllSync } from '../util/write-all-sync.js';

export interface RowAppender {
  /** Rows appended so far. */
  readonly rows: number;
  /** Set once an append failed (or `fail` was called): every later one throws it. */
  readonly failure: OutputWriteError | undefined;
  /** Refuses every later append with `err` (the file moved away, its lock taken). */
  fail(err: OutputWriteError): void;
  /** Appends text that is no row (a CSV header), as rows are appended; throws as they fail. */
  put(encoded: readonly string[]): void;
  write(row: ResultRow): Promise<void>;
  writeMany(rows: readonly ResultRow[]): Promise<void>;
  /** From now on an append is refused as after close. */
  close(): void;
}

/**
 * Rows appended to `fd`, a regular file's descriptor at its end (opened to append, or its offset at
 * the end and only moved by us), one write a call, synchronously: the row is in the file when
 * write() returns. When a write fails (a full disk takes part of a row), the torn part is cut off
 * again (see cutBack): the file holds whole rows only, and the caller is told how many of its rows
 * are among them (OutputWriteError's `rowsKept`). `cannotWrite` words the failure; `name` the file.
 * `shared`: another program may write to the file between rows (a log stdout is appended to), so
 * its end is looked up before each write, and a cut never takes that program's lines.
 */
export function rowAppender(fd: number, encode: (row: ResultRow) => string, name: string, cannotWrite: (err: unknown) => string, shared = false): RowAppender {
  let failure: OutputWriteError | undefined;
  let closed = false;
  // Where the file ends: a failed append is cut back to it, or to the last whole row it wrote.
  let size = fs.fstatSync(fd).size;
  let rows = 0;
  const put = (encoded: readonly string[]): void => {
    if (closed) throw new RunError(`Output file ${name} is already closed`, 'output');
    if (failure) throw failure;
    try {
      if (shared) size = fs.fstatSync(fd).size;
      size += writeAllSync(fd, encoded.length === 1 ? encoded[0]! : encoded.join(''));
    } catch (err) {
      failure = new OutputWriteError(cannotWrite(err));
      const kept = wholeRowsIn(fd, size, encoded);
      cutBack(fd, kept.end);
      size = kept.end;
      // Only this call's rows were kept; a later one's are not (it throws `failure`, which keeps none).
      throw kept.rows > 0 ? new OutputWriteError(failure.message, kept.rows) : failure;
    }
  };
  return {
    get rows() {
      return rows;
    },
    get failure() {
      return failure;
    },
    fail(err) {
      failure ??= err;
    },
    put,
    // Not `async`: the row must be in the file when write() returns, not on a later tick.
    write(row) {
      try {
        put([encode(row)]);
        rows++;
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(toError(err));
      }
    },
    writeMany(group) {
      try {
        put(group.map((row) => encode(row)));
        rows += group.length;
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(toError(err));
      }
    },
    close() {
      closed = true;
    },
  };
}

/**
 * After a failed append of `encoded` rows that began at `start`: how many of them are whole in the
 * file, and where the last of those ends. The file's size says how far the append got (the short
 * writes before the error); a row's end comes from the rows' encoded byte lengths, never from a
 * search for '\n', which a CSV field may hold. A size that cannot be read keeps none of them.
 */
function wholeRowsIn(fd: number, start: number, encoded: readonly string[]): { rows: number; end: number } {
  let reached: number;
  try {
    reached = fs.fstatSync(fd).size;
  } catch {
    return { rows: 0, end: start };
  }
  let rows = 0;
  let end = start;
  for (const text of encoded) {
    const next = end + Buffer.byteLength(text, 'utf8');
    if (next > reached) break;
    end = next;
    rows++;
  }
  return { rows, end };
}

/**
 * Takes back the torn part of a failed append (a full disk takes part of a row): the file then holds
 * only whole rows, each of which the caller is told about, so the summary's counts and a --resume
 * agree with it. Shrinking needs no room; if it fails all the same, the torn line stays for --resume
 * to repair, as after a kill.
 */
function cutBack(fd: number, size: number): void {
  try {
    fs.ftruncateSync(fd, size);
  } catch {
    // See above: a torn last line, which a resume repairs.
  }
}
