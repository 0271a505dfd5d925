import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { makeDirs } from '../util/make-dirs.js';
import { addressSpaceLimited } from '../util/address-space.js';
import { tolerateRejection } from '../util/tolerate-rejection.js';
import type { Logprobs, ToolCall, Usage } from '../types.js';
import type { cacheKeyString } from './cache-key.js';

/** One stored answer: what a result row needs to be rebuilt without a request. */
export interface CachedAnswer {
  text: string;
  finishReason: string | null;
  /** The model as the server named it (a dated snapshot, often). */
  model: string | null;
  /** As the server first reported it; a hit is priced at 0 whatever it says. */
  usage: Usage | null;
  /** The answer's function calls and logprobs, only when it had them (entries from before lack them). */
  toolCalls?: ToolCall[];
  logprobs?: Logprobs;
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
  /**
   * Several answers in one transaction, keyed by {@link cacheKeyString} (the key's bytes as latin1);
   * resolves once it is committed.
   */
  putMany(answers: ReadonlyMap<string, CachedAnswer>): Promise<void>;
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
 *
 * While no database file exists there is nothing to find, so lookups miss without LMDB, and the
 * first write loads and opens it: a first run's first request does not wait for LMDB's loading
 * (bench/results/2026-11-30-first-request.md).
 */
export async function openResponseStore(dir: string): Promise<ResponseStore> {
  // Answers may be as private as the prompts: the cache directory is the user's alone.
  makeDirs(dir, 0o700);
  const file = path.join(dir, STORE_FILE);
  if (fs.existsSync(file)) return storeOn(file, await openDatabase(file));
  // The write that creates the file comes later: a directory it cannot be written in fails now.
  fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  let db: Database | undefined;
  let opening: Promise<ResponseStore> | undefined;
  const opened = () => {
    opening ??= openDatabase(file).then((d) => storeOn(file, (db = d)));
    return opening;
  };
  return {
    path: file,
    get: (key) => db?.get(key),
    put: async (key, answer) => (await opened()).put(key, answer),
    putMany: async (answers) => (await opened()).putMany(answers),
    stats: () => (db ? storeOn(file, db).stats() : { path: file, entries: 0, bytesOnDisk: 0, oldest: null, newest: null }),
    prune: async (before) => (opening !== undefined || fs.existsSync(file) ? (await opened()).prune(before) : 0),
    clear: async () => (opening !== undefined || fs.existsSync(file) ? (await opened()).clear() : 0),
    close: async () => {
      if (opening !== undefined) await (await opening).close();
    },
  };
}

type Database = import('lmdb').RootDatabase<CachedAnswer, Buffer>;

/**
 * lmdb's CommonJS build: one file, where its ESM entry is a graph of modules that took ~40 ms of
 * CPU to load against ~23 ms (issue 16); the same code and version either way.
 */
const requireCjs = createRequire(import.meta.url);

/**
 * The address space mapped for the file up front (the file itself grows as answers are written).
 * Left to grow by itself, lmdb maps the file again at each step and keeps the outgrown maps, all
 * resident: 78 MB of RSS for a 35 MB file after a 100,000-prompt run, against the file's size
 * with one map (issue 16). Not on Windows, where LMDB makes the file as large as its map, nor
 * where a 32-bit address space or a `ulimit -v` has no 16 GiB to give.
 */
const mapBytes = (): number | undefined => (process.platform === 'win32' || !process.arch.endsWith('64') || addressSpaceLimited() ? undefined : 2 ** 34);

/**
 * lmdb rejects a failed commit's writes, and also a promise of its own that nothing can hold
 * (`commitError`, on each write's error): with several processes writing one file, lmdb 3.5.6
 * fails a commit now and then (MDB_BAD_TXN, mdb_page_alloc; 5 of 30 processes in a stress test),
 * and that rejection ended the run. The cache is not the record of results: the run goes on.
 */
const isCommitFailure = (reason: unknown): boolean =>
  reason instanceof Error && (reason.message.startsWith('Commit failed') || /^MDB_[A-Z_]+:/.test(reason.message));

async function openDatabase(file: string): Promise<Database> {
  tolerateRejection(isCommitFailure);
  const { open } = requireCjs('lmdb') as typeof import('lmdb');
  return open<CachedAnswer, Buffer>({ path: file, keyEncoding: 'binary', encoding: 'msgpack', compression: false, mapSize: mapBytes() });
}

function storeOn(file: string, db: Database): ResponseStore {
  return {
    path: file,
    get: (key) => db.get(key),
    put: async (key, answer) => {
      await db.put(key, answer);
    },
    putMany: async (answers) => {
      // Puts from one event turn are one LMDB transaction: the last one's promise is the commit's
      // (128 puts hand out one promise). A failed commit's other rejections: see isCommitFailure.
      // A put copies its key before it returns, so one buffer serves them all.
      const key = Buffer.alloc(32);
      let committed: Promise<boolean> | undefined;
      for (const [text, answer] of answers) {
        key.write(text, 0, 'latin1');
        committed = db.put(key, answer);
      }
      await committed;
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
