import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { removeStore } from '../../src/cache/remove-store.js';
import { LEGACY_STORE_FILE, STORE_FILE, openResponseStore, type CachedAnswer } from '../../src/cache/response-store.js';
import { DamagedStoreError, inspectStoreFile, StoreNotAFileError } from '../../src/cache/store-file-check.js';
import { tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-store-check-');
afterAll(() => tmp.cleanup());

const answer: CachedAnswer = { text: 'ECHO hi', finishReason: 'stop', model: 'm', usage: null, storedAt: 1_700_000_000_000 };

const answers = (from: number, n: number) =>
  new Map(Array.from({ length: n }, (_, i) => [String(from + i).padEnd(32, '.'), { ...answer, text: `answer ${from + i} ${'x'.repeat(200)}` }]));

/** A sound store file with 300 answers, as a run leaves it: its bytes. */
let sound: Buffer;
/** The same file after a later commit of 300 more: longer, its latest meta page naming pages `sound` lacks. */
let grown: Buffer;
beforeAll(async () => {
  const dir = path.join(tmp.dir, 'sound');
  for (const [from, keep] of [
    [0, (b: Buffer) => (sound = b)],
    [300, (b: Buffer) => (grown = b)],
  ] as const) {
    const store = await openResponseStore(dir);
    await store.putMany(answers(from, 300));
    await store.close();
    keep(fs.readFileSync(path.join(dir, STORE_FILE)));
  }
});

let n = 0;
/** A directory holding `bytes` as its current store file. */
function storeWith(bytes: Buffer, name = STORE_FILE): { dir: string; file: string } {
  const dir = path.join(tmp.dir, `case-${++n}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return { dir, file };
}

const edited = (edit: (b: Buffer) => void): Buffer => {
  const copy = Buffer.from(sound);
  edit(copy);
  return copy;
};
const pageSize = () => sound.readUInt32LE(48);

describe('inspectStoreFile', () => {
  it('reads a sound file: its entries (the answers and msgpackr’s shapes), no more', () => {
    expect(inspectStoreFile(storeWith(sound).file)).toEqual({ kind: 'sound', entries: 301 });
    expect(inspectStoreFile(path.join(tmp.dir, 'nowhere.lmdb'))).toEqual({ kind: 'absent' });
    expect(inspectStoreFile(storeWith(Buffer.alloc(0)).file)).toEqual({ kind: 'empty' });
  });

  it.each([
    ['random bytes', () => randomBytes(20_000), /page 0 is not an LMDB meta page/],
    ['a few bytes', () => Buffer.from('not a database'), /shorter than an LMDB header/],
    ['only its first page', () => sound.subarray(0, pageSize()), /shorter than its two meta pages/],
    ['cut to half', () => sound.subarray(0, sound.length / 2), /it is \d+ bytes long, its meta page says \d+/],
    ['one page short', () => sound.subarray(0, sound.length - pageSize()), /bytes long, its meta page says/],
    ['meta page 1 overwritten', () => edited((b) => b.fill(0xab, pageSize(), pageSize() + 64)), /page 1 is not an LMDB meta page/],
    ['another data version', () => edited((b) => b.writeUInt32LE(999, 28)), /meta page 0 has version 999, not 2/],
    ['a page size that is none', () => edited((b) => b.writeUInt32LE(3000, 48)), /meta page 0 has a page size of 3000/],
  ])('finds %s damaged', (_, bytes, why) => {
    const state = inspectStoreFile(storeWith(bytes()).file);
    expect(state.kind).toBe('damaged');
    expect(state.kind === 'damaged' && state.why).toMatch(why);
  });
});

describe('inspectStoreFile beside a run writing the file', () => {
  afterEach(() => vi.restoreAllMocks());

  // What another process does to the file between the inspection's look at it and its reads. A
  // commit writes its pages (the file grows) before its meta page: read against the size from
  // before, the meta page named pages past the end, and `cache stats` or a second run called a
  // growing cache damaged: 13 of 738 `cache stats --json` beside a writer printed nothing, exit 2.
  it.each([
    ['commits a transaction that grows it', (file: string) => fs.writeFileSync(file, grown), { kind: 'sound', entries: 601 }],
    ['removes it (cache clear)', (file: string) => fs.rmSync(file), { kind: 'absent' }],
    [
      'removes it and creates it anew (cache clear, then a run)',
      (file: string) => {
        fs.rmSync(file);
        fs.writeFileSync(file, Buffer.alloc(0));
      },
      { kind: 'empty' },
    ],
  ])('sees the file as it is once opened when a writer %s meanwhile', (_, write, state) => {
    expect(grown.length).toBeGreaterThan(sound.length);
    const { file } = storeWith(sound);
    const open = fs.openSync;
    let wrote = false;
    // The writer's turn comes right after the inspection has looked at the path, as the file is opened.
    vi.spyOn(fs, 'openSync').mockImplementationOnce((...args: Parameters<typeof fs.openSync>) => {
      write(file);
      wrote = true;
      return open(...args);
    });
    expect(inspectStoreFile(file)).toEqual(state);
    expect(wrote).toBe(true);
  });
});

/** What the latest meta page of an LMDB file says (64-bit, little-endian; see store-file-check.ts). */
function latestMeta(bytes: Buffer) {
  const size = bytes.readUInt32LE(48);
  const at = bytes.readUInt32LE(size + 152) > bytes.readUInt32LE(152) ? size : 0;
  const tree = (from: number) => ({
    depth: bytes.readUInt16LE(from + 6),
    branch: bytes.readUInt32LE(from + 8),
    overflow: bytes.readUInt32LE(from + 24),
    root: bytes.readUInt32LE(from + 40),
  });
  return { pageSize: size, free: tree(at + 48), main: tree(at + 96), lastPage: bytes.readUInt32LE(at + 144) };
}

describe('a store file shorter than its meta page says', () => {
  afterEach(() => vi.restoreAllMocks());

  /**
   * A sound file whose last pages are free: an answer of 200 kB took ~49 pages of its own at the end,
   * prune freed them, and later commits moved both trees to pages below. Cut after its pages in use,
   * it is the file LMDB leaves when a transaction takes pages past the end and frees them before it
   * commits (loose pages, never written): after a prune of 100,000 answers, every commit of a run
   * left its file 18 pages short of what the meta page says, and `cache stats` called it damaged.
   */
  let bytes: Buffer;
  let inUse: number;
  const answers = 7;
  beforeAll(async () => {
    const dir = path.join(tmp.dir, 'free-tail');
    const store = await openResponseStore(dir);
    await store.put(Buffer.alloc(16, 1), answer);
    await store.put(Buffer.alloc(16, 2), { ...answer, text: 'x'.repeat(200_000), storedAt: 1 });
    expect(await store.prune(2)).toBe(1);
    for (let i = 3; i < 3 + answers - 1; i++) await store.put(Buffer.alloc(16, i), answer);
    await store.close();
    bytes = fs.readFileSync(path.join(dir, STORE_FILE));
    const { free, main, lastPage } = latestMeta(bytes);
    // Each tree is one page (no branch or overflow page), its root: every other page past the two
    // meta pages is free, and the file holds many past both roots.
    expect([free, main].map(({ depth, branch, overflow }) => [depth, branch, overflow])).toEqual([
      [1, 0, 0],
      [1, 0, 0],
    ]);
    inUse = Math.max(free.root, main.root) + 1;
    expect(lastPage + 1 - inUse).toBeGreaterThan(40);
  });
  const cutTo = (pages: number) => storeWith(bytes.subarray(0, pages * latestMeta(bytes).pageSize));

  it('is sound when every page past its end is free: LMDB reads and writes it', async () => {
    for (const pages of [inUse, inUse + 20]) expect(inspectStoreFile(cutTo(pages).file)).toEqual({ kind: 'sound', entries: answers + 1 });
    const { dir, file } = cutTo(inUse);
    const store = await openResponseStore(dir);
    expect(store.stats().entries).toBe(answers);
    await store.put(Buffer.alloc(16, 99), answer);
    await store.close();
    expect(inspectStoreFile(file)).toEqual({ kind: 'sound', entries: answers + 2 });
  });

  it('is damaged when a page it uses is missing', () => {
    const state = inspectStoreFile(cutTo(inUse - 1).file);
    expect(state.kind === 'damaged' && state.why).toMatch(/^it is \d+ bytes long, its meta page says \d+$/);
  });

  it('reads the freelist again when a writer commits while it is read, rather than calling the file damaged', () => {
    const { file } = cutTo(inUse);
    const { pageSize, free } = latestMeta(bytes);
    const read = fs.readSync;
    let rewritten = false;
    vi.spyOn(fs, 'readSync').mockImplementation(((fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
      const n = read(fd, buffer, offset, length, position);
      if (position === free.root * pageSize && !rewritten) {
        // Two commits since the meta page was read: the freelist's page is another's now…
        rewritten = true;
        buffer.fill(0, offset, offset + n);
      } else if (rewritten && position < 2 * pageSize && length < pageSize) {
        // …and the meta pages name later transactions.
        buffer.writeUInt32LE(buffer.readUInt32LE(offset + 152) + 2, offset + 152);
      }
      return n;
    }) as typeof fs.readSync);
    expect(inspectStoreFile(file)).toEqual({ kind: 'sound', entries: answers + 1 });
    expect(rewritten).toBe(true);
  });
});

describe('a damaged store file', () => {
  it('is refused by openResponseStore before LMDB sees it, current or legacy, and left as it was', async () => {
    for (const name of [STORE_FILE, LEGACY_STORE_FILE]) {
      const { dir, file } = storeWith(sound.subarray(0, sound.length / 2), name);
      const opening = openResponseStore(dir);
      await expect(opening).rejects.toBeInstanceOf(DamagedStoreError);
      await expect(opening).rejects.toThrow(`cache file ${file} is damaged (it is`);
      expect(fs.readdirSync(dir)).toEqual([name]);
    }
  });

  it('is removed by removeStore with the rest, lock files too, never opened', async () => {
    const { dir, file } = storeWith(Buffer.from('garbage'.repeat(1000)));
    fs.writeFileSync(`${file}-lock`, 'lock');
    fs.writeFileSync(path.join(dir, LEGACY_STORE_FILE), sound);
    expect(removeStore(dir)).toEqual({
      files: [file, `${file}-lock`, path.join(dir, LEGACY_STORE_FILE)],
      // The legacy layout has no shapes entry: every entry is an answer.
      answers: 301,
      damaged: [{ file, why: 'page 0 is not an LMDB meta page' }],
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('removeStore counts a sound current file’s answers from its meta page', () => {
    const { dir } = storeWith(sound);
    expect(removeStore(dir)).toMatchObject({ answers: 300, damaged: [] });
    expect(removeStore(dir)).toEqual({ files: [], answers: 0, damaged: [] });
  });
});

describe('a store path that is no regular file', () => {
  /** A directory whose current (or legacy) store file is a FIFO or a directory. */
  const storeAs = (kind: 'FIFO' | 'directory', name = STORE_FILE) => {
    const dir = path.join(tmp.dir, `case-${++n}`);
    fs.mkdirSync(dir);
    const file = path.join(dir, name);
    if (kind === 'FIFO') execFileSync('mkfifo', [file]);
    else fs.mkdirSync(file);
    return { dir, file };
  };

  // A FIFO's open waits for a writer, LMDB's too: `cache stats` hung, a run or `cache prune` died of SIGSEGV.
  it.each([
    ['FIFO', STORE_FILE],
    ['FIFO', LEGACY_STORE_FILE],
    ['directory', STORE_FILE],
  ] as const)('a %s as %s is refused by openResponseStore, never opened, and left there', async (kind, name) => {
    const { dir, file } = storeAs(kind, name);
    expect(inspectStoreFile(file)).toEqual({ kind: 'not-a-file', what: `a ${kind}` });
    for (const readOnly of [true, false]) {
      const opening = openResponseStore(dir, { readOnly });
      await expect(opening).rejects.toBeInstanceOf(StoreNotAFileError);
      await expect(opening).rejects.toThrow(`cache file ${file} is a ${kind}, not a regular file: move it away`);
    }
    expect(fs.readdirSync(dir)).toEqual([name]);
  });

  it('is refused by removeStore (cache clear) before anything is removed', () => {
    const { dir, file } = storeAs('FIFO', LEGACY_STORE_FILE);
    fs.writeFileSync(path.join(dir, STORE_FILE), sound);
    expect(inspectStoreFile(file)).toMatchObject({ kind: 'not-a-file' });
    expect(() => removeStore(dir)).toThrow(StoreNotAFileError);
    expect(fs.readdirSync(dir).sort()).toEqual([LEGACY_STORE_FILE, STORE_FILE]);
  });
});
