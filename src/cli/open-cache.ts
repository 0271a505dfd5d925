import fs from 'node:fs';
import { RunError } from '../errors.js';
import { DamagedStoreError, StoreNotAFileError } from '../cache/store-file-check.js';
import { StorePagesDamagedError, StoreUncheckedError } from '../cache/store-probe.js';
import type { CliConfig } from './config.js';
import { dirProblem, pathProblem } from './path-problem.js';
import { cacheClearHint } from './cache-clear-hint.js';
import { chatBaseURL, runLimitField } from './chat-base-url.js';
import { openResponseStore, prepareStoreDir } from '../cache/response-store.js';
import { createAnswerCache, type AnswerCache } from '../engine/answer-cache.js';
import { isStoreFailure } from '../cache/lmdb-failures.js';
import { tolerateRejection } from '../util/tolerate-rejection.js';
import { OPENAI_V1 } from '../provider/openai-url.js';

/**
 * Where the cache's lines go. A cache that stops storing answers mid-run costs the next run what this
 * one paid, so that is said even with --quiet, as a budget overrun is, and so is a damaged cache
 * file. A default directory that cannot be used from the start is a notice --quiet silences: a cron
 * job of a user without a (writable) home runs without a cache every time, and a line each run, even
 * one that sends nothing (a `--resume` of a finished output), would be mail every time. So is an
 * answer that could not be read: it is only asked again, and stored anew.
 */
export interface CacheSay {
  /** Said even with --quiet. */
  error(line: string): void;
  /** A notice --quiet silences. */
  info(line: string): void;
}

export interface OpenedCache {
  cache: AnswerCache;
  /** Waits for this run's writes, then closes the store. */
  close(): Promise<void>;
}

/** The endpoint answers are keyed under: the one the SDK posts to. */
export function chatEndpoint(config: CliConfig): string {
  return `${chatBaseURL(config) ?? OPENAI_V1}/chat/completions`;
}

/**
 * Opens the response cache for a run. A directory the user chose that cannot be used is an error
 * before anything is sent; the default one failing (a read-only home, a platform without LMDB's
 * binary) only costs the cache, so the run goes on without it after one line on stderr.
 * `readOnly` for `--dry-run`, which only looks answers up: it neither waits for a writer's lock nor
 * writes the file (nor makes the directory).
 */
export async function openCache(config: CliConfig, say: CacheSay, { readOnly = false } = {}): Promise<OpenedCache | undefined> {
  const { cache: chosen } = config;
  if (!chosen) return undefined;
  const { dir, unusable } = chosen;
  if (unusable) {
    say.info(`${unusable}: running without the response cache (LLM_BATCH_CACHE_DIR, XDG_CACHE_HOME or --cache-dir gives it one, --no-cache silences this)`);
    return undefined;
  }
  try {
    checkCacheDir(dir);
    // What a failed commit of lmdb's leaves unhandled ends no run, whenever it comes (the process is
    // ours: the library's own listener lasts only until the store is closed; see lmdb-failures.ts).
    tolerateRejection(isStoreFailure);
    // Checked as a writer would open it even when only reading: --dry-run refuses what its run would.
    const store = await openResponseStore(dir, { readOnly, writable: true });
    const cache = createAnswerCache(store, {
      endpoint: chatEndpoint(config),
      limitField: runLimitField(config),
      onError: (err) => say.error(`response cache: cannot store answers in ${dir} (${storeFailure(dir, err)}); the run goes on without storing`),
      onReadError: (err) => say.info(`response cache: cannot read an answer in ${dir} (${err.message}); such prompts are asked again`),
      // Even with --quiet: until the file is cleared, every run pays again for what it held.
      onDamage: (err) => say.error(damageLine(chosen, store.path, err.message)),
    });
    return {
      cache,
      async close() {
        await cache.flush();
        await store.close();
        // Removed under the run (rm -rf of the cache directory): LMDB wrote on into a file no run
        // will find, and the next run pays again for every answer this one stored.
        if (!readOnly && !fs.existsSync(store.path) && !fs.existsSync(dir))
          say.error(`response cache: ${dir} was removed while the run had it open: the answers this run stored went with it`);
      },
    };
  } catch (err) {
    return cacheUnusable(chosen, err, say);
  }
}

/**
 * A cache directory the user chose (--cache-dir, LLM_BATCH_CACHE_DIR) that cannot be used, refused
 * as openCache refuses it but before the run makes its output file, so that the refusal leaves no
 * empty output and OUT.meta.json behind (as no other refusal before sending does): the directory
 * that is a file, cannot be made or written in, a damaged store file or one that is no file. Seen
 * without LMDB, which openCache loads later. The default directory is not checked here: its failing
 * only costs the cache, said when it is opened.
 */
export function refuseUnusableCacheDir(config: CliConfig): void {
  if (!config.cache?.explicit) return; // the default directory failing only costs the cache
  try {
    checkCacheDir(config.cache.dir);
    // Not read whole here: damage only that finds costs the cache, not the run (openCache says it).
    prepareStoreDir(config.cache.dir, { check: 'never' });
  } catch (err) {
    cacheUnusable(config.cache, err, { error() {}, info() {} });
  }
}

/** The cache directory as a directory: not a file, nor one it cannot look in. */
function checkCacheDir(dir: string): void {
  const problem = dirProblem(dir);
  if (problem) throw new CacheDirError(problem);
}

/**
 * Why the cache cannot be opened, as a refusal (exit 2) for a directory the user chose; for the
 * default one, one line on stderr, and the run goes on without it (undefined).
 */
function cacheUnusable(cache: NonNullable<CliConfig['cache']>, err: unknown, say: CacheSay): undefined {
  const { dir, explicit } = cache;
  const warn = (line: string) => say.info(line);
  if (err instanceof StorePagesDamagedError) {
    // As damage met mid-run (said even with --quiet), only sooner: before anything is sent.
    say.error(damageLine(cache, err.file, err.why));
    return undefined;
  }
  if (err instanceof StoreUncheckedError) {
    // Opened unchecked, a damaged page would take the run down: the next run checks again.
    say.error(`response cache: cache file ${err.file} could not be checked after a run that left it open (${err.why}): the run goes on without the cache`);
    return undefined;
  }
  if (err instanceof DamagedStoreError) {
    // LMDB would crash on it: the file stays as it is (it is the user's to remove) and one line says how.
    const clear = cacheClearHint(explicit ? dir : undefined);
    if (explicit) throw new RunError(`${err.message}: ${clear} (or choose another --cache-dir, or --no-cache)`, 'usage');
    // Said even with --quiet: a cache that worked until its file broke pays again for every answer
    // it held, in every run until the file is cleared (a home without room for one is a notice).
    say.error(`${err.message}: running without the cache; ${clear}`);
    return undefined;
  }
  if (err instanceof StoreNotAFileError) {
    if (explicit) throw new RunError(`${err.message} (or choose another --cache-dir, or --no-cache)`, 'usage');
    warn(`${err.message}; running without the cache`);
    return undefined;
  }
  const why = err instanceof CacheDirError ? err.message : (err as NodeJS.ErrnoException).code ? pathProblem(err) : (err as Error).message;
  // Named as the run's other paths are: `--cache-dir DIR: permission denied`.
  if (explicit) throw new RunError(`${cache.chosenBy ?? 'the response cache'} ${dir}: ${why} (choose another --cache-dir, or --no-cache)`, 'usage');
  warn(`cannot open the response cache in ${dir}: ${why}; running without it (--cache-dir chooses another place, --no-cache silences this)`);
  return undefined;
}

/**
 * A failed commit's cause as said. LMDB's writer reports a full disk as EIO (its write-back of
 * mapped pages fails, a review on a full tmpfs: "Input/output error"), which sent the reader to the
 * device; with no room left where the file is, that is said.
 */
function storeFailure(dir: string, err: Error): string {
  if ((err as { code?: unknown }).code !== 5) return err.message;
  try {
    const fsStats = fs.statfsSync(dir);
    if (fsStats.bavail * fsStats.bsize < 1 << 20) return `no space left on the device (${err.message})`;
  } catch {
    // Said as LMDB said it.
  }
  return err.message;
}

/** Damage past the store's header (LMDB's error, or a probe's finding): the run goes on without the cache. */
function damageLine(cache: NonNullable<CliConfig['cache']>, file: string, why: string): string {
  return `response cache: cache file ${file} looks damaged (${why}): the run goes on without the cache; ${cacheClearHint(cache.explicit ? cache.dir : undefined)}`;
}

/** A cache directory that cannot be looked up or is not one, said before LMDB is loaded. */
class CacheDirError extends Error {}
