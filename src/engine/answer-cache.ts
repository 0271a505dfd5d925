import type { CompletionRequest, CompletionResult } from '../provider/completion.js';
import { cacheBody, type TokenLimitField } from '../provider/request-body.js';
import { cacheKeyString } from '../cache/cache-key.js';
import type { CachedAnswer, ResponseStore } from '../cache/response-store.js';
import { isDamagedStoreError } from '../cache/lmdb-failures.js';
import { whenIdle } from '../util/when-idle.js';
import { brokenOff } from '../finish-reason.js';

/**
 * What the engine sees of the cache: a lookup before a request is queued and a store after a whole
 * answer. Batch API submit/collect use `getByBody`/`putByBody` with the body they send.
 */
export interface AnswerCache {
  /**
   * The key a request's answer is kept under. The engine works it out once per record and hands it
   * to the calls below: a lookup, a claim, its release and the store each hashing the body again
   * (or finding the key in a WeakMap by request) cost more than the store itself (issue 16).
   */
  keyOf(request: CompletionRequest, sample: number): string;
  lookup(key: string): CachedAnswer | undefined;
  /**
   * Fire and forget: written within a second, with up to 255 others in one transaction (found by
   * `lookup` meanwhile); a failed write is reported through `onError` once, never fails the row.
   * `request` is the one the key is of.
   */
  store(key: string, request: CompletionRequest, result: CompletionResult): void;
  getByBody(body: Readonly<Record<string, unknown>>, sample: number): CachedAnswer | undefined;
  /**
   * Written as `store` writes (found by `getByBody` meanwhile); resolves at once unless writes are
   * falling behind, then once they have caught up: a caller storing many answers in a loop awaits it.
   */
  putByBody(body: Readonly<Record<string, unknown>>, sample: number, answer: Omit<CachedAnswer, 'storedAt'>): Promise<void>;
  /** Writes what is waiting now, then waits for every write this run started. */
  flush(): Promise<void>;
  /**
   * After a lookup missed: undefined when no other record of this run is asking the same thing,
   * and the caller now holds the key until `release`; else a promise that resolves when that one
   * releases it (its answer stored, or given up), after which the caller looks up again. So a run
   * asks once per distinct key, not once per duplicate admitted before the first answer came.
   * Optional: a cache that cannot coalesce lets every duplicate ask.
   */
  claim?(key: string): Promise<void> | undefined;
  release?(key: string): void;
}

export interface AnswerCacheOptions {
  /** `<baseURL>/chat/completions`: answers from another server or path are other answers. */
  endpoint: string;
  /** The body is keyed as it is sent (see `wireBody`). */
  limitField: TokenLimitField;
  onError?: (error: Error) => void;
  /**
   * A lookup the store could not answer (lmdb-js 3.5.6 can hand a reader a value another process is
   * overwriting: "Data read, but end of buffer not reached"; bench/lmdb-stress/): reported once, and
   * the lookup misses, so the prompt is asked and its answer stored afresh rather than the run failing.
   */
  onReadError?: (error: Error) => void;
  /**
   * A lookup or a write that met a damaged file (see isDamagedStoreError): reported once, in place of
   * onError / onReadError, and the store is neither read nor written again in this run: each touch
   * fails again, and prints LMDB's own line on stderr.
   */
  onDamage?: (error: Error) => void;
  now?: () => number;
  /** Runs a task at the first idle moment, returning its cancel ({@link whenIdle}; tests pass their own). */
  idle?: (task: () => void) => () => void;
}

/**
 * How long an answer waits for others to share its write. Every LMDB commit copies the B-tree pages
 * it touches and syncs them: one per event turn cost more CPU than the rest of the cache (issue 16).
 * At 500 short answers a second, 100 ms made a commit of ~50 answers, and the cache cost ~60 µs of
 * CPU a request against ~15 at 8,000 a second; a second halves that (12,000 prompts, not streamed:
 * 3.55 → 3.18 s; `--no-cache` 2.81 s). A kill -9 loses at most this much more of the cache; the rows
 * themselves are already written.
 */
const WRITE_DELAY_MS = 1000;
/**
 * At most this many answers to a transaction: a bigger one copies more pages at once, and LMDB can
 * reuse freed pages only a transaction or two later, so the file (and the run's resident memory,
 * which maps it) grows; a smaller one syncs more often. 100,000 short answers at ~8,000 a second:
 * 128 a batch made a 19.1 MB file at 103 / 121 µs of CPU a request (streamed / not), 256 19.5 MB at
 * 96 / 113 µs, 512 21.3 MB at 95 / 110 µs (the minimal client: 83 / 104 µs).
 */
const WRITE_BATCH_MAX = 256;
/**
 * And at most about this much answer text to one: long answers fill pages, not entries, so a batch
 * of 256 of them would hold megabytes in memory until its commit. 256 KiB is ~200 answers of 200
 * words; a commit that fails (a full disk) then loses at most that much, and what came before it
 * stays committed. 64 KiB made four times the commits, each with its sync: 20,000 such answers not
 * streamed took 9 % more CPU (250 → 227 µs a request, medians of 7); 1 MiB gained nothing more.
 * Behind a store slower than the answers, batches join instead (see `waiting` below).
 */
const WRITE_BATCH_TEXT_MAX = 256 * 1024;
/**
 * Writes in flight before `putByBody` makes its caller wait. Collecting a Batch API result stores
 * 50,000 answers in a loop: unchecked, they all waited in lmdb at once (64 MB more anonymous memory
 * at 200,000 prompts) and went into a few huge transactions that touched every page of the file.
 */
const WRITES_IN_FLIGHT_MAX = 2;
/**
 * Answer text waiting behind the store's commits (~16,000 answers of 200 words) beyond which a run
 * stops storing, said once as a failed write is. Batches that wait join (see `waiting`), so only a
 * disk that takes answers slower than they come gets here (a network home directory, say); the run
 * keeps its speed, and its memory stays bounded, rather than hold every answer until the end.
 */
const BACKLOG_TEXT_MAX = 32 * 1024 * 1024;

export function createAnswerCache(store: ResponseStore, options: AnswerCacheOptions): AnswerCache {
  const now = options.now ?? Date.now;
  let failed = false;
  // Writes in flight, and who waits for them all: a count, not a set of promises per answer.
  let pending = 0;
  let flushed: Array<() => void> = [];
  let room: Array<() => void> = [];
  const onWritten = () => {
    --pending;
    if (room.length > 0 && pending < WRITES_IN_FLIGHT_MAX) {
      const waiters = room;
      room = [];
      for (const resolve of waiters) resolve();
    }
    if (pending > 0) return;
    const waiters = flushed;
    flushed = [];
    for (const resolve of waiters) resolve();
  };
  /** The store is neither read nor written once it was found damaged. */
  let damaged = false;
  const damage = (err: Error) => {
    if (!damaged) options.onDamage?.(err);
    damaged = true;
    failed = true;
  };
  /** The cache's first failure is said once; later ones are the same trouble. */
  const fail = (err: unknown) => {
    if (isDamagedStoreError(err) && options.onDamage) return damage(err);
    if (!failed) options.onError?.(err instanceof Error ? err : new Error(String(err)));
    failed = true;
  };
  const onFailed = (err: unknown) => {
    fail(err);
    onWritten();
  };
  const keyOf = (body: Readonly<Record<string, unknown>>, sample: number) => cacheKeyString(options.endpoint, body, sample);
  /**
   * Batches sent to the store and not yet committed, oldest first: lookups find them here. Each goes
   * once the one before it is committed, so a batch is one transaction (lmdb would otherwise put all
   * that waits behind a commit into the next one, of any size).
   */
  const sent: Array<Map<string, CachedAnswer>> = [];
  let written: Promise<unknown> = Promise.resolve();
  /**
   * The store's code is loaded the first time the loop is idle after a prompt is claimed, while its
   * request is out: loaded by the first write instead, it held up the answers arriving then (~40
   * ms a run, issue 16). Left to the write if the loop never idles before it. `preparing` is
   * undefined until a prompt is claimed, then the idle wait's cancel, null once no longer wanted.
   */
  let preparing: (() => void) | null | undefined;
  const stopPreparing = () => {
    preparing?.();
    preparing = null;
  };
  /**
   * The batch sent last, while its transaction has not begun. Once it waits behind another, what is
   * drained joins it: one commit, one sync, for all that came during the one before. Cut at the caps
   * instead, batches queued without bound behind a store that commits slower than answers come:
   * 200-word answers at ~1,500 a second kept 161 batches (9,821 answers, ~19 MB) waiting. A store
   * that keeps up still gets batches cut at the caps.
   */
  let waiting: Map<string, CachedAnswer> | undefined;
  let waitingText = 0;
  let behind = false;
  const write = (batch: Map<string, CachedAnswer>, text: number) => {
    stopPreparing();
    if (waiting && pending >= 2) {
      for (const [key, answer] of batch) waiting.set(key, answer);
      waitingText += text;
      if (waitingText > BACKLOG_TEXT_MAX && !behind) {
        behind = true;
        fail(new Error(`the disk takes answers slower than they come: ${Math.round(waitingText / 2 ** 20)} MiB waiting`));
      }
      return;
    }
    waiting = batch;
    waitingText = text;
    pending++;
    sent.push(batch);
    written = written
      .then(() => {
        if (waiting === batch) waiting = undefined;
        return store.putMany(batch);
      })
      .then(onWritten, onFailed)
      .finally(() => sent.splice(sent.indexOf(batch), 1));
  };
  /**
   * Answers wait up to WRITE_DELAY_MS and go to the store together: one transaction (one commit,
   * one sync) per batch rather than per event turn. Until then lookups find them here.
   */
  let queued = new Map<string, CachedAnswer>();
  let queuedText = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drain = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (queued.size === 0) return;
    const batch = queued;
    const text = queuedText;
    queued = new Map();
    queuedText = 0;
    write(batch, text);
  };
  const enqueue = (key: string, answer: CachedAnswer) => {
    if (behind || damaged) return;
    queued.set(key, answer);
    queuedText += answer.text.length;
    if (queued.size >= WRITE_BATCH_MAX || queuedText >= WRITE_BATCH_TEXT_MAX) drain();
    else timer ??= setTimeout(drain, WRITE_DELAY_MS);
  };
  /** Keys being asked now, each with the duplicates waiting for its answer. */
  const asking = new Map<string, Array<() => void>>();
  // The store copies a key before it returns: one buffer serves every lookup.
  const keyBytes = Buffer.alloc(32);
  let readFailed = false;
  const get = (key: string) => {
    const answer = queued.get(key);
    if (answer !== undefined) return answer;
    for (let i = sent.length - 1; i >= 0; i--) {
      const found = sent[i]!.get(key);
      if (found !== undefined) return found;
    }
    if (damaged) return undefined;
    keyBytes.write(key, 0, 'latin1');
    try {
      return store.get(keyBytes);
    } catch (err) {
      if (isDamagedStoreError(err) && options.onDamage) damage(err);
      else if (!readFailed) options.onReadError?.(err instanceof Error ? err : new Error(String(err)));
      readFailed = true;
      return undefined;
    }
  };
  return {
    keyOf: (request, sample) => keyOf(cacheBody(request, options.limitField), sample),
    lookup: get,
    store(key, request, result) {
      // A stream cut short never reaches here (it throws); an answer without a finish reason is not
      // whole, nor one its server broke off (the transports fail those; an injected `complete` may not).
      if (result.finishReason === null || brokenOff(result.finishReason)) return;
      // Cut at --max-cost's own cap: keyed without that cap, it would answer a later run that has none.
      if (request.budgetCap && result.finishReason === 'length') return;
      const answer: CachedAnswer = {
        text: result.text,
        finishReason: result.finishReason,
        model: result.model,
        usage: result.usage,
        storedAt: now(),
      };
      if (result.toolCalls) answer.toolCalls = result.toolCalls;
      if (result.logprobs) answer.logprobs = result.logprobs;
      if (result.reasoning) answer.reasoning = result.reasoning;
      enqueue(key, answer);
    },
    getByBody: (body, sample) => get(keyOf(body, sample)),
    putByBody(body, sample, answer) {
      enqueue(keyOf(body, sample), { ...answer, storedAt: now() });
      return pending < WRITES_IN_FLIGHT_MAX ? Promise.resolve() : new Promise<void>((resolve) => room.push(resolve));
    },
    claim(key) {
      const waiting = asking.get(key);
      if (waiting === undefined) {
        asking.set(key, []);
        if (preparing === undefined) preparing = (options.idle ?? whenIdle)(() => store.prepare());
        return undefined;
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(key) {
      const waiting = asking.get(key);
      asking.delete(key);
      // All look again: the answer is found by each, or (the first gave up) one of them claims it.
      if (waiting) for (const resolve of waiting) resolve();
    },
    flush() {
      stopPreparing();
      drain();
      return pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => flushed.push(resolve));
    },
  };
}
