import module from 'node:module';
import path from 'node:path';
import { defaultCacheDir } from '../cache/cache-dir.js';
import { makeDirs } from '../util/make-dirs.js';
import { othersCanWrite } from '../util/others-can-write.js';

/** Where the code cache goes unless NODE_COMPILE_CACHE says otherwise: the user's own cache dir. */
export function compileCacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(defaultCacheDir(env), 'node-compile-cache');
}

/** Undefined before node 22.1 (and in @types/node 20). */
const nodeEnableCompileCache = (module as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;

/**
 * Node's compile cache (node ≥ 22.1): V8's code for the packages a run requires from node_modules
 * (csv-parse, LMDB's smaller modules), kept on disk so that a run does not parse and compile them
 * again. The CLI's own script, and LMDB's and msgpackr's, have caches of their own beside it
 * (load-cli.ts, util/cached-cjs.ts). Called by bin/ before the CLI loads.
 *
 * In the user's cache directory, not node's default under the shared tmp dir: a code cache is
 * trusted input to V8, so no other user may be able to write it. NODE_COMPILE_CACHE=dir moves it
 * and NODE_DISABLE_COMPILE_CACHE=1 turns it off (node reads both). It never fails a run: node
 * reports a directory it cannot use in its return value, and skips a cache write it cannot make.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env, enable = nodeEnableCompileCache): void {
  if (typeof enable !== 'function') return;
  // Node reads both itself, before this runs: the cache is off, or already in the user's own
  // directory. Nothing is made under the cache dir for it then.
  if (env.NODE_DISABLE_COMPILE_CACHE || env.NODE_COMPILE_CACHE) return;
  try {
    const dir = compileCacheDir(env);
    // Under a home others could write to (HOME=/tmp, another user's .cache): V8 would run their code.
    if (othersCanWrite(dir)) return;
    // Made here, the user's alone: node's own recursive mkdir spins for ever where mkdir fails with
    // ENOENT under a parent that exists (XDG_CACHE_HOME under /proc hung every run on node 24).
    makeDirs(dir, 0o700);
    enable(dir);
  } catch {
    // A quiet optimization: a run goes on without it.
  }
}
