import fs from 'node:fs';
import path from 'node:path';
import type { Usage } from '../types.js';

/** One stored answer: what a result row needs to be rebuilt without a request. */
export interface CachedAnswer {
  text: string;
  finishReason: string | null;
  /** The model as the server named it (a dated snapshot, often). */
  model: string | null;
  /** As the server first reported it; a hit is priced at 0 whatever it says. */
  usage: Usage | null;
  /** When it was stored (ms since the epoch), for `cache prune`. */
  storedAt: number;
}

export interface CacheStats {
  path: string;
  entries: number;
  /** Bytes of the database file on disk (LMDB grows it in steps; it does not shrink on delete). */
  bytesOnDisk: number;
  oldest: number | null;
  newest: number | null;
}

/** A key-value store of answers keyed by {@link cacheKey}. Shared by processes; crash-safe. */
export interface ResponseStore {
  readonly path: string;
  get(key: Buffer): CachedAnswer | undefined;
  /** Resolves once the write is committed; writes from one tick share a transaction. */
  put(key: Buffer, answer: CachedAnswer): Promise<void>;
  stats(): CacheStats;
  /** Deletes entries stored before `before` (ms since the epoch); returns how many. */
  prune(before: number): Promise<number>;
  clear(): Promise<number>;
  /** Waits for pending writes, then closes. */
  close(): Promise<void>;
}

/** The database file's name: a new layout gets a new name rather than misreading an old file. */
export const STORE_FILE = 'answers-v1.lmdb';

/**
 * Opens (creating if needed) the store in `dir`. LMDB (memory-mapped B+tree, copy-on-write): opening
 * reads nothing but the header, so a million entries open in ~2 ms; a reader never blocks and
 * writers from several processes take turns on its lock; a commit is one atomic meta-page switch,
 * so a kill -9 mid-write loses at most the uncommitted transaction. Measured against SQLite and
 * cacache in bench/README.md ("Response cache store"). Loaded only when a run uses the cache.
 */
export async function openResponseStore(dir: string): Promise<ResponseStore> {
  // Answers may be as private as the prompts: the cache directory is the user's alone.
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, STORE_FILE);
  const { open } = await import('lmdb');
  const db = open<CachedAnswer, Buffer>({ path: file, keyEncoding: 'binary', encoding: 'msgpack', compression: false });
  return {
    path: file,
    get: (key) => db.get(key),
    put: async (key, answer) => {
      await db.put(key, answer);
    },
    stats() {
      let entries = 0;
      let oldest: number | null = null;
      let newest: number | null = null;
      for (const { value } of db.getRange()) {
        entries++;
        const at = value?.storedAt;
        if (typeof at === 'number') {
          if (oldest === null || at < oldest) oldest = at;
          if (newest === null || at > newest) newest = at;
        }
      }
      const bytesOnDisk = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      return { path: file, entries, bytesOnDisk, oldest, newest };
    },
    async prune(before) {
      let removed = 0;
      await db.transaction(() => {
        for (const { key, value } of db.getRange()) {
          if (!(typeof value?.storedAt === 'number' && value.storedAt >= before)) {
            db.remove(key);
            removed++;
          }
        }
      });
      return removed;
    },
    async clear() {
      const count = db.getCount();
      await db.clearAsync();
      return count;
    },
    async close() {
      await db.flushed;
      await db.close();
    },
  };
}
