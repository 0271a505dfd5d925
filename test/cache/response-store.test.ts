import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LEGACY_STORE_FILE, STORE_FILE, openResponseStore, type CachedAnswer } from '../../src/cache/response-store.js';
import { tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-store-');
afterAll(() => tmp.cleanup());

const answer: CachedAnswer = { text: 'ECHO hi', finishReason: 'stop', model: 'm', usage: null, storedAt: 1_700_000_000_000 };
const key = Buffer.from('a key');

describe('openResponseStore', () => {
  it('creates no database until the first write: lookups miss, the write creates it, a later run finds it', async () => {
    const dir = path.join(tmp.dir, 'fresh');
    const store = await openResponseStore(dir);
    const file = path.join(dir, STORE_FILE);
    expect(fs.existsSync(file)).toBe(false);
    // Loading lmdb's code ahead of the first write creates nothing either.
    store.prepare();
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(store.get(key)).toBeUndefined();
    expect(store.stats()).toMatchObject({ path: file, entries: 0 });
    await store.put(key, answer);
    expect(fs.existsSync(file)).toBe(true);
    expect(store.get(key)).toEqual(answer);
    expect(store.stats()).toMatchObject({ entries: 1 });
    await store.close();

    const again = await openResponseStore(dir);
    expect(again.get(key)).toEqual(answer);
    expect(await again.clear()).toBe(1);
    await again.close();
  });

  it("finds the store's own answers once committed, though lookups read through a transaction taken before", async () => {
    const dir = path.join(tmp.dir, 'own');
    const store = await openResponseStore(dir);
    // Keys as the answer cache makes them: 32 bytes, of which the store keys by the first 16.
    const first = Buffer.alloc(32, 1);
    const second = Buffer.alloc(32, 2);
    await store.put(first, answer);
    // This lookup takes the read transaction that later lookups share for a while.
    expect(store.get(second)).toBeUndefined();
    await store.putMany(new Map([[second.toString('latin1'), { ...answer, text: 'ECHO second' }]]));
    expect(store.get(second)?.text).toBe('ECHO second');
    await store.put(first, { ...answer, text: 'ECHO again' });
    expect(store.get(first)?.text).toBe('ECHO again');
    expect(await store.clear()).toBe(2);
    expect(store.get(first)).toBeUndefined();
    await store.close();
  });

  it('prune and clear on a directory with no database touch nothing', async () => {
    const dir = path.join(tmp.dir, 'empty');
    const store = await openResponseStore(dir);
    expect(await store.prune(Date.now())).toBe(0);
    expect(await store.clear()).toBe(0);
    await store.close();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a directory it cannot create', async () => {
    const blocker = path.join(tmp.dir, 'a-file');
    fs.writeFileSync(blocker, '');
    await expect(openResponseStore(path.join(blocker, 'sub'))).rejects.toThrow(/ENOTDIR|EEXIST/);
  });

  it('reads, prunes and clears the previous layout beside the current one, and writes only the current one', async () => {
    const dir = path.join(tmp.dir, 'upgraded');
    fs.mkdirSync(dir);
    // An answers-v1.lmdb as llm-batch wrote it before: 32-byte keys, msgpack maps without shared shapes.
    const { open } = createRequire(import.meta.url)('lmdb') as typeof import('lmdb');
    const old = open<CachedAnswer, Buffer>({ path: path.join(dir, LEGACY_STORE_FILE), keyEncoding: 'binary', encoding: 'msgpack', compression: false });
    const oldKey = Buffer.alloc(32, 1);
    const staleKey = Buffer.alloc(32, 2);
    await old.put(oldKey, answer);
    await old.put(staleKey, { ...answer, storedAt: 1_000 });
    await old.close();

    const store = await openResponseStore(dir);
    expect(store.get(oldKey)).toEqual(answer);
    const newKey = Buffer.alloc(32, 3);
    await store.put(newKey, { ...answer, text: 'new' });
    expect(store.get(newKey)?.text).toBe('new');
    expect(store.stats()).toMatchObject({ path: path.join(dir, STORE_FILE), entries: 3, oldest: 1_000 });
    expect(await store.prune(1_000_000)).toBe(1);
    expect(store.get(staleKey)).toBeUndefined();
    await store.close();
    // The old file got no new answer: an older llm-batch sharing the directory reads its own layout.
    const reopened = open<CachedAnswer, Buffer>({ path: path.join(dir, LEGACY_STORE_FILE), keyEncoding: 'binary', encoding: 'msgpack', compression: false });
    expect(reopened.getCount()).toBe(1);
    await reopened.close();

    const again = await openResponseStore(dir);
    expect(again.get(oldKey)).toEqual(answer);
    expect(again.stats().entries).toBe(2);
    expect(await again.clear()).toBe(2);
    expect(again.get(oldKey)).toBeUndefined();
    await again.close();
  });

  it('keeps msgpackr shapes out of the count, and answers of every shape apart', async () => {
    const dir = path.join(tmp.dir, 'shapes');
    const store = await openResponseStore(dir);
    const shapes: CachedAnswer[] = [
      answer,
      { ...answer, usage: { prompt_tokens: 1, completion_tokens: 2, cached_tokens: 1 } },
      { ...answer, toolCalls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ];
    await store.putMany(new Map(shapes.map((a, i) => [String.fromCharCode(i + 1).repeat(32), a])));
    await store.close();
    const again = await openResponseStore(dir);
    for (const [i, a] of shapes.entries()) expect(again.get(Buffer.alloc(32, i + 1))).toEqual(a);
    expect(again.stats().entries).toBe(3);
    expect(await again.prune(Number.MAX_SAFE_INTEGER)).toBe(3);
    expect(again.stats().entries).toBe(0);
    await again.close();
  });
});
