import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { cacheFilesIn, readIfThere, writeCodeCache } from './code-cache-file.js';
import { sha256 } from './sha256.js';
import { restoreV8Flags } from './v8-flags.js';

/**
 * Where the code caches of packages' scripts go: undefined until the CLI's loader names it
 * (src/cli/load-cli.ts), so that a host app's process, which may require the same package itself,
 * gets node's modules.
 */
let cacheDir: string | undefined;
/** Scripts compiled this run without a cache V8 took: theirs is made at the end of the run. */
const uncached: { script: vm.Script; file: string }[] = [];

/** The CommonJS wrapper node's own loader puts around a module. */
const HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const TAIL = '\n})';

/** Caches of this many scripts stay (two per version of lmdb: its own and msgpackr's). */
const KEPT_CACHES = 8;
const CACHE_NAME = /^pkg-[0-9a-f]{16}-.*\.v8$/;

/** Called by the CLI's loader: package scripts run by {@link requireCached} get code caches in `dir`. */
export function cachePackageCode(dir: string): void {
  cacheDir = dir;
}

export const cachingPackageCode = (): boolean => cacheDir !== undefined;

/**
 * Runs the CommonJS script `file` as node's loader would, compiled with a V8 code cache of our own
 * when {@link cachePackageCode} named a directory. Node's compile cache is made as a module is
 * compiled, when V8 has compiled its top level only, so every function a run called was compiled
 * again in every run; this one is made at the end of a run ({@link keepPackageCode}) with them all,
 * as the CLI's own script's is. A one-prompt run with the response cache so costs ~4-9 ms less CPU
 * on node 22 and 24, where lmdb's and msgpackr's scripts are loaded so (bench/results/2026-12-05-s45.md).
 *
 * `requires` are what its require() gets for those ids instead of node's module (a package
 * loaded this way too). The cache is named by a hash of the script and node's version: an upgrade
 * of the package or of node is a new cache.
 */
export function requireCached(file: string, requires: Readonly<Record<string, unknown>> = {}): unknown {
  const source = fs.readFileSync(file, 'utf8');
  const cache = cacheDir && path.join(cacheDir, `pkg-${sha256(source, 'hex').slice(0, 16)}-${process.version}-${process.arch}.v8`);
  const cachedData = cache ? readIfThere(cache) : undefined;
  const script = new vm.Script(HEAD + source + TAIL, { filename: file, cachedData });
  // One V8 refused (damaged, or made under other flags) is made again, as the CLI's is.
  if (cache && (cachedData === undefined || script.cachedDataRejected)) uncached.push({ script, file: cache });
  const nodeRequire = createRequire(file);
  const ownRequire = Object.assign((id: string) => (Object.hasOwn(requires, id) ? requires[id] : nodeRequire(id)), nodeRequire);
  const module = { exports: {} as unknown, id: file, filename: file, loaded: false };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, ownRequire, module, file, path.dirname(file));
  module.loaded = true;
  return module.exports;
}

/**
 * At the end of a run: makes the caches of the scripts that had none V8 took, if `worthy` (the run ran a
 * batch, so that the functions its cache holds are those a run calls: V8 takes the first cache a
 * script is given for ever). With V8's flags as the process started, which V8 stamps the cache with.
 */
export function keepPackageCode(worthy: boolean): void {
  if (!worthy || uncached.length === 0) return;
  restoreV8Flags();
  for (const { script, file } of uncached.splice(0)) {
    let data: Buffer;
    try {
      data = script.createCachedData();
    } catch {
      continue;
    }
    writeCodeCache(file, data, (names, dir) =>
      cacheFilesIn(dir, names, CACHE_NAME)
        .sort((a, b) => b.mtimeMs - a.mtimeMs)
        .slice(KEPT_CACHES)
        .map((c) => c.name),
    );
  }
}
