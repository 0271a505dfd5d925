import type { CompletionRequest, CompletionResult } from '../provider/completion.js';
import { cacheBody, type TokenLimitField } from '../provider/request-body.js';
import { cacheKey } from '../cache/cache-key.js';
import type { CachedAnswer, ResponseStore } from '../cache/response-store.js';

/**
 * What the engine sees of the cache: a lookup before a request is queued and a store after a whole
 * answer. Batch API submit/collect use `getByBody`/`putByBody` with the body they send.
 */
export interface AnswerCache {
  lookup(request: CompletionRequest, sample: number): CachedAnswer | undefined;
  /** Fire and forget: a failed write is reported through `onError` once, never fails the row. */
  store(request: CompletionRequest, sample: number, result: CompletionResult): void;
  getByBody(body: Readonly<Record<string, unknown>>, sample: number): CachedAnswer | undefined;
  putByBody(body: Readonly<Record<string, unknown>>, sample: number, answer: Omit<CachedAnswer, 'storedAt'>): Promise<void>;
  /** Waits for every write this run started. */
  flush(): Promise<void>;
}

export interface AnswerCacheOptions {
  /** `<baseURL>/chat/completions`: answers from another server or path are other answers. */
  endpoint: string;
  /** The body is keyed as it is sent (see `wireBody`). */
  limitField: TokenLimitField;
  onError?: (error: Error) => void;
  now?: () => number;
}

export function createAnswerCache(store: ResponseStore, options: AnswerCacheOptions): AnswerCache {
  const now = options.now ?? Date.now;
  let failed = false;
  // Writes in flight, and who waits for them all: a count, not a set of promises per answer.
  let pending = 0;
  let flushed: Array<() => void> = [];
  const onWritten = () => {
    if (--pending > 0) return;
    const waiters = flushed;
    flushed = [];
    for (const resolve of waiters) resolve();
  };
  const onFailed = (err: unknown) => {
    if (!failed) options.onError?.(err instanceof Error ? err : new Error(String(err)));
    failed = true;
    onWritten();
  };
  const keyOf = (body: Readonly<Record<string, unknown>>, sample: number) => cacheKey(options.endpoint, body, sample);
  /**
   * A request's key as its lookup worked it out, for the store after its answer: hashing the body
   * twice per request cost more than the store itself (issue 16).
   */
  const looked = new WeakMap<CompletionRequest, { sample: number; key: Buffer }>();
  const requestKey = (request: CompletionRequest, sample: number): Buffer => {
    const known = looked.get(request);
    if (known?.sample === sample) return known.key;
    const key = keyOf(cacheBody(request, options.limitField), sample);
    looked.set(request, { sample, key });
    return key;
  };
  const write = (key: Buffer, answer: CachedAnswer): Promise<void> => {
    pending++;
    try {
      return store.put(key, answer).then(onWritten, onFailed);
    } catch (err) {
      onFailed(err);
      return Promise.resolve();
    }
  };
  return {
    lookup: (request, sample) => store.get(requestKey(request, sample)),
    store(request, sample, result) {
      // A stream cut short never reaches here (it throws); an answer without a finish reason is not whole.
      if (result.finishReason === null) return;
      // Cut at --max-cost's own cap: keyed without that cap, it would answer a later run that has none.
      if (request.budgetCap && result.finishReason === 'length') return;
      void write(requestKey(request, sample), {
        text: result.text,
        finishReason: result.finishReason,
        model: result.model,
        usage: result.usage,
        storedAt: now(),
      });
    },
    getByBody: (body, sample) => store.get(keyOf(body, sample)),
    putByBody: (body, sample, answer) => write(keyOf(body, sample), { ...answer, storedAt: now() }),
    flush: () => (pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => flushed.push(resolve))),
  };
}
