import fs from 'node:fs';
import path from 'node:path';
import { STDOUT_NAMES } from './std-stream-names.js';

const statOf = (target: string | number): fs.Stats | undefined => {
  try {
    return typeof target === 'number' ? fs.fstatSync(target) : fs.statSync(target);
  } catch {
    return undefined;
  }
};

/**
 * Whether `file` (--summary-json, --report, --trace) is the stdout the result rows go to: named so
 * (`/dev/stdout`, `/dev/fd/1`), or the same pipe or file on disk (`--summary-json rows.jsonl >
 * rows.jsonl`). Its JSON or HTML would land among the rows, as `-` would, which is refused. A
 * character device is told by name only: a terminal is stderr's too, and /dev/null keeps nothing.
 */
export function isRowsStdout(file: string, output: { kind: string; path?: string }, stdoutFd: number | undefined): boolean {
  const rowsOnStdout = output.kind === 'stdout' || (output.path !== undefined && STDOUT_NAMES.test(path.resolve(output.path)));
  if (!rowsOnStdout) return false;
  if (STDOUT_NAMES.test(path.resolve(file))) return true;
  if (stdoutFd === undefined) return false;
  const rows = statOf(stdoutFd);
  const side = statOf(file);
  if (!rows || !side || side.isCharacterDevice()) return false;
  return rows.dev === side.dev && rows.ino === side.ino;
}
