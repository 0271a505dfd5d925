import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAnswerCache } from '../../src/engine/answer-cache.js';
import { cacheKey } from '../../src/cache/cache-key.js';
import { cacheBody } from '../../src/provider/request-body.js';
import type { CachedAnswer, ResponseStore } from '../../src/cache/response-store.js';
import type { CompletionRequest, CompletionResult } from '../../src/provider/completion.js';

const endpoint = 'http://127.0.0.1:1234/v1/chat/completions';

/** A store in memory that counts its writes (slowStore: one whose commits the test ends). */
function memoryStore() {
  const entries = new Map<string, CachedAnswer>();
  const writes: number[] = [];
  const prepared: number[] = [];
  const store: ResponseStore = {
    path: '/memory',
    get: (key) => entries.get(key.toString('hex')),
    async put(key, answer) {
      writes.push(1);
      entries.set(key.toString('hex'), answer);
    },
    async putMany(batch) {
      writes.push(batch.size);
      for (const [key, answer] of batch) entries.set(Buffer.from(key, 'latin1').toString('hex'), answer);
    },
    stats: () => ({ path: '/memory', entries: entries.size, bytesOnDisk: 0, oldest: null, newest: null }),
    prune: async () => 0,
    clear: async () => 0,
    close: async () => {},
    prepare: () => {
      prepared.push(1);
    },
  };
  return { store, entries, writes, prepared };
}

/** A memory store whose commits end when the test calls them, oldest first. */
function slowStore() {
  const memory = memoryStore();
  const commits: Array<() => void> = [];
  const putMany = memory.store.putMany.bind(memory.store);
  memory.store.putMany = (batch) => putMany(batch).then(() => new Promise<void>((resolve) => commits.push(resolve)));
  return { ...memory, commits };
}

const request = (i: number): CompletionRequest => ({ model: 'm', messages: [{ role: 'user', content: `q${i}` }], stream: true });
const result = (text: string): CompletionResult => ({ text, finishReason: 'stop', usage: null, model: 'm-1', headers: null });

describe('createAnswerCache', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('stores answers together, under the request body’s key, and finds them before they are written', async () => {
    const { store, entries, writes } = memoryStore();
    const cache = createAnswerCache(store, { endpoint, limitField: 'max_tokens', now: () => 7 });
    for (let i = 0; i < 50; i++) {
      expect(cache.lookup(cache.keyOf(request(i), 0))).toBeUndefined();
      cache.store(cache.keyOf(request(i), 0), request(i), result(`a${i}`));
    }
    // Still waiting for company: nothing written, yet a second lookup of the same question hits.
    expect(writes).toEqual([]);
    expect(cache.lookup(cache.keyOf(request(3), 0))).toMatchObject({ text: 'a3', model: 'm-1', storedAt: 7 });
    expect(cache.lookup(cache.keyOf(request(3), 1))).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toEqual([50]);
    const key = cacheKey(endpoint, cacheBody(request(49)), 0).toString('hex');
    expect(entries.get(key)).toMatchObject({ text: 'a49', finishReason: 'stop' });
    expect(cache.lookup(cache.keyOf(request(49), 0))).toMatchObject({ text: 'a49' });
  });

  it.each(['abort', 'insufficient_system_resource', null])('an answer with finish_reason %j is not whole: never stored', async (finishReason) => {
    const { store, entries } = memoryStore();
    const cache = createAnswerCache(store, { endpoint, limitField: 'max_tokens', now: () => 7 });
    cache.store(cache.keyOf(request(1), 0), request(1), { ...result('The first half of'), finishReason });
    cache.store(cache.keyOf(request(2), 0), request(2), { ...result('whole'), finishReason: 'model_length' });
    expect(cache.lookup(cache.keyOf(request(1), 0))).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect([...entries.values()].map((answer) => answer.text)).toEqual(['whole']);
  });

  it('an answer waits up to a second for company; long ones go at most 256 KiB of text to a write', async () => {
    const { store, writes } = memoryStore();
    const cache = createAnswerCache(store, { endpoint, limitField: 'max_tokens' });
    cache.store(cache.keyOf(request(0), 0), request(0), result('short'));
    await vi.advanceTimersByTimeAsync(999);
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([1]);
    const long = 'x'.repeat(64 * 1024);
    for (let i = 1; i <= 10; i++) cache.store(cache.keyOf(request(i), 0), request(i), result(long));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([1, 4, 4]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toEqual([1, 4, 4, 2]);
  });

  it('behind a store slower than the answers, what waits joins one batch: one commit for all that came meanwhile', async () => {
    const { store, writes, entries, commits } = slowStore();
    const cache = createAnswerCache(store, { endpoint, limitField: 'max_tokens' });
    // 20 answers of 64 KiB: five batches at the 256 KiB cap. The first goes out; the second waits
    // behind it, and the next three join it rather than queue behind it.
    const long = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 20; i++) cache.store(cache.keyOf(request(i), 0), request(i), result(long));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([4]);
    for (const i of [0, 5, 19]) expect(cache.lookup(cache.keyOf(request(i), 0))).toMatchObject({ text: long });
    const flushed = cache.flush();
    commits.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([4, 16]);
    commits.shift()!();
    await flushed;
    expect(entries.size).toBe(20);
    // A store that keeps up gets batches cut at the caps again.
    for (let i = 20; i < 30; i++) cache.store(cache.keyOf(request(i), 0), request(i), result(long));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([4, 16, 4]);
    commits.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([4, 16, 4, 4]);
  });

  it('behind a disk slower than the answers, a run stops storing past 32 MiB waiting, said once', async () => {
    const { store, writes, commits } = slowStore();
    const errors: Error[] = [];
    const cache = createAnswerCache(store, { endpoint, limitField: 'max_tokens', onError: (err) => errors.push(err) });
    // Answers of 1 MiB, each a batch of its own: the first is committing, the second waits, and the
    // next join it until 32 MiB wait; after that nothing more is taken.
    const huge = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 40; i++) cache.store(cache.keyOf(request(i), 0), request(i), result(huge));
    expect(errors.map((err) => err.message)).toEqual(['the disk takes answers slower than they come: 33 MiB waiting']);
    expect(cache.lookup(cache.keyOf(request(33), 0))).toMatchObject({ text: huge });
    expect(cache.lookup(cache.keyOf(request(34), 0))).toBeUndefined();
    await vi.advanceTimersByTimeAsync(0);
    commits.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([1, 33]);
    commits.shift()!();
    await cache.flush();
    expect(writes).toEqual([1, 33]);
    expect(errors).toHaveLength(1);
  });

  it('flush writes what is waiting at once and resolves once it is written', async () => {
    const { store, writes } = memoryStore();
    const cache = createAnswerCache(store, { endpoint, limitField: 'max_tokens' });
    cache.store(cache.keyOf(request(1), 0), request(1), result('one'));
    cache.store(cache.keyOf(request(2), 0), request(2), result('two'));
    await cache.flush();
    expect(writes).toEqual([2]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toEqual([2]);
  });

  it('a failed write is reported once and fails nothing else', async () => {
    const { store } = memoryStore();
    const errors: Error[] = [];
    store.putMany = async () => {
      throw new Error('disk full');
    };
    const cache = createAnswerCache(store, { endpoint, limitField: 'max_tokens', onError: (e) => errors.push(e) });
    cache.store(cache.keyOf(request(1), 0), request(1), result('one'));
    await cache.flush();
    cache.store(cache.keyOf(request(2), 0), request(2), result('two'));
    await cache.flush();
    expect(errors.map((e) => e.message)).toEqual(['disk full']);
  });

  it('a lookup the store cannot read misses, reported once, and the answer is stored afresh', async () => {
    const { store, entries } = memoryStore();
    store.get = () => {
      throw new Error('Data read, but end of buffer not reached');
    };
    const errors: Error[] = [];
    const cache = createAnswerCache(store, { endpoint, limitField: 'max_tokens', onReadError: (e) => errors.push(e) });
    const key = cache.keyOf(request(1), 0);
    expect(cache.lookup(key)).toBeUndefined();
    expect(cache.lookup(cache.keyOf(request(2), 0))).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(['Data read, but end of buffer not reached']);
    cache.store(key, request(1), result('one'));
    await cache.flush();
    expect(entries.get(cacheKey(endpoint, cacheBody(request(1)), 0).toString('hex'))).toMatchObject({ text: 'one' });
  });

  it('the store prepares for its first write at the first idle moment after a prompt is claimed', async () => {
    const { store, prepared } = memoryStore();
    const idle: Array<() => void> = [];
    let cancelled = 0;
    const options = { endpoint, limitField: 'max_tokens' as const };
    const cache = createAnswerCache(store, {
      ...options,
      idle: (task) => {
        idle.push(task);
        return () => cancelled++;
      },
    });
    // A hit asks nothing: no write is coming.
    cache.lookup(cache.keyOf(request(1), 0));
    expect(idle).toHaveLength(0);
    expect(cache.claim!(cache.keyOf(request(1), 0))).toBeUndefined();
    expect(cache.claim!(cache.keyOf(request(2), 0))).toBeUndefined();
    expect(idle).toHaveLength(1);
    expect(prepared).toEqual([]);
    idle[0]!();
    expect(prepared).toEqual([1]);

    // A write that comes first loads the store itself: the idle wait is called off.
    const second = memoryStore();
    const tasks: Array<() => void> = [];
    const cache2 = createAnswerCache(second.store, {
      ...options,
      idle: (task) => {
        tasks.push(task);
        return () => cancelled++;
      },
    });
    const key = cache2.keyOf(request(3), 0);
    cache2.claim!(key);
    cache2.store(key, request(3), result('three'));
    expect(cancelled).toBe(0);
    await cache2.flush();
    expect(cancelled).toBe(1);
    expect(second.writes).toEqual([1]);
  });

  it('putByBody writes as store does and makes its caller wait while two writes are in flight', async () => {
    const { store, writes } = memoryStore();
    const commits: Array<() => void> = [];
    store.putMany = (batch) => {
      writes.push(batch.size);
      return new Promise<void>((resolve) => commits.push(resolve));
    };
    const cache = createAnswerCache(store, { endpoint, limitField: 'max_tokens' });
    const answer = { text: 'a', finishReason: 'stop', model: 'm', usage: null };
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 600; i++) waits.push(cache.putByBody({ model: 'm', n: i }, 0, answer));
    // Two batches of 256: one went out, the other goes once it is committed; what came after them
    // waits for room. Every answer is found meanwhile, sent or not.
    let settled = 0;
    for (const w of waits) void w.then(() => settled++);
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([256]);
    expect(settled).toBe(511);
    for (const n of [0, 300, 599]) expect(cache.getByBody({ model: 'm', n }, 0)).toMatchObject({ text: 'a' });
    commits.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([256, 256]);
    expect(settled).toBe(600);
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toEqual([256, 256]);
    commits.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([256, 256, 88]);
  });
});
