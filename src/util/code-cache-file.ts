import fs from 'node:fs';
import path from 'node:path';
import { makeDirs } from './make-dirs.js';
import { tempPathOf } from './temp-path.js';

/**
 * Writes a V8 code cache whole or not at all (runs start side by side), then removes what `stale`
 * picks of the names in its directory. Not writeFileAtomic's fsyncs: a cache torn by a crash is one
 * V8 refuses, and a later run makes it again. Never throws: a cache that cannot be written is a run
 * without one.
 */
export function writeCodeCache(file: string, data: Buffer, stale: (names: string[], dir: string) => string[]): void {
  const temp = tempPathOf(file);
  try {
    const dir = path.dirname(file);
    makeDirs(dir, 0o700);
    fs.writeFileSync(temp, data, { mode: 0o600 });
    fs.renameSync(temp, file);
    for (const name of stale(fs.readdirSync(dir), dir)) fs.rmSync(path.join(dir, name), { force: true });
  } catch {
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // Nothing was made where nothing can be.
    }
  }
}

/** A cache file's bytes, or undefined where there is none (or it cannot be read). */
export function readIfThere(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** `names` that match `pattern`, with their mtimes (those gone meanwhile left out). */
export function cacheFilesIn(dir: string, names: string[], pattern: RegExp): { name: string; mtimeMs: number }[] {
  return names.flatMap((name) => {
    const mtimeMs = pattern.test(name) ? fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.mtimeMs : undefined;
    return mtimeMs === undefined ? [] : [{ name, mtimeMs }];
  });
}
