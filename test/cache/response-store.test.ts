import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_FILE, openResponseStore, type CachedAnswer } from '../../src/cache/response-store.js';
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
});
