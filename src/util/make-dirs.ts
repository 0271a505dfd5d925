import fs from 'node:fs';
import path from 'node:path';
import { statIfThere } from './stat-if-there.js';

/** Deeper than any real path: the walk up to an existing parent cannot loop. */
const MAX_DEPTH = 256;

/**
 * `mkdir -p` without `fs.mkdirSync(dir, { recursive: true })`, which spins at full CPU forever where
 * mkdir fails with ENOENT under a parent that exists (`/proc/nope`): the missing parents are found
 * by a bounded walk up, then created top-down one by one, so every failure is an error with a code.
 */
export function makeDirs(dir: string, mode = 0o777): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw new Error(`${dir}: too deep`);
    const stat = statIfThere(at);
    if (stat) {
      if (!stat.isDirectory()) throw Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR' });
      break;
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d, { mode });
    } catch (err) {
      // Another process made it meanwhile: as good as ours.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statIfThere(d)?.isDirectory()) continue;
      const code = (err as NodeJS.ErrnoException).code;
      // A symlink to nothing: `mkdir` says only that the name exists.
      const dangling = code === 'EEXIST' ? danglingTarget(d) : undefined;
      if (dangling !== undefined)
        throw Object.assign(new Error(`cannot create directory ${d}: it is a symbolic link to ${dangling}, which does not exist`), { code });
      throw Object.assign(new Error(`cannot create directory ${d}${code ? ` (${code})` : ''}`), { code });
    }
  }
}

/** Where `p` points, when it is a symbolic link whose target is not there. */
function danglingTarget(p: string): string | undefined {
  try {
    return fs.lstatSync(p).isSymbolicLink() ? fs.readlinkSync(p) : undefined;
  } catch {
    return undefined;
  }
}
