import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RemovalFailedError, removeInBatches } from '../../src/cache/remove-in-batches.js';
import { tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-remove-batches-');
afterAll(() => tmp.cleanup());

const { open } = createRequire(import.meta.url)('lmdb') as typeof import('lmdb');

interface Entry {
  text: string;
  storedAt: number;
}

/**
 * An lmdb file of `n` entries under random 16-byte keys, as answers are, written in one transaction:
 * it has no free pages, so a removal's copies of the pages it changes take new ones.
 */
async function filled(name: string, n: number) {
  const file = path.join(tmp.dir, name);
  const db = open<Entry, Buffer>({ path: file, keyEncoding: 'binary', encoding: 'msgpack', compression: false });
  await db.transaction(() => {
    for (let i = 0; i < n; i++) db.put(createHash('sha256').update(`k${i}`).digest().subarray(0, 16), { text: `answer ${i} ${'x'.repeat(200)}`, storedAt: i });
  });
  await db.flushed;
  return { db, file };
}

describe('removeInBatches', () => {
  // Half of 5,000 answers: 2.0 MB → 3.9 MB in one transaction, → 2.1 MB in batches of 50 (the pages
  // the first batches free serve the later ones). At scale: a prune of 503,063 of 1M answers left
  // a 518 MB file at 883 MB; in batches of 4,096, at 518.6 MB.
  it('removes in transactions of `batch` keys: the file grows by a few of them, where one transaction nearly doubled it', async () => {
    const { db, file } = await filled('half', 5000);
    const before = fs.statSync(file).size;
    expect(await removeInBatches(db, { key: () => true, value: (value) => value.storedAt % 2 === 0 }, 50)).toBe(2500);
    await db.flushed;
    expect(db.getCount()).toBe(2500);
    expect([...db.getRange()].every(({ value }) => value.storedAt % 2 === 1)).toBe(true);
    expect(fs.statSync(file).size).toBeLessThan(before * 1.2);
    await db.close();
  });

  it('a commit that fails keeps the batches committed before it, and says how many they removed', async () => {
    const { db } = await filled('failing', 1000);
    let commits = 0;
    const failingThird = {
      getRange: db.getRange.bind(db),
      getKeys: db.getKeys.bind(db),
      remove: db.remove.bind(db),
      transaction: <T>(action: () => T): Promise<T> => (++commits === 3 ? Promise.reject(new Error('No space left on device')) : db.transaction(action)),
    };
    const removal = removeInBatches(failingThird, { key: () => true }, 100);
    await expect(removal).rejects.toBeInstanceOf(RemovalFailedError);
    await expect(removal).rejects.toMatchObject({ removed: 200, message: 'No space left on device' });
    expect(db.getCount()).toBe(800);
    await db.close();
  });
});
