// Through the module object, not named imports: a test watches the calls with vi.spyOn.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Renames `from` over `to`, then fsyncs the folder `to` is in: until the folder's entry is on disk,
 * a power loss may undo the rename and leave the old file, so a compacted or merged output would
 * quietly revert. `from` must be fsynced already (its content is not). Throws the rename's error; a
 * folder that cannot be fsynced is no error.
 */
export function renameDurably(from: string, to: string): void {
  fs.renameSync(from, to);
  syncDir(path.dirname(path.resolve(to)));
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every platform lets a folder be fsynced (Windows); the rename itself is atomic.
  }
}
