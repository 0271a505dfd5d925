import { RunError } from '../errors.js';
import { DamagedStoreError, StoreNotAFileError } from '../cache/store-file-check.js';
import type { AnswerCache } from '../engine/answer-cache.js';
import { tokenLimitField } from '../provider/request-body.js';
import type { CliConfig } from './config.js';
import { dirProblem, pathProblem } from './path-problem.js';
import { cacheClearHint } from './cache-clear-hint.js';

export interface OpenedCache {
  cache: AnswerCache;
  /** Waits for this run's writes, then closes the store. */
  close(): Promise<void>;
}

/** The endpoint answers are keyed under: the one the SDK posts to. */
export function chatEndpoint(config: CliConfig): string {
  const base = config.provider.kind === 'mock' ? 'http://mock.invalid/v1' : (config.provider.baseURL ?? 'https://api.openai.com/v1');
  return `${base}/chat/completions`;
}

/**
 * Opens the response cache for a run. A directory the user chose that cannot be used is an error
 * before anything is sent; the default one failing (a read-only home, a platform without LMDB's
 * binary) only costs the cache, so the run goes on without it after one line on stderr.
 * `readOnly` for `--dry-run`, which only looks answers up: it neither waits for a writer's lock nor
 * writes the file (nor makes the directory).
 */
export async function openCache(config: CliConfig, warn: (message: string) => void, { readOnly = false } = {}): Promise<OpenedCache | undefined> {
  if (!config.cache) return undefined;
  const { dir, explicit } = config.cache;
  // Named as the run's other paths are: `--cache-dir DIR: permission denied`.
  const named = `${config.cache.chosenBy ?? 'the response cache'} ${dir}`;
  try {
    const problem = dirProblem(dir);
    if (problem) throw new CacheDirError(problem);
    const [{ openResponseStore }, { createAnswerCache }] = await Promise.all([import('../cache/response-store.js'), import('../engine/answer-cache.js')]);
    const store = await openResponseStore(dir, { readOnly });
    const baseURL = config.provider.kind === 'openai' ? config.provider.baseURL : undefined;
    const cache = createAnswerCache(store, {
      endpoint: chatEndpoint(config),
      limitField: tokenLimitField(baseURL),
      onError: (err) => warn(`response cache: cannot store answers in ${dir} (${err.message}); the run goes on without storing`),
      onReadError: (err) => warn(`response cache: cannot read an answer in ${dir} (${err.message}); such prompts are asked again`),
    });
    return {
      cache,
      async close() {
        await cache.flush();
        await store.close();
      },
    };
  } catch (err) {
    if (err instanceof DamagedStoreError) {
      // LMDB would crash on it: the file stays as it is (it is the user's to remove) and one line says how.
      const clear = cacheClearHint(explicit ? dir : undefined);
      if (explicit) throw new RunError(`${err.message}: ${clear} (or choose another --cache-dir, or --no-cache)`, 'usage');
      warn(`${err.message}: running without the cache; ${clear}`);
      return undefined;
    }
    if (err instanceof StoreNotAFileError) {
      if (explicit) throw new RunError(`${err.message} (or choose another --cache-dir, or --no-cache)`, 'usage');
      warn(`${err.message}; running without the cache`);
      return undefined;
    }
    const why = err instanceof CacheDirError ? err.message : (err as NodeJS.ErrnoException).code ? pathProblem(err) : (err as Error).message;
    if (explicit) throw new RunError(`${named}: ${why} (choose another --cache-dir, or --no-cache)`, 'usage');
    warn(`cannot open the response cache in ${dir}: ${why}; running without it (--cache-dir chooses another place, --no-cache silences this)`);
    return undefined;
  }
}

/** A cache directory that cannot be looked up or is not one, said before LMDB is loaded. */
class CacheDirError extends Error {}
