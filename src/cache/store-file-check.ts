import fs from 'node:fs';
import { type FreeTree, freePagesPast } from './free-tail.js';
import { wordsOf } from './lmdb-words.js';

/**
 * What an LMDB data file's meta pages say, read without LMDB. LMDB trusts its file: random bytes,
 * a truncated copy or overwritten pages take the process down with SIGSEGV or SIGBUS, with no
 * message, in every run and in `cache clear` (review s9, F4). It has no checksums, so not every
 * damage can be seen; what is cheap to see is checked here before the file is opened: one stat,
 * one open, two fstats and two reads of 184 bytes (~20 µs); a file shorter than its meta page says
 * also has its freelist read (free-tail.ts).
 */
export type StoreFileState =
  | { kind: 'absent' }
  /** Zero bytes: LMDB writes a new database into it. */
  | { kind: 'empty' }
  /** `entries`: the main database's entry count, as the latest meta page has it. */
  | { kind: 'sound'; entries: number }
  | { kind: 'damaged'; why: string }
  /** Not a regular file (a FIFO, a directory, a device): never opened, by this or by LMDB. */
  | { kind: 'not-a-file'; what: string }
  /** A build whose layout this does not know (32-bit): left to LMDB. */
  | { kind: 'unchecked' };

/**
 * The layout, from lmdb-js 3.5.6's own fork of mdb.c (dependencies/lmdb/libraries/liblmdb), on a
 * 64-bit build: pages 0 and 1 are meta pages, each a 24-byte page header (mp_pgno 8, mp_txnid 8,
 * mp_pad 2, mp_flags 2, mp_lower 2, mp_upper 2) then MDB_meta: mm_magic 4, mm_version 4,
 * mm_address 8, mm_mapsize 8, mm_dbs[2] (48 bytes each: md_pad 4, md_flags 2, md_depth 2, then 8
 * each for branch, leaf and overflow pages, md_entries and md_root), mm_last_pg 8, mm_txnid 8. The
 * page size is mm_dbs[FREE_DBI].md_pad. Files are in the machine's byte order.
 */
const PAGE_HEADER = 24;
const FLAGS_AT = 18;
const P_META = 0x08;
const MAGIC_AT = PAGE_HEADER;
const VERSION_AT = PAGE_HEADER + 4;
const PAGE_SIZE_AT = PAGE_HEADER + 24;
const FREE_DEPTH_AT = PAGE_HEADER + 24 + 6;
const FREE_ROOT_AT = PAGE_HEADER + 24 + 40;
const MAIN_ENTRIES_AT = PAGE_HEADER + 24 + 48 + 32;
const LAST_PAGE_AT = PAGE_HEADER + 120;
const TXNID_AT = PAGE_HEADER + 128;
const META_BYTES = PAGE_HEADER + 136;
const MDB_MAGIC = 0xbeefc0de;
/** MDB_DATA_VERSION in lmdb-js's fork (as in upstream 0.9): the low 16 bits of mm_version. */
const MDB_DATA_VERSION = 2;
/** LMDB's page sizes: the OS page size, at most MAX_PAGESIZE (64 KiB). */
const MIN_PAGE = 256;
const MAX_PAGE = 0x10000;

interface Meta {
  pageSize: number;
  entries: number;
  lastPage: number;
  txnid: number;
  free: FreeTree;
}

export function inspectStoreFile(file: string): StoreFileState {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return { kind: 'absent' };
  // Not opened unless a file: a FIFO's open waits for a writer (LMDB's too: `cache stats` hung, a
  // run or `cache prune` died of SIGSEGV).
  if (!stat.isFile()) return { kind: 'not-a-file', what: fileKind(stat) };
  if (!process.arch.endsWith('64')) return { kind: 'unchecked' };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    // Removed since (`cache clear`): absent. Unreadable (permissions): LMDB's open says why, in a
    // message and without a crash.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'absent' } : { kind: 'unchecked' };
  }
  try {
    // Sizes are the open file's, not the path's: a file removed and created again since the stat
    // (`cache clear`, then a run) is not read as one cut short.
    if (fs.fstatSync(fd).size === 0) return { kind: 'empty' };
    // Read again while a writer commits in between (a meta page naming a freelist it has since
    // rewritten): what is missing is judged on a view no commit changed.
    for (let attempt = 1; ; attempt++) {
      const latest = latestMeta(fd);
      if (typeof latest === 'string') return { kind: 'damaged', why: latest };
      const needed = (latest.lastPage + 1) * latest.pageSize;
      // The size after the meta pages were read, not before: a run writing the file commits a
      // transaction's pages (growing the file) before its meta page, so a meta page read here names no
      // page the file lacks now. Taken before, a commit in between read as damage: `cache stats` and
      // a second run refused a file that was only growing (7 of ~1M checks beside a 3,000-prompt run).
      const size = fs.fstatSync(fd).size;
      if (size >= needed) return { kind: 'sound', entries: latest.entries };
      // Short of its last page: sound only if every missing page is one the freelist holds (see free-tail.ts).
      const whole = Math.floor(size / latest.pageSize);
      const missing = latest.lastPage + 1 - whole;
      if (freePagesPast(fd, latest.free, whole, latest.lastPage) === missing) return { kind: 'sound', entries: latest.entries };
      const now = latestMeta(fd);
      if (attempt === 3 || typeof now === 'string' || now.txnid === latest.txnid)
        return { kind: 'damaged', why: `it is ${size} bytes long, its meta page says ${needed}` };
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether the latest meta page's free-page list reads as one (see free-tail.ts), or what is wrong.
 * LMDB reads it in every write transaction, and a page of it overwritten crashed every run that
 * stored an answer while a walk of the answers found nothing wrong (review s69). Judged on a view no
 * commit changed: read again while a writer commits in between, and undefined when it never settled.
 */
export function freeListProblem(file: string): string | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const latest = latestMeta(fd);
      if (typeof latest === 'string') return latest;
      const whole = Math.floor(fs.fstatSync(fd).size / latest.pageSize);
      // Depth 0: no free page, no tree to read.
      const readable = latest.free.depth === 0 || freePagesPast(fd, latest.free, whole, latest.lastPage) !== undefined;
      const now = latestMeta(fd);
      if (typeof now !== 'string' && now.txnid !== latest.txnid) continue;
      return readable ? undefined : 'its list of free pages cannot be read';
    }
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** The meta page LMDB opens the file by: the one of the two with the later transaction. */
function latestMeta(fd: number): Meta | string {
  const buf = Buffer.allocUnsafe(META_BYTES);
  const read = (offset: number): Buffer | undefined => (fs.readSync(fd, buf, 0, META_BYTES, offset) === META_BYTES ? buf : undefined);
  const first = metaOf(read(0), 0);
  if (typeof first === 'string') return first;
  const second = metaOf(read(first.pageSize), 1);
  if (typeof second === 'string') return second;
  if (second.pageSize !== first.pageSize) return 'its two meta pages disagree on the page size';
  return second.txnid > first.txnid ? second : first;
}

/** What a path that is not a regular file is, as `ls -l` would tell it. */
function fileKind(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Meta page `n` (0 or 1), or what is wrong with it. */
function metaOf(page: Buffer | undefined, n: number): Meta | string {
  if (!page) return n === 0 ? 'it is shorter than an LMDB header' : 'it is shorter than its two meta pages';
  const { u16, u32, u64 } = wordsOf(page);
  if (!(u16(FLAGS_AT) & P_META) || u32(MAGIC_AT) !== MDB_MAGIC) return `page ${n} is not an LMDB meta page`;
  const version = u32(VERSION_AT) & 0xffff;
  if (version !== MDB_DATA_VERSION) return `its meta page ${n} has version ${version}, not ${MDB_DATA_VERSION}`;
  const pageSize = u32(PAGE_SIZE_AT);
  if (pageSize < MIN_PAGE || pageSize > MAX_PAGE || (pageSize & (pageSize - 1)) !== 0) return `its meta page ${n} has a page size of ${pageSize}`;
  return {
    pageSize,
    entries: u64(MAIN_ENTRIES_AT),
    lastPage: u64(LAST_PAGE_AT),
    txnid: u64(TXNID_AT),
    free: { pageSize, root: u64(FREE_ROOT_AT), depth: u16(FREE_DEPTH_AT) },
  };
}

/** A store file that fails {@link inspectStoreFile}: the cache is unusable until it is removed. */
export class DamagedStoreError extends Error {
  override readonly name = 'DamagedStoreError';
  readonly type = 'cache-damaged';
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`cache file ${file} is damaged (${why})`);
  }
}

/**
 * A store path that is no regular file: the cache cannot be used, nor cleared (what is there is not
 * the store's to remove), until it is moved away.
 */
export class StoreNotAFileError extends Error {
  override readonly name = 'StoreNotAFileError';
  constructor(
    readonly file: string,
    readonly what: string,
  ) {
    super(`cache file ${file} is ${what}, not a regular file: move it away`);
  }
}

/**
 * Throws {@link DamagedStoreError} for the first of `files` that is damaged, {@link StoreNotAFileError}
 * for one that is no file; else what each is.
 */
export function refuseDamaged(files: readonly string[]): StoreFileState[] {
  return files.map((file) => {
    const state = inspectStoreFile(file);
    if (state.kind === 'damaged') throw new DamagedStoreError(file, state.why);
    if (state.kind === 'not-a-file') throw new StoreNotAFileError(file, state.what);
    return state;
  });
}
