import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { CliIo, HeldSignals } from './io.js';
import { fnv1a } from '../util/fnv1a.js';
import { othersCanWrite } from '../util/others-can-write.js';
import { compileCacheDir } from './compile-cache.js';
import { cacheFilesIn, readIfThere, writeCodeCache } from '../util/code-cache-file.js';
import { removeQuietly } from '../util/remove-quietly.js';

/** What dist/bundle/cli.cjs exports (src/cli/cli-bundle.ts). */
export interface CliBundle {
  main(argv: readonly string[], io: CliIo): Promise<number>;
  processIo(early?: HeldSignals): CliIo;
  codeCacheWorthy(): boolean;
  makesCodeCache(): void;
  restoreV8Flags(): void;
  cachePackageCode(dir: string): void;
  keepPackageCode(worthy: boolean): void;
  library(): Record<string, unknown>;
}

export interface LoadOptions {
  /**
   * Whether lmdb's scripts are compiled with code caches of our own too (util/cached-cjs.ts): for
   * bin/, not for the library's entry, whose host app may require lmdb itself and must get the
   * one copy node's loader keeps. @default true
   */
  packages?: boolean;
}

/** The first line of cli.cjs names its build (scripts/bundle.mjs): `//llm-batch-build:<hex>`. */
const BUILD_LINE = /^\/\/llm-batch-build:([0-9a-f]{16})\n/;

/**
 * Loads the CLI from its one CommonJS script with a V8 code cache of its own, and returns it with
 * `keepCode`, which bin/ calls once the run is over.
 *
 * Why not node's compile cache, as for the ES modules this replaced: node makes that cache as soon as
 * a module is compiled, when V8 has compiled only its top level; every function a run calls was
 * compiled again in every run. V8 makes this one when a run is over (`keepCode`), with every function
 * that run compiled: a one-prompt run's CPU went from 257 to 207 ms on node 22, 254 to 180 on node
 * 24 and 299 to 212 on node 20, which has no compile cache for ES modules
 * (bench/results/2026-12-04-s37-code-cache.md). That run keeps the bytecode V8 would flush from
 * functions idle for a while (`makesCodeCache`, tune-heap.ts's keepBytecode): a long first run's
 * cache otherwise lacked all that only its start ran.
 *
 * The cache is V8's code, trusted as the script is: it lives where node's compile cache does, in the
 * user's own cache directory (made 0700), off under NODE_DISABLE_COMPILE_CACHE. Its name carries the
 * build's hash (of the script's content: V8 itself checks only its length) with the script's mtime,
 * and node's version; V8 refuses one made under other flags. It never fails a run: a cache that
 * cannot be read or written is a run without one.
 */
export function loadCli(env: NodeJS.ProcessEnv = process.env, { packages = true }: LoadOptions = {}): { cli: CliBundle; keepCode(): void } {
  const file = fileURLToPath(new URL('./cli.cjs', import.meta.url));
  // ASCII, which the build checks: as Latin-1 it becomes V8's one-byte string without a UTF-8 decode.
  const source = fs.readFileSync(file, 'latin1');
  const caches = codeCacheFiles(source, fs.statSync(file).mtimeMs, env);
  const full = caches && readIfThere(caches.full);
  const partial = caches && !full ? readIfThere(caches.partial) : undefined;
  // The script is one function expression, CommonJS's wrapper with an import() as a sixth argument
  // (scripts/bundle.mjs writes it): compiled as read, with no copy of it made to wrap it.
  const script = new vm.Script(source, { filename: file, cachedData: full ?? partial });
  const module = { exports: {} as CliBundle };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const importModule = (specifier: string) => import(specifier);
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file), importModule);
  const cli = module.exports;
  if (caches === undefined) return { cli, keepCode: () => {} };
  // lmdb's scripts get caches of their own beside it, made as this one is (util/cached-cjs.ts).
  if (packages) cli.cachePackageCode(path.dirname(caches.full));
  const keepPackageCode = () => cli.keepPackageCode(cli.codeCacheWorthy());
  // Nothing kept for a run that used a whole cache: the cache's bytes (1.2 MB) go with this call.
  if (full && !script.cachedDataRejected) return { cli, keepCode: keepPackageCode };
  cli.makesCodeCache();
  const hadNone = !full && !partial;
  const keepCode = () => {
    keepPackageCode();
    const worthy = cli.codeCacheWorthy();
    // A partial cache only where there was none: one V8 refused (other flags) is not made again
    // in every run that cannot replace it.
    if (!worthy && !hadNone) return;
    cli.restoreV8Flags();
    writeCache(worthy ? caches.full : caches.partial, script.createCachedData());
    if (worthy) removeQuietly(caches.partial);
  };
  return { cli, keepCode };
}

/**
 * `<compile cache dir>/cli-<build>-<node version>-<arch>.v8`, or undefined where there is to be none;
 * with `.partial.v8` for the cache a run that sent no prompt to an API makes (`--help`, `--mock`,
 * `report`, a Batch API submit that exits pending…).
 *
 * `<build>` is the build's hash folded with the script's mtime, so that a hand edit of the built
 * script (which keeps the build line, and may keep its length, all V8 checks) gets a cache of its
 * own rather than code compiled from what it replaced. npm installs every file with one fixed mtime.
 *
 * Why a partial one: without any cache V8 pre-parses the whole 1.8 MB script in every start (`--help`
 * took 89 ms of CPU, against 55 with a run's cache), and a user who never makes a whole run (only
 * `--mock`, only the Batch API's commands) never had one. It holds only what that command compiled,
 * so the first whole run that uses it makes the whole cache and removes it: V8 takes the cache a
 * script was first given for ever, which is why a partial one has a name of its own.
 */
function codeCacheFiles(source: string, mtimeMs: number, env: NodeJS.ProcessEnv): { full: string; partial: string } | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const hash = BUILD_LINE.exec(source.slice(0, 64))?.[1];
  if (hash === undefined) return undefined;
  const build = asBuilt(hash, mtimeMs);
  let dir: string;
  try {
    dir = env.NODE_COMPILE_CACHE || compileCacheDir(env);
  } catch {
    return undefined; // no home to keep it in: a start without it
  }
  // The default place, under a home others could write to: their code would run as this user's.
  if (!env.NODE_COMPILE_CACHE && othersCanWrite(dir)) return undefined;
  const stem = path.join(dir, `cli-${build}-${process.version}-${process.arch}`);
  return { full: `${stem}.v8`, partial: `${stem}.partial.v8` };
}

/** 16 hex digits from the build's hash and the script's mtime: two FNV-1a passes, no crypto to load. */
export function asBuilt(hash: string, mtimeMs: number): string {
  const text = `${hash}:${mtimeMs}`;
  const hex = (seed?: number) => fnv1a(text, seed).toString(16).padStart(8, '0');
  return hex() + hex(0x050c5d1f);
}

/** Written whole or not at all; then the caches of all but the latest builds go. */
function writeCache(file: string, data: Buffer): void {
  writeCodeCache(file, data, (names, dir) => staleCaches(cacheFilesIn(dir, names, CACHE_NAME)));
}

const CACHE_NAME = /^cli-([0-9a-f]{16})-.*\.v8$/;

/** Builds whose caches stay: two versions used in turn (a global install and a project's) keep both. */
export const KEPT_BUILDS = 3;

/**
 * The cache files to remove: those of every build but the `keep` whose caches were written last
 * (each build has one per node version). Every upgrade leaves a build behind, and a build's cache
 * is ~1.2 MB.
 */
export function staleCaches(caches: readonly { name: string; mtimeMs: number }[], keep = KEPT_BUILDS): string[] {
  const latest = new Map<string, number>();
  for (const { name, mtimeMs } of caches) {
    const build = CACHE_NAME.exec(name)?.[1];
    if (build !== undefined) latest.set(build, Math.max(latest.get(build) ?? 0, mtimeMs));
  }
  const kept = new Set(
    [...latest]
      .sort((a, b) => b[1] - a[1])
      .slice(0, keep)
      .map(([build]) => build),
  );
  return caches.flatMap(({ name }) => {
    const build = CACHE_NAME.exec(name)?.[1];
    return build === undefined || kept.has(build) ? [] : [name];
  });
}
