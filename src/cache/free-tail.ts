import fs from 'node:fs';
import { littleEndian, wordsOf } from './lmdb-words.js';

/**
 * LMDB's latest meta page names the last page the database has used, and the file can stop short
 * of it while sound: a transaction that takes fresh pages past the end and frees them again before
 * it commits (lmdb's "loose" pages) never writes them (mdb.c, mdb_page_flush), and the freelist
 * holds them from then on. After a large removal (`cache prune`) every commit of a run can leave 18
 * such pages past the end, and `cache stats` called the file damaged. What is missing is a sound
 * file's only if the freelist holds every page of it; anything else is a file cut short.
 */

/** The freelist's tree, as the latest meta page has it (mm_dbs[FREE_DBI]). */
export interface FreeTree {
  pageSize: number;
  root: number;
  depth: number;
}

/** Page header (lmdb-js's fork: mp_pgno 8, mp_txnid 8, mp_pad 2, mp_flags 2, mp_lower 2, mp_upper 2). */
const PAGE_HEADER = 24;
const FLAGS_AT = 18;
const LOWER_AT = 20;
/** An overflow page's count of pages, in place of mp_lower and mp_upper. */
const OVERFLOW_PAGES_AT = 20;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
/** A leaf node whose data is on overflow pages. */
const F_BIGDATA = 0x01;
/** Where the low and high 32 bits of a 64-bit slot are, in this machine's order. */
const [LOW, HIGH] = littleEndian ? [0, 1] : [1, 0];
/** A node's header: data size (or child page) 4, flags 2, key size 2; the key and data follow. */
const NODE_HEADER = 8;

/**
 * How many of the pages from `end` (the file's whole pages) to `last` the freelist holds, or
 * undefined when the freelist cannot be read as one (a page of it at or past `end`, or not what its
 * parent says it is). Reads only the freelist: a few pages, some hundreds after a prune of a million.
 */
export function freePagesPast(fd: number, tree: FreeTree, end: number, last: number): number | undefined {
  const { pageSize } = tree;
  const read = (pgno: number, count = 1): Buffer | undefined => {
    if (pgno + count > end) return undefined;
    const buf = Buffer.allocUnsafe(pageSize * count);
    return fs.readSync(fd, buf, 0, buf.length, pgno * pageSize) === buf.length ? buf : undefined;
  };
  let found = 0;
  /**
   * The free pages a freelist record lists: single pages, and runs as (-length, first page); its
   * slots read as 32-bit halves of an aligned copy, in this machine's order, in one plain loop: a
   * record can hold tens of thousands, read once, before any of this is compiled.
   */
  const count = (data: Buffer): boolean => {
    const halves = new Int32Array(data.buffer.slice(data.byteOffset, data.byteOffset + (data.length & ~7)));
    const n = halves.length >> 1;
    const length = ((halves[LOW] as number) >>> 0) + (halves[HIGH] as number) * 2 ** 32;
    if (length >= n) return false;
    let run = 1;
    for (let i = 1; i <= length; i++) {
      const v = ((halves[2 * i + LOW] as number) >>> 0) + (halves[2 * i + HIGH] as number) * 2 ** 32;
      if (v < 0) run = -v;
      else if (v > 0) {
        if (v + run > end && v <= last) found += Math.min(v + run, last + 1) - Math.max(v, end);
        run = 1;
      }
    }
    return run === 1;
  };
  const leafData = (page: Buffer, at: number): Buffer | undefined => {
    const w = wordsOf(page);
    const size = w.u32(at);
    const data = at + NODE_HEADER + w.u16(at + 6);
    if (!(w.u16(at + 4) & F_BIGDATA)) return data + size <= pageSize ? page.subarray(data, data + size) : undefined;
    const first = data + 8 <= pageSize ? w.u64(data) : end;
    const head = read(first);
    if (!head || !isPage(head, first, P_OVERFLOW)) return undefined;
    const span = wordsOf(head).u32(OVERFLOW_PAGES_AT);
    if (PAGE_HEADER + size > span * pageSize) return undefined;
    return read(first, span)?.subarray(PAGE_HEADER, PAGE_HEADER + size);
  };
  const visit = (pgno: number, level: number): boolean => {
    const page = level <= tree.depth ? read(pgno) : undefined;
    if (!page) return false;
    const w = wordsOf(page);
    const branch = isPage(page, pgno, P_BRANCH);
    if (!branch && !isPage(page, pgno, P_LEAF)) return false;
    const keys = w.u16(LOWER_AT) >> 1;
    if (PAGE_HEADER + keys * 2 > pageSize) return false;
    for (let i = 0; i < keys; i++) {
      const at = PAGE_HEADER + w.u16(PAGE_HEADER + i * 2);
      if (at + NODE_HEADER > pageSize) return false;
      if (branch) {
        if (!visit(w.u32(at) + w.u16(at + 4) * 2 ** 32, level + 1)) return false;
        continue;
      }
      const data = leafData(page, at);
      if (!data || !count(data)) return false;
    }
    return true;
  };
  return visit(tree.root, 1) ? found : undefined;
}

/** Whether `page` is page `pgno` of the kind `flag` says (its header names its own number). */
function isPage(page: Buffer, pgno: number, flag: number): boolean {
  const w = wordsOf(page);
  return w.u64(0) === pgno && (w.u16(FLAGS_AT) & flag) !== 0;
}
