import { spawn } from 'node:child_process';
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

describe('openResponseStore: the map dropped and made again as its pages pile up in RSS', () => {
  const keyOf = (i: number) => Buffer.from(`key ${i}`.padEnd(32, '.'));
  const answerOf = (i: number): CachedAnswer => ({ ...answer, text: `answer ${i}` });
  /** Resident bytes that grow by 1 MiB at each reading (a recycle whenever the budget allows) until stopped. */
  const growing = () => {
    let bytes = 0;
    const probe = { on: true, read: () => (bytes += probe.on ? 2 ** 20 : 0) };
    return probe;
  };

  it('keeps every answer across recycles: writes waiting meanwhile, lookups before and after', async () => {
    const dir = path.join(tmp.dir, 'recycled');
    let recycles = 0;
    const resident = growing();
    const store = await openResponseStore(dir, { residentBudget: 2 ** 20, recycleMinFile: 0, residentBytes: resident.read, onRecycle: () => recycles++ });
    const written: Promise<void>[] = [];
    for (let round = 0; round < 20; round++) {
      const batch = new Map<string, CachedAnswer>();
      for (let i = round * 40; i < (round + 1) * 40; i++) {
        expect(store.get(keyOf(i))).toBeUndefined();
        batch.set(keyOf(i).toString('latin1'), answerOf(i));
      }
      // Two transactions in flight at a time, as the answer cache has them, and single puts between.
      written.push(store.putMany(batch), store.put(keyOf(10_000 + round), answerOf(10_000 + round)));
      if (written.length > 4) await written.shift();
    }
    await Promise.all(written);
    // A write waits for a recycle under way; with no growth it starts none.
    resident.on = false;
    await store.put(keyOf(20_000), answerOf(20_000));
    expect(recycles).toBeGreaterThan(2);
    for (let i = 0; i < 800; i++) expect(store.get(keyOf(i))?.text).toBe(`answer ${i}`);
    for (let round = 0; round < 20; round++) expect(store.get(keyOf(10_000 + round))?.text).toBe(`answer ${10_000 + round}`);
    expect(store.stats()).toMatchObject({ entries: 821 });
    expect(await store.prune(answer.storedAt + 1)).toBe(821);
    await store.put(keyOf(1), answerOf(1));
    expect(await store.clear()).toBe(1);
    await store.close();

    const again = await openResponseStore(dir);
    expect(again.stats()).toMatchObject({ entries: 0 });
    await again.close();
  });

  it('recycles a file smaller than recycleMinFile never', async () => {
    const dir = path.join(tmp.dir, 'small');
    let recycles = 0;
    const store = await openResponseStore(dir, { residentBudget: 0, recycleMinFile: 2 ** 30, residentBytes: growing().read, onRecycle: () => recycles++ });
    for (let i = 0; i < 100; i++) await store.put(keyOf(i), answerOf(i));
    await store.close();
    expect(recycles).toBe(0);
  });

  it('never recycles while another process has the file open', async () => {
    const dir = path.join(tmp.dir, 'shared');
    const first = await openResponseStore(dir);
    await first.put(keyOf(0), answerOf(0));
    await first.close();
    // Another process reads the store (taking a slot in LMDB's reader table) and stays.
    const other = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { open } from 'lmdb'; const db = open({ path: ${JSON.stringify(path.join(dir, STORE_FILE))}, keyEncoding: 'binary' }); db.get(Buffer.alloc(32)); console.log('ready'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve, reject) => {
        other.stdout.once('data', resolve);
        other.once('exit', reject);
      });
      let recycles = 0;
      const store = await openResponseStore(dir, { residentBudget: 0, recycleMinFile: 0, residentBytes: growing().read, onRecycle: () => recycles++ });
      for (let i = 1; i < 200; i++) await store.put(keyOf(i), answerOf(i));
      await store.close();
      expect(recycles).toBe(0);
    } finally {
      other.kill();
    }
  });

  it('recycles nothing where the resident size cannot be read', async () => {
    const dir = path.join(tmp.dir, 'unknown');
    let recycles = 0;
    const store = await openResponseStore(dir, { residentBudget: 0, recycleMinFile: 0, residentBytes: () => undefined, onRecycle: () => recycles++ });
    for (let i = 0; i < 100; i++) await store.put(keyOf(i), answerOf(i));
    for (let i = 0; i < 100; i++) expect(store.get(keyOf(i))?.text).toBe(`answer ${i}`);
    await store.close();
    expect(recycles).toBe(0);
  });
});
