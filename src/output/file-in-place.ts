import { fstatSync, statSync } from 'node:fs';
import { errnoCode } from '../util/error-message.js';
import { counted } from '../util/group-digits.js';

/**
 * Whether the file open as `fd` is still the one at `path`: `removed` when it has no name left
 * (`rm out.jsonl`, `rm -rf` of its folder), `moved` when `path` leads elsewhere or nowhere while the
 * file lives on under another name (`mv out.jsonl out.jsonl.1`, log rotation, a file put in its
 * place). Rows written through `fd` then land where nobody reads them. Two system calls: for a
 * writer's close and a timer, never for each row. Undefined when it is in place, or cannot be told.
 */
export function fileMovedAway(fd: number, path: string): 'removed' | 'moved' | undefined {
  let open: { nlink: number; dev: number; ino: number };
  try {
    open = fstatSync(fd);
  } catch {
    return undefined;
  }
  if (open.nlink === 0) return 'removed';
  let now: { dev: number; ino: number } | undefined;
  try {
    now = statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    // A part of the path made a file meanwhile leads nowhere too; no permission to look says nothing.
    if (errnoCode(err) !== 'ENOTDIR') return undefined;
  }
  return now?.dev === open.dev && now.ino === open.ino ? undefined : 'moved';
}

/** The one line said when rows went to a file no longer at its path (see fileMovedAway). */
export function movedAwayMessage(path: string, how: 'removed' | 'moved', rows: number): string {
  const written = `the ${counted(rows, 'row')} written to it`;
  return how === 'removed'
    ? `${path} was removed during the run: ${written} went to a file no longer on disk; a --resume asks again the prompts ${path} has no row for`
    : `${path} was moved or replaced during the run: ${written} went to the file moved away, not to ${path}; a --resume asks again the prompts ${path} has no row for`;
}

/** The one line said when the output's lock went to another run during this one (see LockHandle.lost). */
export function lockTakenMessage(path: string, lost: string, rows: number): string {
  return `${lost}: this run stopped writing to ${path}, which keeps the ${counted(rows, 'row')} it wrote; once that run is over, a --resume asks again the prompts ${path} has no row for`;
}
