import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { makeDirs } from '../util/make-dirs.js';
import { addressSpaceLimited } from '../util/address-space.js';
import { DamagedStoreError, freeListProblem, refuseDamaged, type StoreFileState } from './store-file-check.js';
import { checkSpareDescriptors } from './spare-descriptors.js';
import { checkRoomForNewStore } from './store-room.js';
import { checkStoreWritable } from './store-writable.js';
import { tolerateWhileHeld } from '../util/tolerate-rejection.js';
import { heldWrite, ignoredWrite, isDamagedStoreError, isStoreFailure, quietLmdbConsole } from './lmdb-failures.js';
import type { Logprobs, ToolCall, Usage } from '../types.js';
import { loadLmdb } from './load-lmdb.js';
import { RemovalFailedError, removeInBatches } from './remove-in-batches.js';
import type { cacheKeyString } from './cache-key.js';
import { LEGACY_STORE_FILE, STORE_FILE } from './store-files.js';
import { heldReader } from './held-reader.js';
import { checked, forgetDeadMarks, markOpen, needsCheck } from './store-use-marks.js';
import { type CacheStats, PROBE_ENV, probeStore, StorePagesDamagedError, StoreUncheckedError } from './store-probe.js';

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
  /** A reasoning model's thinking, when the answer had it. */
  reasoning?: string;
  /** When it was stored (ms since the epoch), for `cache prune`. */
  storedAt: number;
}

export type { CacheStats } from './store-probe.js';

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
  /**
   * Deletes entries stored before `before` (ms since the epoch); returns how many. In transactions of
   * a few thousand: a failed commit throws RemovalFailedError, and what was removed before it stays so.
   */
  prune(before: number): Promise<number>;
  /** Deletes every answer in place (the file stays, for the runs that have it open), as prune does; returns how many. */
  clear(): Promise<number>;
  /** Waits for pending writes, then closes. */
  close(): Promise<void>;
  /**
   * Loads what a first write will need, if it is not loaded yet, without creating the file: lmdb's
   * code, ~30 ms of CPU. Never throws (a failure to load shows when the write opens the file).
   */
  prepare(): void;
}

export { LEGACY_STORE_FILE, STORE_FILE } from './store-files.js';

/**
 * Bytes of the SHA-256 key the current file keys by: 128 bits leave a collision out of reach for
 * any cache, and at ~200 bytes an entry the other 16 were ~11 % of the file (issue 16).
 */
const KEY_BYTES = 16;
/**
 * Where msgpackr keeps the shapes of the stored objects, so an entry holds its values and a shape
 * number instead of every field name: 37.9 → 22.6 MB for 100,000 short answers, and less to encode
 * (issue 16). Not 16 bytes long, so never an answer's key.
 */
const STRUCTURES_KEY = Buffer.from('structures');

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
 *
 * `readOnly` is for looking only (`cache stats`): no directory is made, an empty file is read as no
 * database, and the store's writes are not there (lmdb's read-only database has no put).
 */
export async function openResponseStore(dir: string, options: StoreOpenOptions = {}): Promise<ResponseStore> {
  // As the CLI refuses an empty --cache-dir: '' was the working directory, a cache file left there.
  if (typeof dir !== 'string' || dir.trim() === '') throw new UsageError('openResponseStore: dir must be a directory path, got an empty one');
  const { readOnly = false } = options;
  const { file, legacyFile, state, legacyState } = prepareStoreDir(dir, options);
  // A reader opens what has a database in it (as the check just saw it): LMDB writes a new one into
  // an empty file, which a read-only open cannot (and must not: a run may be creating it this moment).
  const readable = (f: string, seen: StoreFileState) => (readOnly ? seen.kind !== 'absent' && seen.kind !== 'empty' : fs.existsSync(f));
  // A failed commit must cost only the cache: with several processes on one file lmdb 3.5.6 fails
  // one now and then (MDB_BAD_TXN; 5 of 30 processes in a stress test), and a full disk, a failing
  // device or a `ulimit -f` fails every one (ENOSPC, EIO, EFBIG). Every write is held (heldWrite),
  // but lmdb leaves a promise of its own unhandled: tolerated until close(), stepping aside for a
  // host app's own listener. See lmdb-failures.ts.
  const release = tolerateWhileHeld(isStoreFailure);
  // A writer marks the directory from just before LMDB first opens a file until close (store-use-marks.ts).
  let mark: ReturnType<typeof markOpen> | undefined;
  const opening = () => {
    if (!readOnly) mark ??= markOpen(dir);
  };
  const unmark = (clean: boolean) => mark?.close(clean);
  try {
    let legacy: Database | undefined;
    if (readable(legacyFile, legacyState)) {
      opening();
      legacy = await openDatabase(legacyFile, false, readOnly);
    }
    const current = lazyDatabase(file, readOnly, opening);
    if (readable(file, state)) await current.open();
    return storeOn(file, current, legacy, release, unmark);
  } catch (err) {
    release();
    // Not recorded: an open that failed may have failed on the file.
    unmark(false);
    throw err;
  }
}

export interface StoreOpenOptions {
  /** Only to look answers up (`cache stats`, `--dry-run`): see openDatabase. @default false */
  readOnly?: boolean;
  /**
   * Refuse a store a writer could not open ({@link checkStoreWritable}), also when `readOnly`: a
   * dry run refuses the cache its run would refuse. @default !readOnly
   */
  writable?: boolean;
  /**
   * When to read the store whole in a child process first (store-probe.ts), and throw
   * StorePagesDamagedError if that finds it damaged: `if-needed` when it may have been damaged since
   * it was last closed (store-use-marks.ts), `always` (`cache prune`), or `never`. @default 'if-needed'
   */
  check?: 'if-needed' | 'always' | 'never';
}

/**
 * What opening the store does before LMDB loads, and throws as it would: makes the directory (unless
 * `readOnly`), refuses a damaged store file or one that is no file, and (`writable`) store files or
 * a directory a writer cannot write. A run does it once more before it makes its output file, so
 * that a cache it cannot use refuses it before that (src/cli/open-cache.ts): nothing of LMDB is
 * loaded for it.
 */
export function prepareStoreDir(dir: string, { readOnly = false, writable = !readOnly, check = 'if-needed' }: StoreOpenOptions = {}) {
  // Answers may be as private as the prompts: the cache directory is the user's alone.
  if (!readOnly) makeDirs(dir, 0o700);
  const file = path.join(dir, STORE_FILE);
  const legacyFile = path.join(dir, LEGACY_STORE_FILE);
  // LMDB crashes on a damaged file rather than failing: what can be seen of damage is refused here.
  const [state, legacyState] = refuseDamaged([file, legacyFile]) as [StoreFileState, StoreFileState];
  // LMDB opens the file and its lock file read-write, creating what is not there: what it could not fails now.
  const legacy = fs.existsSync(legacyFile) ? [legacyFile, `${legacyFile}-lock`] : [];
  if (writable) checkStoreWritable(dir, [file, `${file}-lock`, ...legacy]);
  // A new store is written by this process's LMDB: a directory that cannot take its first pages crashed it.
  if (!readOnly && (state.kind === 'absent' || state.kind === 'empty')) checkRoomForNewStore(dir, file);
  // The probe's own child reads the store itself.
  if (check !== 'never' && process.env[PROBE_ENV] !== '1') checkPages(dir, file, check === 'always', [state, legacyState], readOnly);
  return { file, legacyFile, state, legacyState };
}

/**
 * Reads the store whole in a child process when it may be damaged (or `always`), and throws if it
 * is, or if it could not be read. `readOnly` (a dry run) leaves the marks and the record as they are.
 */
function checkPages(dir: string, file: string, always: boolean, states: StoreFileState[], readOnly: boolean): void {
  // Nothing to read: the marks of processes gone say nothing any more.
  if (!states.some((s) => s.kind === 'sound' || s.kind === 'unchecked')) {
    if (!readOnly) forgetDeadMarks(dir);
    return;
  }
  if (!always && !needsCheck(dir)) return;
  const verdict = probeStore(dir);
  if ('damaged' in verdict) {
    // Said from here on by the record the file no longer matches (a damaged file gets none).
    if (!readOnly) forgetDeadMarks(dir);
    throw new StorePagesDamagedError(verdict.file ?? file, verdict.damaged);
  }
  if ('unknown' in verdict) throw new StoreUncheckedError(file, verdict.unknown);
  if (!readOnly) checked(dir);
}

type Database = import('lmdb').RootDatabase<CachedAnswer, Buffer>;
type Transaction = import('lmdb').Transaction;

/**
 * The address space mapped for the file up front (the file itself grows as answers are written).
 * Left to grow by itself, lmdb maps the file again at each step and keeps the outgrown maps, all
 * resident: 78 MB of RSS for a 35 MB file after a 100,000-prompt run, against the file's size
 * with one map (issue 16). Not on Windows, where LMDB makes the file as large as its map, nor
 * where a 32-bit address space or a `ulimit -v` has no 16 GiB to give.
 */
const mapBytes = (): number | undefined => (process.platform === 'win32' || !process.arch.endsWith('64') || addressSpaceLimited() ? undefined : 2 ** 34);

/**
 * `readOnly` for a process that only reads (`cache stats`): LMDB's read-only environment takes no
 * part in writing. A read-write open commits a (empty) write transaction while opening, so it
 * waits for the write lock: `cache stats` hung for as long as a run or a `cache prune` held it. It
 * also opens with lmdb's overlappingSync, whose first opener rolls the file back to its last
 * flushed commit; a reader has no business writing the file.
 */
async function openDatabase(file: string, current: boolean, readOnly: boolean): Promise<Database> {
  // Before lmdb loads too: its package read under EMFILE failed as "Unexpected token 'export'".
  checkSpareDescriptors(file);
  const { open } = loadLmdb();
  const db = open<CachedAnswer, Buffer>({
    path: file,
    keyEncoding: 'binary',
    encoding: 'msgpack',
    ...(current ? { sharedStructuresKey: STRUCTURES_KEY } : {}),
    compression: false,
    mapSize: mapBytes(),
    ...(readOnly ? { readOnly: true } : {}),
  });
  quietLmdbConsole(db);
  return db;
}

/** Whether an entry of the current file is an answer (not msgpackr's shapes). */
const isAnswerKey = (key: Buffer): boolean => key.length === KEY_BYTES;

/** The current file, opened on first need: `now()` is undefined until then. */
function lazyDatabase(file: string, readOnly: boolean, beforeOpen: () => void) {
  let db: Database | undefined;
  let opening: Promise<Database> | undefined;
  return {
    now: () => db,
    open: () => {
      if (!opening) beforeOpen();
      opening ??= openDatabase(file, true, readOnly).then((d) => (db = d));
      return opening;
    },
    started: () => opening,
    /** There to prune or clear without creating it. */
    onDisk: () => opening !== undefined || fs.existsSync(file),
  };
}

/** The store over the current file and, if there is one, the legacy file. */
function storeOn(
  file: string,
  current: ReturnType<typeof lazyDatabase>,
  legacy: Database | undefined,
  release: () => void,
  unmark: (clean: boolean) => void,
): ResponseStore {
  // A key is copied by LMDB before a call returns: one buffer serves every lookup and write.
  const short = Buffer.alloc(KEY_BYTES);
  const shorten = (key: Buffer) => {
    key.copy(short, 0, 0, KEY_BYTES);
    return short;
  };
  // Lookups in the current file share a read transaction (see heldReader), let go after each of
  // this store's own commits so that a lookup then finds what it wrote.
  const reader = heldReader<Transaction>();
  // Once close() has begun, a lookup (a library host's, in flight) takes no transaction to hold.
  let closing = false;
  const lookup = (db: Database, key: Buffer) => (closing ? db.get(shorten(key)) : db.get(shorten(key), { transaction: reader.of(db) }));
  const committed = async <T>(write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      reader.drop();
    }
  };
  /**
   * The first failed write: once one has failed (a full disk, a failing device), later ones are
   * refused with it rather than sent, each of which lmdb's writer would fail again and print a line
   * for on stderr. The answer cache reports the failure once and the run goes on without storing.
   */
  let writeFailure: { cause: unknown } | undefined;
  /** Whether a read or a write met a damaged page: the file is then left for the next opener to read whole (store-use-marks.ts). */
  let damageMet = false;
  const noteDamage = (err: unknown) => {
    if (isDamagedStoreError(err) || (err instanceof RemovalFailedError && isDamagedStoreError(err.cause))) damageMet = true;
  };
  const stored = async <T>(write: () => Promise<T>): Promise<T> => {
    if (writeFailure) throw writeFailure.cause;
    try {
      return await heldWrite(write());
    } catch (cause) {
      writeFailure ??= { cause };
      noteDamage(cause);
      throw cause;
    }
  };
  /** Removes the answers `value` picks (all without it) from each file, counting across both when a commit fails. */
  const removeAnswers = async (value?: (answer: CachedAnswer | undefined) => boolean): Promise<number> => {
    let removed = 0;
    const files: Array<[Database, string, (key: Buffer) => boolean]> = [];
    if (current.onDisk()) files.push([await current.open(), file, isAnswerKey]);
    if (legacy) files.push([legacy, path.join(path.dirname(file), LEGACY_STORE_FILE), () => true]);
    for (const [db, at, answers] of files) {
      try {
        removed += await removeInBatches<CachedAnswer | undefined>(db, { key: answers, value });
      } catch (err) {
        noteDamage(err);
        if (!(err instanceof RemovalFailedError)) throw err;
        // As a failed put: close() then waits for no flush, which lmdb never finishes after it.
        writeFailure ??= { cause: err.cause };
        throw new RemovalFailedError(removed + err.removed, err.cause, at);
      }
    }
    return removed;
  };
  return {
    path: file,
    prepare: () => {
      if (current.started() !== undefined) return;
      try {
        loadLmdb();
      } catch {
        // The open that needs it reports it.
      }
    },
    get: (key) => {
      const db = current.now();
      try {
        return (db && lookup(db, key)) ?? legacy?.get(key);
      } catch (err) {
        noteDamage(err);
        throw err;
      }
    },
    put: async (key, answer) => {
      const db = await current.open();
      await committed(stored(() => db.put(shorten(key), answer)));
    },
    putMany: async (answers) => {
      if (writeFailure) throw writeFailure.cause;
      const db = await current.open();
      // Puts from one event turn are one LMDB transaction: the last one's promise is the commit's
      // (256 puts hand out one promise); any other is held too, its failure being the same commit's.
      let commit: Promise<boolean> | undefined;
      for (const [text, answer] of answers) {
        short.write(text, 0, KEY_BYTES, 'latin1');
        const put = db.put(short, answer);
        if (commit !== undefined && put !== commit) ignoredWrite(commit);
        commit = put;
      }
      if (commit) await committed(stored(() => commit));
    },
    stats() {
      let entries = 0;
      let oldest: number | null = null;
      let newest: number | null = null;
      const count = (db: Database, at: string, answers: (key: Buffer) => boolean) => {
        // LMDB's own count of the tree, read in the walk's read transaction (both within this call):
        // a walk that finds fewer met a page overwritten in place, which reads as an empty tree and
        // crashed the writer that added to it.
        const { entryCount } = db.getStats() as { entryCount: number };
        let walked = 0;
        for (const { key, value } of db.getRange()) {
          walked++;
          if (!answers(key)) continue;
          entries++;
          const stored = value?.storedAt;
          if (typeof stored === 'number') {
            if (oldest === null || stored < oldest) oldest = stored;
            if (newest === null || stored > newest) newest = stored;
          }
        }
        if (walked !== entryCount) throw new DamagedStoreError(at, `its pages hold ${walked} entries, its header counts ${entryCount}`);
        // Every write reads the free-page list, which the walk of the answers does not.
        const free = freeListProblem(at);
        if (free) throw new DamagedStoreError(at, free);
      };
      const db = current.now();
      const legacyFile = path.join(path.dirname(file), LEGACY_STORE_FILE);
      if (db) count(db, file, isAnswerKey);
      if (legacy) count(legacy, legacyFile, () => true);
      const size = (f: string) => fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0;
      const bytesOnDisk = size(file) + (legacy ? size(legacyFile) : 0);
      return { path: file, entries, bytesOnDisk, oldest, newest };
    },
    prune: (before) => committed(removeAnswers((answer) => !(typeof answer?.storedAt === 'number' && answer.storedAt >= before))),
    // Answers only, in place: a run that has the file open goes on sharing it, and msgpackr's
    // shapes stay, which that run's later answers are written with.
    clear: () => committed(removeAnswers()),
    async close() {
      // After a failed commit lmdb waits for a flush that never comes, in `flushed` and in close():
      // the file is as the last good commit left it, and the process's end releases the rest.
      closing = true;
      reader.drop();
      try {
        const written = writeFailure ? undefined : await current.started();
        for (const db of [written, legacy]) {
          if (!db) continue;
          await db.flushed;
          await db.close();
        }
      } finally {
        release();
        unmark(!damageMet);
      }
    },
  };
}
