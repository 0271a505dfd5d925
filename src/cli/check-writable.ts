import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/**
 * A file the run writes at its end must be writable before the first request is paid for: its
 * directory exists and takes files, and it is not itself a directory.
 */
export function checkWritableFile(file: string, flag: string): void {
  const why = unwritableReason(file);
  if (why) throw new UsageError(`${flag} ${file}: ${why}`);
}

/** Why `file` cannot be created or written (`permission denied`, `no such directory …`), or undefined. */
export function unwritableReason(file: string): string | undefined {
  const dir = path.dirname(path.resolve(file));
  let why: string | undefined;
  try {
    if (!fs.statSync(dir).isDirectory()) why = `${dir} is not a directory`;
    else {
      const existing = fs.statSync(file, { throwIfNoEntry: false });
      if (existing?.isDirectory()) why = 'is a directory';
      else fs.accessSync(existing ? file : dir, fs.constants.W_OK);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? `no such directory ${dir}` : code === 'EACCES' ? 'permission denied' : (err as Error).message;
  }
  return why;
}
