import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { makeDirs } from '../util/make-dirs.js';
import { addressSpaceLimited } from '../util/address-space.js';
import { residentFileBytes } from '../util/resident-file-bytes.js';
import type { Usage } from '../types.js';
import type { cacheKeyString } from './cache-key.js';

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
export async function openResponseStore(dir: string, options: StoreOptions = {}): Promise<ResponseStore> {
  // Answers may be as private as the prompts: the cache directory is the user's alone.
  makeDirs(dir, 0o700);
  const file = path.join(dir, STORE_FILE);
  if (fs.existsSync(file)) return storeOn(file, options);
  // The write that creates the file comes later: a directory it cannot be written in fails now.
  fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  let store: ResponseStore | undefined;
  const opened = () => (store ??= storeOn(file, options));
  return {
    path: file,
    get: (key) => store?.get(key),
    put: async (key, answer) => opened().put(key, answer),
    putMany: async (answers) => opened().putMany(answers),
    stats: () => (store ? store.stats() : { path: file, entries: 0, bytesOnDisk: 0, oldest: null, newest: null }),
    prune: async (before) => (store !== undefined || fs.existsSync(file) ? opened().prune(before) : 0),
    clear: async () => (store !== undefined || fs.existsSync(file) ? opened().clear() : 0),
    close: async () => store?.close(),
  };
}

/** For tests and benchmarks; a run takes the defaults. */
export interface StoreOptions {
  /**
   * Bytes of the file's pages let into this process's RSS before its map is dropped and made
   * again (see {@link storeOn}).
   * @default RESIDENT_BUDGET
   */
  residentBudget?: number;
  /**
   * No recycling while the file is smaller than this.
   * @default RECYCLE_MIN_FILE
   */
  recycleMinFile?: number;
  /** This process's resident bytes of mapped files; undefined where unknown (nothing is recycled). */
  residentBytes?: () => number | undefined;
  /** Called after each recycling of the map (tests count them). */
  onRecycle?: () => void;
}

/**
 * 8 MiB: the file's pages a run lets pile up before a reopen (plus the commit under way: ~13 MB of
 * a 300 MB file for 128 answers). A reopen costs ~1.2 ms of CPU, ~2.5 ms with the pages faulted in
 * again (bench/results/2026-11-30-cache-s8.md).
 */
const RESIDENT_BUDGET = 8 * 2 ** 20;
/**
 * 48 MiB: no recycling of a smaller file. At thousands of answers a second, one commit and the
 * lookups around it map 20 MB of a 34 MB file again within 50 ms of a reopen (550 reopens in a
 * 100,000-prompt run still peaked at 28 MB resident), so reopening costs without saving.
 */
const RECYCLE_MIN_FILE = 48 * 2 ** 20;
/**
 * Whether another process has the file open now (a slot in LMDB's reader table: every run looks
 * up before it writes). 3 processes writing 20,000 answers each into one file while each reopened
 * ~100 times: 192–384 committed answers missing afterwards (2 runs); with this check, 3 of 3 runs
 * complete. A shared file is never reopened.
 */
function sharedNow(db: Database): boolean {
  for (const line of db.readerList().split('\n')) {
    const pid = Number.parseInt(line, 10);
    if (Number.isInteger(pid) && pid !== process.pid) return true;
  }
  return false;
}

/** Lookups and writes between two readings of the resident size (~7 µs each). */
const CHECK_EVERY = 32;

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

function openDatabase(file: string): Database {
  const { open } = requireCjs('lmdb') as typeof import('lmdb');
  return open<CachedAnswer, Buffer>({ path: file, keyEncoding: 'binary', encoding: 'msgpack', compression: false, mapSize: mapBytes() });
}

/**
 * The store over one LMDB environment that it closes and opens again whenever the file's pages
 * resident in this process grow past the budget. Every page a lookup or a write reads goes through
 * the map and stays mapped, and the kernel maps up to 64 KiB around each one it faults in: random
 * keys spread a run's reads over the whole file, so all of it ended up in RSS (29 MB after 100,000
 * answers, 437 MB after the `batch` bench's 1,000,000). Closing unmaps it; the pages stay in the
 * page cache, so reading them again costs a minor fault, not I/O. Writes that arrive meanwhile wait
 * for the new environment; lookups in the few microtasks of the close itself miss (one request
 * more, never a wrong answer).
 */
function storeOn(file: string, options: StoreOptions): ResponseStore {
  const residentBytes = options.residentBytes ?? residentFileBytes;
  const budget = options.residentBudget ?? RESIDENT_BUDGET;
  const minFile = options.recycleMinFile ?? RECYCLE_MIN_FILE;
  let db = openDatabase(file);
  let base = residentBytes();
  let sinceCheck = 0;
  let recycling: Promise<void> | undefined;
  let closing = false;
  let broken: Error | undefined;
  const recycle = async () => {
    try {
      // Every write issued so far committed and synced, while lookups still read the old map.
      await db.flushed;
      closing = true;
      await db.close();
      db = openDatabase(file);
      base = residentBytes();
      options.onRecycle?.();
    } catch (err) {
      // No environment now: lookups miss and writes fail (the answer cache reports it once).
      broken = err instanceof Error ? err : new Error(String(err));
    } finally {
      closing = false;
      recycling = undefined;
    }
  };
  const touched = (count: number) => {
    sinceCheck += count;
    if (sinceCheck < CHECK_EVERY || recycling !== undefined || base === undefined) return;
    sinceCheck = 0;
    const now = residentBytes();
    if (now === undefined || now - base <= budget) return;
    if ((fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) >= minFile && !sharedNow(db)) recycling = recycle();
    // A small or shared file: counted again from here, so the next look is a budget away.
    else base = now;
  };
  /** The environment to write to, once no recycling is under way. */
  const writable = async (): Promise<Database> => {
    while (recycling !== undefined) await recycling;
    if (broken) throw broken;
    return db;
  };
  return {
    path: file,
    get(key) {
      if (closing || broken) return undefined;
      touched(1);
      return db.get(key);
    },
    put: async (key, answer) => {
      const into = await writable();
      const committed = into.put(key, answer);
      touched(1);
      await committed;
    },
    putMany: async (answers) => {
      const into = await writable();
      // Puts from one event turn are one LMDB transaction: the last one's promise is the commit's.
      // A put copies its key before it returns, so one buffer serves them all.
      const key = Buffer.alloc(32);
      let committed: Promise<boolean> | undefined;
      for (const [text, answer] of answers) {
        key.write(text, 0, 'latin1');
        committed = into.put(key, answer);
      }
      touched(answers.size);
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
      const db = await writable();
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
      const db = await writable();
      const count = db.getCount();
      await db.clearAsync();
      return count;
    },
    async close() {
      while (recycling !== undefined) await recycling;
      await db.flushed;
      await db.close();
    },
  };
}
