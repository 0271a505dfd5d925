import { getEventListeners, setMaxListeners } from 'node:events';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import type { BatchEvent } from '../../src/engine/events.js';
import {
  AttemptError,
  trustedComplete,
  type AttemptContext,
  type Complete,
  type CompletionRequest,
  type CompletionResult,
} from '../../src/provider/completion.js';
import { READ_AHEAD, runBatch, runBatchGroups, type BatchOutcome } from '../../src/engine/run-batch.js';
import { systemClock } from '../../src/util/clock.js';
import type { BatchOptions } from '../../src/engine/batch-options.js';
import { createStats } from '../../src/engine/stats.js';
import type { PromptRecord, ResultRow, Usage } from '../../src/types.js';
import { FakeClock, settle } from '../helpers/fake-clock.js';
import { asyncFrom as from, promptRecord as rec } from '../helpers/collect.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function range(n: number): PromptRecord[] {
  return Array.from({ length: n }, (_, i) => rec(i));
}

function answer(text: string, usage: Usage | null = null): CompletionResult {
  return { text, finishReason: 'stop', usage, model: 'served-model', headers: null };
}

/** The prompt's index, read back from the request (prompt text `p<i>`). */
function indexOf(request: CompletionRequest): number {
  return Number(String(request.messages[0]!.content).slice(1));
}

/** Options that keep tests fast and deterministic: no backoff, no pacing worth the name. */
function options(complete: Complete, extra: Partial<BatchOptions> = {}): BatchOptions {
  return { complete, model: 'test-model', random: () => 0, rpm: 6_000_000, ...extra };
}

/** Advances `clock` by `stepMs` until `run` settles, at most `steps` times (a run that never ends fails on its own terms). */
async function onVirtualTime(run: Promise<unknown>, clock: FakeClock, stepMs: number, steps: number): Promise<void> {
  let finished = false;
  void run.finally(() => (finished = true)).catch(() => {});
  for (let i = 0; i < steps && !finished; i++) await clock.advance(stepMs);
}

async function drain(gen: AsyncGenerator<ResultRow, BatchOutcome, undefined>): Promise<{ rows: ResultRow[]; outcome: BatchOutcome }> {
  const rows: ResultRow[] = [];
  for (;;) {
    const step = await gen.next();
    if (step.done) return { rows, outcome: step.value };
    rows.push(step.value);
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `n` records made as the run pulls them, and how many it has pulled so far. */
function countedRecords(n: number): { records: AsyncGenerator<PromptRecord>; pulled: () => number } {
  let pulled = 0;
  async function* records(): AsyncGenerator<PromptRecord> {
    for (let i = 0; i < n; i++) {
      pulled++;
      yield rec(i);
    }
  }
  return { records: records(), pulled: () => pulled };
}

/** A complete whose calls wait until the test settles them, one by one. */
function controlled() {
  const calls: Array<{ index: number; request: CompletionRequest; ctx: AttemptContext; d: Deferred<CompletionResult> }> = [];
  const complete: Complete = (request, ctx) => {
    const d = deferred<CompletionResult>();
    calls.push({ index: indexOf(request), request, ctx, d });
    // A provider rejects when its signal aborts.
    ctx.signal.addEventListener('abort', () => d.reject(ctx.signal.reason), { once: true });
    return d.promise;
  };
  return { calls, complete };
}

// ---------------------------------------------------------------------------------------------
// Rows and attempts
// ---------------------------------------------------------------------------------------------

describe('runBatch rows and attempts', () => {
  it('yields exactly one row per record, with the answer and the record fields', async () => {
    const complete: Complete = async (req) => answer(`answer to ${String(req.messages[0]!.content)}`, { prompt_tokens: 1, completion_tokens: 2 });
    const { rows, outcome } = await drain(runBatch(from(range(25)), options(complete, { concurrency: 4 })));
    expect(outcome).toEqual({});
    expect(rows).toHaveLength(25);
    expect(new Set(rows.map((r) => r.id)).size).toBe(25);
    const r7 = rows.find((r) => r.id === 'r7')!;
    expect(r7).toMatchObject({
      line: 8,
      prompt: 'p7',
      response: 'answer to p7',
      error: null,
      attempts: 1,
      model: 'served-model',
      finish_reason: 'stop',
      usage: { prompt_tokens: 1, completion_tokens: 2 },
    });
    expect(r7.latency_ms).toEqual(expect.any(Number));
  });

  it('an empty input gives no rows and a clean outcome', async () => {
    const complete: Complete = async () => answer('x');
    const { rows, outcome } = await drain(runBatch(from([]), options(complete)));
    expect(rows).toEqual([]);
    expect(outcome).toEqual({});
  });

  it('sends the record params over the run defaults', async () => {
    const seen: CompletionRequest[] = [];
    const complete: Complete = async (req) => {
      seen.push(req);
      return answer('ok');
    };
    const records = [rec(0), rec(1, { params: { model: 'row-model', temperature: 0.3, max_tokens: 7 } })];
    await drain(runBatch(from(records), options(complete, { temperature: 1, maxTokens: 99, stream: false, concurrency: 1 })));
    expect(seen[0]).toMatchObject({ model: 'test-model', temperature: 1, max_tokens: 99, stream: false });
    expect(seen[1]).toMatchObject({ model: 'row-model', temperature: 0.3, max_tokens: 7, stream: false });
  });

  it('counts every attempt once: 500, 500, then success gives attempts 3', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      if (calls <= 2) throw new AttemptError('http', 'HTTP 500: boom', { status: 500 });
      return answer('finally');
    };
    const events: BatchEvent[] = [];
    const { rows } = await drain(runBatch(from([rec(0)]), options(complete, { onEvent: (e) => events.push(e) })));
    expect(calls).toBe(3);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ response: 'finally', error: null, attempts: 3 });
    expect(events.filter((e) => e.type === 'attempt').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2, 3]);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
  });

  it('a non-retryable 400 fails at once with one attempt', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      throw new AttemptError('http', 'HTTP 400: bad request', { status: 400, code: 'invalid_value' });
    };
    const { rows } = await drain(runBatch(from([rec(0)]), options(complete)));
    expect(calls).toBe(1);
    expect(rows[0]).toMatchObject({
      response: null,
      attempts: 1,
      latency_ms: null,
      usage: null,
      error: { type: 'http', status: 400, code: 'invalid_value', message: expect.stringMatching(/400/) },
    });
  });

  it('exhausted retries give an error row with the last error and retries + 1 attempts', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      throw new AttemptError('http', `HTTP 503: try ${calls}`, { status: 503 });
    };
    const { rows } = await drain(runBatch(from([rec(0)]), options(complete, { retries: 2 })));
    expect(calls).toBe(3);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ attempts: 3, response: null, error: { type: 'http', status: 503 } });
    expect(rows[0]!.error!.message).toMatch(/try 3$/);
  });

  it('retries: 0 means a single attempt even for retryable errors', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      throw new AttemptError('connection', 'connection failed (ECONNRESET)', { code: 'ECONNRESET' });
    };
    const { rows } = await drain(runBatch(from([rec(0)]), options(complete, { retries: 0 })));
    expect(calls).toBe(1);
    expect(rows[0]).toMatchObject({ attempts: 1, error: { type: 'connection', code: 'ECONNRESET' } });
  });

  it('a non-AttemptError thrown by complete becomes a connection error row (and is retried)', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      throw new Error('socket hang up');
    };
    const { rows } = await drain(runBatch(from([rec(0)]), options(complete, { retries: 1 })));
    expect(calls).toBe(2);
    expect(rows[0]).toMatchObject({ attempts: 2, error: { type: 'connection', message: 'socket hang up' } });
  });

  it('records with an input problem become input rows without calling complete', async () => {
    const seen: number[] = [];
    const complete: Complete = async (req) => {
      seen.push(indexOf(req));
      return answer('ok');
    };
    const records = [rec(0), rec(1, { problem: { message: 'missing field "title"', field: 'title' } }), rec(2)];
    const stats = createStats();
    const { rows } = await drain(runBatch(from(records), options(complete, { stats })));
    expect(seen.sort()).toEqual([0, 2]);
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.id === 'r1')).toEqual({
      id: 'r1',
      line: 2,
      prompt: 'p1',
      response: null,
      error: { type: 'input', message: 'missing field "title"' },
      attempts: 0,
      latency_ms: null,
      started_at: null,
      finished_at: null,
      model: null,
      finish_reason: null,
      usage: null,
    });
    expect(stats.failedByType).toEqual({ input: 1 });
    expect(stats.requests).toBe(2);
  });

  it('rejects bad options with a message naming the option', async () => {
    const complete: Complete = async () => answer('x');
    await expect(drain(runBatch(from([rec(0)]), options(complete, { concurrency: 0 })))).rejects.toThrow(/concurrency must be a positive integer/);
    await expect(drain(runBatch(from([rec(0)]), options(complete, { retries: -1 })))).rejects.toThrow(/retries must be a whole number/);
  });

  it.each([
    ['the first row', 1],
    ['the second row', 2],
  ])('an onRow that throws on %s fails the run with its error, its requests in flight aborted', async (_name, failOn) => {
    const { calls, complete } = controlled();
    const stop = new AbortController();
    let seen = 0;
    const onRow = () => {
      if (++seen === failOn) throw new Error('onRow boom');
    };
    const rows: string[] = [];
    const run = (async () => {
      for await (const row of runBatch(from(range(10)), options(complete, { concurrency: 3, onRow, stopSignal: stop.signal }))) rows.push(row.id);
    })();
    await until(() => calls.length === 3, 'three requests in flight');
    for (let i = 0; i < failOn - 1; i++) {
      calls[i]!.d.resolve(answer(`a${i}`));
      await until(() => rows.length === i + 1 && calls.length === i + 4, `row ${i} out and the next request sent`);
    }
    calls[failOn - 1]!.d.resolve(answer('last'));
    // The old engine never put the row whose onRow threw in its buffer, and waited for it for ever.
    await expect(run).rejects.toThrow(/^onRow boom$/);
    // The row whose hook threw is handed out (the engine counted it), then the error.
    expect(rows).toEqual(Array.from({ length: failOn }, (_, i) => `r${i}`));
    // The slot the last answer freed went to the next prompt before that answer's row was made: it
    // is aborted with the others, and none follows.
    expect(calls).toHaveLength(failOn + 3);
    expect(calls.slice(failOn).every((c) => c.ctx.signal.aborted)).toBe(true);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('an input iterator that throws ends the run with that error (no silent truncation)', async () => {
    async function* broken(): AsyncGenerator<PromptRecord> {
      yield rec(0);
      throw new Error('disk on fire');
    }
    const complete: Complete = async () => answer('x');
    await expect(drain(runBatch(broken(), options(complete)))).rejects.toThrow(/disk on fire/);
  });
});

// ---------------------------------------------------------------------------------------------
// Concurrency, backpressure, order
// ---------------------------------------------------------------------------------------------

describe('runBatch concurrency and memory', () => {
  it('keeps nothing per record: the heap after 40,000 records is where it was after 4,000', async () => {
    // A forced collection makes heapUsed a measure of what is retained, not of when GC last ran.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    async function* lazy(n: number): AsyncGenerator<PromptRecord> {
      for (let i = 0; i < n; i++) yield rec(i);
    }
    const complete: Complete = async () => answer('ok');
    const gen = runBatch(lazy(40_000), options(complete, { concurrency: 16 }));
    let n = 0;
    let early = 0;
    let late = 0;
    for (let step = await gen.next(); !step.done; step = await gen.next()) {
      n++;
      if (n === 4_000 || n === 39_000) {
        gc();
        if (n === 4_000) early = process.memoryUsage().heapUsed;
        else late = process.memoryUsage().heapUsed;
      }
    }
    expect(n).toBe(40_000);
    // ~680 bytes per record leaked would be ~24 MB here.
    expect(late - early).toBeLessThan(6 * 1024 * 1024);
  });

  it.each([1, 3, 8])('never has more than %i calls in flight', async (concurrency) => {
    let active = 0;
    let peak = 0;
    const complete: Complete = async () => {
      active++;
      peak = Math.max(peak, active);
      await delay(2);
      active--;
      return answer('ok');
    };
    const { rows } = await drain(runBatch(from(range(40)), options(complete, { concurrency })));
    expect(rows).toHaveLength(40);
    expect(peak).toBe(concurrency); // reaches the limit, never exceeds it
  });

  it('concurrency also bounds retries (a retry waits for a slot)', async () => {
    let active = 0;
    let peak = 0;
    const tries = new Map<number, number>();
    const complete: Complete = async (req) => {
      active++;
      peak = Math.max(peak, active);
      await delay(1);
      active--;
      const i = indexOf(req);
      tries.set(i, (tries.get(i) ?? 0) + 1);
      if (tries.get(i)! < 3) throw new AttemptError('http', 'HTTP 502', { status: 502 });
      return answer('ok');
    };
    const { rows } = await drain(runBatch(from(range(20)), options(complete, { concurrency: 3 })));
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.attempts === 3)).toBe(true);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('pulls records lazily: 10,000 records with a slow provider stay within concurrency+16 outstanding', async () => {
    const concurrency = 8;
    const bound = concurrency + READ_AHEAD;
    let pulled = 0;
    let received = 0;
    let peakAhead = 0;
    async function* lazy(): AsyncGenerator<PromptRecord> {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        peakAhead = Math.max(peakAhead, pulled - received);
        yield rec(i);
      }
    }
    const complete: Complete = async () => {
      await delay(1);
      return answer('ok');
    };
    const gen = runBatch(lazy(), options(complete, { concurrency }));
    for (;;) {
      const step = await gen.next();
      if (step.done) break;
      received++;
    }
    expect(received).toBe(10_000);
    expect(pulled).toBe(10_000);
    // The engine counts a row as no longer outstanding when it yields it; one row can be in the
    // hand-off to this consumer at the moment the next record is pulled, hence the + 1.
    expect(peakAhead).toBeLessThanOrEqual(bound + 1);
    expect(peakAhead).toBeGreaterThanOrEqual(concurrency); // it does read ahead to keep slots busy
  }, 60_000);

  it('does not read ahead while the consumer does not take rows', async () => {
    const input = countedRecords(10_000);
    const complete: Complete = async () => answer('ok');
    const gen = runBatch(input.records, options(complete, { concurrency: 4 }));
    const first = await gen.next();
    expect(first.done).toBe(false);
    // The consumer now holds on to the first row: the engine may fill its window, no more.
    for (let i = 0; i < 20; i++) await settle();
    expect(input.pulled()).toBeLessThanOrEqual(4 + READ_AHEAD + 1);
    await gen.return({});
  });

  it('records resting before a retry do not count against the read-ahead, up to the concurrency', async () => {
    const concurrency = 4;
    const input = countedRecords(1000);
    // After a first wave that answers (else the breaker takes the failures for a broken server),
    // every first attempt fails with a 502 and rests until the clock moves; the second succeeds.
    const tried = new Set<number>();
    let first = 0;
    const complete: Complete = async (req) => {
      const i = indexOf(req);
      if (i < concurrency || tried.has(i)) return answer('ok');
      tried.add(i);
      first++;
      throw new AttemptError('http', 'HTTP 502', { status: 502 });
    };
    const clock = new FakeClock();
    // random() = 1: the whole first backoff (500 ms) rather than none.
    const run = drain(runBatch(input.records, options(complete, { concurrency, clock, random: () => 1 })));
    // The pace lets requests go as virtual time passes; the first rests last until 500 ms.
    for (let i = 0; i < 40; i++) await clock.advance(10);
    // The slots stayed busy while records rested, until `concurrency` rested beyond the read-ahead.
    expect(first).toBe(concurrency + READ_AHEAD + concurrency);
    // Besides the first wave, answered and taken: the same bound holds what is held in memory.
    expect(input.pulled() - concurrency).toBeLessThanOrEqual(concurrency + READ_AHEAD + concurrency + 1);
    await onVirtualTime(run, clock, 100, 10_000);
    const { rows } = await run;
    expect(rows).toHaveLength(1000);
    expect(rows.every((r) => r.attempts === (Number(r.id.slice(1)) < concurrency ? 1 : 2) && r.error === null)).toBe(true);
  });

  it("order: 'input' reads 16 ahead of the slots, and on past rows parked behind a slow one up to its window", async () => {
    const concurrency = 4;
    const input = countedRecords(1000);
    // r0 waits for the test; every other prompt is answered once the test lets the slots go.
    const first = deferred<CompletionResult>();
    const open = deferred<void>();
    const complete: Complete = async (req) => {
      if (indexOf(req) === 0) return first.promise;
      await open.promise;
      return answer('ok');
    };
    const run = drain(runBatch(input.records, options(complete, { concurrency, order: 'input' })));
    for (let i = 0; i < 20; i++) await settle();
    // Every slot busy: what waits for one is the read-ahead, not the window of 256.
    expect(input.pulled()).toBe(concurrency + READ_AHEAD);
    open.resolve();
    // The rows after r0 finish and park behind it: the run reads on, up to the window and no further.
    await until(() => input.pulled() >= 256, 'the window filled behind r0');
    for (let i = 0; i < 20; i++) await settle();
    expect(input.pulled()).toBeLessThanOrEqual(256 + 1);
    first.resolve(answer('late'));
    const { rows } = await run;
    expect(rows.map((r) => r.id)).toEqual(range(1000).map((r) => r.id));
    expect(rows[0]!.response).toBe('late');
  });

  it("order: 'input' yields rows in input order while completions finish out of order", async () => {
    const { calls, complete } = controlled();
    const n = 6;
    const gen = runBatch(from(range(n)), options(complete, { concurrency: n, order: 'input' }));
    const rowsP = drain(gen);
    await until(() => calls.length === n, 'all calls started');
    // Finish them last-first.
    for (const c of [...calls].reverse()) {
      c.d.resolve(answer(`a${c.index}`));
      await settle();
    }
    const { rows, outcome } = await rowsP;
    expect(outcome).toEqual({});
    expect(rows.map((r) => r.id)).toEqual(range(n).map((r) => r.id));
    expect(rows.map((r) => r.response)).toEqual(range(n).map((_, i) => `a${i}`));
  });

  it("order: 'completion' yields rows as they finish", async () => {
    const { calls, complete } = controlled();
    const n = 5;
    const gen = runBatch(from(range(n)), options(complete, { concurrency: n }));
    const rowsP = drain(gen);
    await until(() => calls.length === n, 'all calls started');
    for (const c of [...calls].reverse()) {
      c.d.resolve(answer(`a${c.index}`));
      await settle();
    }
    const { rows } = await rowsP;
    expect(rows.map((r) => r.id)).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);
  });

  it('groups the rows that finish in the same turn of the event loop, each row once', async () => {
    const { calls, complete } = controlled();
    const n = 12;
    const gen = runBatchGroups(from(range(n)), options(complete, { concurrency: n, clock: systemClock }));
    const groups: string[][] = [];
    const consume = (async () => {
      for (;;) {
        const step = await gen.next();
        if (step.done) return step.value;
        groups.push(step.value.map((r) => r.id));
      }
    })();
    await until(() => calls.length === n, 'all calls started');
    // Four answers in one turn, then the rest in another.
    for (const c of calls.slice(0, 4)) c.d.resolve(answer(`a${c.index}`));
    await until(() => groups.length === 1, 'the first group');
    setImmediate(() => {
      for (const c of calls.slice(4)) c.d.resolve(answer(`a${c.index}`));
    });
    expect(await consume).toEqual({});
    expect(groups).toEqual([
      ['r0', 'r1', 'r2', 'r3'],
      ['r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11'],
    ]);
  });

  it("order: 'input' keeps failed and input-problem rows in their place", async () => {
    const complete: Complete = async (req) => {
      const i = indexOf(req);
      await delay((6 - i) * 2);
      if (i === 2) throw new AttemptError('http', 'HTTP 400', { status: 400 });
      return answer(`a${i}`);
    };
    const records = range(6);
    records[4] = rec(4, { problem: { message: 'bad row' } });
    const { rows } = await drain(runBatch(from(records), options(complete, { concurrency: 6, order: 'input' })));
    expect(rows.map((r) => r.id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect(rows[2]!.error!.type).toBe('http');
    expect(rows[4]!.error!.type).toBe('input');
  });
});

// ---------------------------------------------------------------------------------------------
// Stats
// ---------------------------------------------------------------------------------------------

describe('runBatch stats', () => {
  it('counts ok, failed by type, retries, rate limits, requests and tokens', async () => {
    const tries = new Map<number, number>();
    const complete: Complete = async (req) => {
      const i = indexOf(req);
      const n = (tries.get(i) ?? 0) + 1;
      tries.set(i, n);
      switch (i) {
        case 0:
          return answer('a0', { prompt_tokens: 3, completion_tokens: 5 });
        case 1:
          if (n === 1) throw new AttemptError('http', 'HTTP 500', { status: 500 });
          return answer('a1', { prompt_tokens: 2, completion_tokens: 4 });
        case 2:
          throw new AttemptError('http', 'HTTP 400', { status: 400 });
        case 3:
          if (n <= 2) {
            throw new AttemptError('rate_limit', 'HTTP 429: slow down', {
              status: 429,
              headers: new Headers({ 'retry-after-ms': '10' }),
            });
          }
          return answer('a3', null);
        default:
          throw new AttemptError('timeout', 'attempt exceeded --timeout 1s');
      }
    };
    const records = [...range(5), rec(5, { problem: { message: 'bad' } })];
    const stats = createStats();
    const events: BatchEvent[] = [];
    // A 429 makes the governor cut the pace to what the last second accepted (about 1 req/s here):
    // run on virtual time so that takes no wall time.
    const clock = new FakeClock();
    const run = drain(runBatch(from(records), options(complete, { stats, retries: 2, clock, onEvent: (e) => events.push(e) })));
    await onVirtualTime(run, clock, 50, 2000);
    const { rows } = await run;
    expect(rows).toHaveLength(6);
    expect(stats).toMatchObject({
      read: 6,
      ok: 3,
      failed: 3,
      failedByType: { http: 1, timeout: 1, input: 1 },
      retries: 1 + 2 + 2, // r1 once, r3 twice, r4 twice (then out of retries)
      rateLimited: 2,
      requests: 1 + 2 + 1 + 3 + 3,
      promptTokens: 5,
      completionTokens: 9,
      rowsWithoutUsage: 1,
      inFlight: 0,
    });
    expect(events.filter((e) => e.type === 'rate-limited')).toHaveLength(2);
    const retryDelays = events.flatMap((e) => (e.type === 'retry' && e.id === 'r3' ? [e.delayMs] : []));
    expect(retryDelays).toEqual([10, 10]); // retry-after-ms is the floor, random() = 0 adds nothing
  });

  it('nothing but 429s for over two minutes (10 or more in a row, each wait short): stops as an exhausted quota, exit 3 material', async () => {
    // Each 429 paused everyone, so the prompts went one after another, four attempts each: a run of
    // 1,000 would have sat for hours on a limit that never refilled.
    let sent = 0;
    const refused = (): never => {
      sent++;
      throw new AttemptError('rate_limit', 'HTTP 429: Too Many Requests', { status: 429, headers: new Headers({ 'retry-after': '6' }) });
    };
    const clock = new FakeClock();
    const run = drain(
      runBatch(
        from(range(200)),
        options(async () => refused(), { concurrency: 4, clock, retries: 3 }),
      ),
    );
    await onVirtualTime(run, clock, 100, 20_000);
    const { rows, outcome } = await run;
    expect(outcome).toEqual({
      stopped: 'quota',
      message: expect.stringMatching(/^HTTP 429: Too Many Requests; \d+ requests in a row were refused with 429 over 2 minutes and none was answered/),
    });
    expect(clock.now()).toBeLessThan(150_000);
    expect(sent).toBeLessThan(120);
    expect(rows.length).toBeLessThan(50);
    expect(rows.every((r) => r.error?.type === 'rate_limit')).toBe(true);
  });

  it('a 429 without retry-after whose words say how long to wait: its retry waits that long (a gateway stripped the header)', async () => {
    let sent = 0;
    const complete: Complete = async () => {
      if (++sent === 1)
        throw new AttemptError(
          'rate_limit',
          'HTTP 429: Rate limit reached for m on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in 7.5s.',
          { status: 429 },
        );
      return answer('ok');
    };
    const events: BatchEvent[] = [];
    const clock = new FakeClock();
    const run = drain(runBatch(from(range(1)), options(complete, { concurrency: 1, clock, onEvent: (e) => events.push(e) })));
    await onVirtualTime(run, clock, 100, 1000);
    expect((await run).rows.map((r) => [r.error, r.attempts])).toEqual([[null, 2]]);
    expect(events.flatMap((e) => (e.type === 'retry' ? [e.delayMs] : []))).toEqual([7500]);
  });

  it('a 429 whose x-ratelimit-remaining is 0 until a reset hours away stops as a retry-after of hours does', async () => {
    // Each retry took one of the four attempts within seconds: 20 rows failed in 5.5 s, exit 1.
    const complete: Complete = async () => {
      throw new AttemptError('rate_limit', 'HTTP 429: Rate limit reached for requests', {
        status: 429,
        headers: new Headers({ 'x-ratelimit-limit-requests': '1000', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6h0m0s' }),
      });
    };
    const clock = new FakeClock();
    const run = drain(runBatch(from(range(20)), options(complete, { concurrency: 4, clock })));
    await onVirtualTime(run, clock, 100, 1000);
    const { rows, outcome } = await run;
    expect(outcome).toEqual({
      stopped: 'quota',
      message:
        'HTTP 429: Rate limit reached for requests; the server asks to wait 6 hours (x-ratelimit-reset-requests), more than the 2 minutes a run waits for a rate limit',
    });
    expect(rows).toEqual([]);
  });

  it('429s for minutes while long answers sent before them are still coming: no stop, every row answered', async () => {
    // A server at capacity refuses the rest while two long generations run (a review: stopped as a
    // quota after 2 minutes, 10 rows not run, where the long answers came at 150 s).
    const clock = new FakeClock();
    const complete: Complete = async (req) => {
      const i = indexOf(req);
      if (i < 2) {
        await clock.sleep(150_000);
        return answer(`long ${i}`);
      }
      if (clock.now() < 150_000) {
        throw new AttemptError('rate_limit', 'HTTP 429: Too Many Requests', { status: 429, headers: new Headers({ 'retry-after-ms': '200' }) });
      }
      return answer('short');
    };
    const run = drain(runBatch(from(range(12)), options(complete, { concurrency: 4, clock, retries: 1000 })));
    await onVirtualTime(run, clock, 100, 20_000);
    const { rows, outcome } = await run;
    expect(outcome).toEqual({});
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.error === null)).toBe(true);
  });

  it('429s with an answer among them now and then are a pace to keep, not a stop', async () => {
    let sent = 0;
    const complete: Complete = async () => {
      if (++sent % 12 === 0) return answer('ok');
      throw new AttemptError('rate_limit', 'HTTP 429: Too Many Requests', { status: 429, headers: new Headers({ 'retry-after': '6' }) });
    };
    const clock = new FakeClock();
    const run = drain(runBatch(from(range(20)), options(complete, { concurrency: 2, clock, retries: 3 })));
    await onVirtualTime(run, clock, 100, 20_000);
    const { rows, outcome } = await run;
    expect(outcome).toEqual({});
    expect(clock.now()).toBeGreaterThan(150_000);
    expect(rows).toHaveLength(20);
  });

  it('an answer whose x-ratelimit-remaining-requests is 0 pauses everyone and says so (a paused event, not a 429)', async () => {
    const complete: Complete = async () => ({
      ...answer('a'),
      headers: new Headers({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '12s' }),
    });
    const stats = createStats();
    const events: BatchEvent[] = [];
    const clock = new FakeClock();
    const run = drain(runBatch(from(range(2)), options(complete, { stats, concurrency: 1, clock, onEvent: (e) => events.push(e) })));
    await onVirtualTime(run, clock, 50, 1000);
    expect((await run).rows).toHaveLength(2);
    expect(clock.now()).toBeGreaterThanOrEqual(12_000); // the second waited for the reset
    expect(events.filter((e) => e.type === 'paused')).toEqual([
      { type: 'paused', id: 'r0', pauseMs: 12_000 },
      { type: 'paused', id: 'r1', pauseMs: 12_000 },
    ]);
    expect(stats.rateLimited).toBe(0);
  });

  it.each(['attempt', 'delta', 'paused'] as const)('an onEvent that throws on %s fails the run with its error, not one attempt', async (kind) => {
    const complete: Complete = async (_request, { onDelta }) => {
      onDelta?.('a');
      return { ...answer('a'), headers: new Headers({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s' }) };
    };
    const clock = new FakeClock();
    const onEvent = (e: BatchEvent) => {
      if (e.type === kind) throw new Error(`onEvent boom on ${kind}`);
    };
    const run = drain(runBatch(from(range(3)), options(complete, { concurrency: 1, clock, onEvent })));
    let finished = false;
    void run.then(
      () => (finished = true),
      () => (finished = true),
    );
    for (let i = 0; i < 200 && !finished; i++) await clock.advance(50);
    // Before: a throw on `paused` failed that prompt's attempt (retried, then an error row) and the
    // run went on to exit cleanly.
    await expect(run).rejects.toThrow(`onEvent boom on ${kind}`);
  });

  it('an onEvent that throws on attempt sends nothing and counts no request', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      return answer('a');
    };
    const stats = createStats();
    const onEvent = (e: BatchEvent) => {
      if (e.type === 'attempt') throw new Error('onEvent boom on attempt');
    };
    await expect(drain(runBatch(from(range(3)), options(complete, { stats, concurrency: 1, onEvent })))).rejects.toThrow('onEvent boom on attempt');
    expect(calls).toBe(0);
    // Before: 1, a request the summary counted as sent though the run failed before sending it.
    expect(stats.requests).toBe(0);
    expect(stats.inFlight).toBe(0);
  });

  it('a pause under a second (the pace at work) gets no paused event', async () => {
    const complete: Complete = async () => ({
      ...answer('a'),
      headers: new Headers({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20ms' }),
    });
    const events: BatchEvent[] = [];
    const clock = new FakeClock();
    const run = drain(runBatch(from(range(2)), options(complete, { concurrency: 1, clock, onEvent: (e) => events.push(e) })));
    await onVirtualTime(run, clock, 50, 100);
    expect((await run).rows).toHaveLength(2);
    expect(events.filter((e) => e.type === 'paused')).toEqual([]);
  });

  it('the pace holding the next request back with nothing in flight (after a burst of 429s) says so: a paused event', async () => {
    // r0 is answered, the 5 sent right after it are refused, the 6 after those answered (as a
    // server's fault injection might): the pace learns a limit of 1 a second and books the last
    // second's 7 requests the server took at 0.9 a second, holding the retries back for over 7 s.
    // Their 429s asked for 200 ms only (under what a display shows), so nothing told of the hold.
    const tries = new Map<number, number>();
    const complete: Complete = async (request) => {
      const i = indexOf(request);
      const n = (tries.get(i) ?? 0) + 1;
      tries.set(i, n);
      if (i > 0 && i < 6 && n === 1)
        throw new AttemptError('rate_limit', 'HTTP 429: Rate limit reached', { status: 429, headers: new Headers({ 'retry-after-ms': '200' }) });
      return answer('a');
    };
    const stats = createStats();
    const clock = new FakeClock();
    const told: Array<{ at: number; pauseMs: number; inFlight: number }> = [];
    const onEvent = (e: BatchEvent) => {
      if (e.type === 'paused') told.push({ at: clock.now(), pauseMs: e.pauseMs, inFlight: stats.inFlight });
    };
    const run = drain(runBatch(from(range(12)), options(complete, { stats, concurrency: 12, clock, retries: 3, onEvent })));
    await onVirtualTime(run, clock, 50, 2000);
    expect((await run).rows.every((r) => r.error === null)).toBe(true);
    // Before: no paused event at all, the bar at "0 in flight" for the whole hold.
    expect(told[0]).toEqual({ at: expect.any(Number), pauseMs: expect.any(Number), inFlight: 0 });
    expect(told[0]!.at).toBeLessThan(1000);
    expect(told[0]!.pauseMs).toBeGreaterThan(6_000);
    // Told once a hold, not once a request held.
    expect(told.filter((t) => t.at < 5000)).toHaveLength(1);
  });
});

describe('runBatch and a server still loading its model', () => {
  const loading = () => new AttemptError('http', 'HTTP 503: Loading model', { status: 503 });

  it("waits out llama.cpp's 503 Loading model without spending --retries, one probe a second, then answers", async () => {
    let loaded = false;
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      if (!loaded) throw loading();
      return answer('a');
    };
    const stats = createStats();
    const clock = new FakeClock();
    const run = drain(runBatch(from(range(20)), options(complete, { stats, retries: 0, concurrency: 4, clock })));
    let finished = false;
    void run.finally(() => (finished = true));
    // 90 virtual seconds of loading: every prompt in hand tried once, then one probe a second (not
    // each waiting prompt a second: that was ~20 requests a second here).
    for (let i = 0; i < 900 && !finished; i++) await clock.advance(100);
    expect(finished).toBe(false);
    const waiting = calls;
    expect(waiting).toBeGreaterThanOrEqual(20 + 85);
    expect(waiting).toBeLessThanOrEqual(20 + 91);
    loaded = true;
    // The probe's answer sends everyone at once: done in about a second, not one a second.
    const loadedAt = clock.now();
    for (let i = 0; i < 100 && !finished; i++) await clock.advance(100);
    const { rows } = await run;
    expect(clock.now() - loadedAt).toBeLessThanOrEqual(1_100);
    expect(rows.map((r) => r.error)).toEqual(rows.map(() => null));
    expect(rows.reduce((n, r) => n + r.attempts, 0)).toBe(calls);
    expect(stats.failed).toBe(0);
  });

  it('a request in flight at a stop that answers Loading model ends its record: the run does not wait for ever', async () => {
    const { calls, complete } = controlled();
    const stop = new AbortController();
    const run = drain(runBatch(from(range(2)), options(complete, { concurrency: 2, stopSignal: stop.signal })));
    await until(() => calls.length === 2, 'both sent');
    // r0 waits for the model, then the stop cancels its wait; r1, sent before the stop, answers the same.
    calls[0]!.d.reject(loading());
    await settle();
    stop.abort();
    await settle();
    calls[1]!.d.reject(loading());
    const finished = await Promise.race([run.then(() => true), delay(2_000).then(() => false)]);
    expect(finished).toBe(true);
    expect(await run).toEqual({ rows: [], outcome: { stopped: 'interrupted', message: 'interrupted' } });
  });

  it("one model's answers do not restart another's 10 minutes (-m A,B with B never loading)", async () => {
    const complete: Complete = async (request) => {
      if (request.model === 'b') throw loading();
      return answer('a');
    };
    const clock = new FakeClock();
    const records = range(6).map((r, i) => ({ ...r, params: { ...r.params, model: i % 2 ? 'b' : 'a' } }));
    const run = drain(runBatch(from(records), options(complete, { retries: 0, concurrency: 2, clock })));
    await onVirtualTime(run, clock, 100, 6_300);
    const { rows } = await run;
    expect(clock.now()).toBeGreaterThanOrEqual(600_000);
    expect(clock.now()).toBeLessThan(620_000);
    expect(rows.filter((r) => r.error === null)).toHaveLength(3);
    expect(rows.filter((r) => r.error?.status === 503)).toHaveLength(3);
  });

  it('a model that never loads fails as any 503 does once 10 minutes have passed since the first', async () => {
    const complete: Complete = async () => {
      throw loading();
    };
    const clock = new FakeClock();
    const run = drain(runBatch(from(range(2)), options(complete, { retries: 1, clock })));
    await onVirtualTime(run, clock, 100, 6_300);
    const { rows } = await run;
    expect(clock.now()).toBeGreaterThanOrEqual(600_000);
    expect(rows.map((r) => r.error?.status)).toEqual([503, 503]);
    expect(rows.map((r) => r.error?.message)).toEqual(['HTTP 503: Loading model', 'HTTP 503: Loading model']);
  });

  it('another 503 is retried as before, counted', async () => {
    const complete: Complete = async () => {
      throw new AttemptError('http', 'HTTP 503: The server is overloaded', { status: 503 });
    };
    const clock = new FakeClock();
    const run = drain(runBatch(from(range(1)), options(complete, { retries: 2, clock })));
    await onVirtualTime(run, clock, 100, 1000);
    const { rows } = await run;
    expect(rows[0]!.attempts).toBe(3);
    expect(clock.now()).toBeLessThan(10_000);
  });
});

// ---------------------------------------------------------------------------------------------
// Stops
// ---------------------------------------------------------------------------------------------

describe('runBatch and a field the server refused', () => {
  const refusal = () =>
    new AttemptError('http', 'HTTP 400: Unrecognized request argument supplied: stream_options', {
      status: 400,
      resend: { streamUsage: false, limitField: 'max_tokens', tried: 1 },
    });

  it('sends the request again as an attempt of its own: at its pacing turn, ahead of those waiting, counted, not a retry', async () => {
    // The transport's in-attempt resend went at once, outside --rpm and uncounted; waiting for the
    // turn inside the attempt ran into --timeout. The engine sends it, with the refusal's switch.
    const calls: Array<{ prompt: number; at: number; resend: AttemptContext['resend'] }> = [];
    const clock = new FakeClock();
    // As ours (createOpenAIComplete): a caller's own complete is asked for no resend (guarded-complete.ts).
    const complete: Complete = trustedComplete(async (request, ctx) => {
      calls.push({ prompt: indexOf(request), at: clock.now(), resend: ctx.resend });
      if (ctx.resend === true && indexOf(request) === 0) throw refusal();
      return answer('ok');
    });
    const stats = createStats();
    const events: BatchEvent[] = [];
    const run = drain(runBatch(from(range(2)), options(complete, { stats, clock, rpm: 60, retries: 0, concurrency: 2, onEvent: (e) => events.push(e) })));
    await onVirtualTime(run, clock, 100, 100);
    const { rows } = await run;
    expect(rows.map((r) => [r.error, r.attempts])).toEqual([
      [null, 1],
      [null, 1],
    ]);
    // Once a second: p1 waited for its turn when p0 was refused, and p0's resend went before it.
    expect(calls.map((c) => [c.prompt, c.resend])).toEqual([
      [0, true],
      [0, { streamUsage: false, limitField: 'max_tokens', tried: 1 }],
      [1, true],
    ]);
    const [first, resent, other] = calls.map((c) => c.at);
    expect(resent! - first!).toBeGreaterThanOrEqual(900);
    expect(other! - resent!).toBeGreaterThanOrEqual(900);
    expect([stats.requests, stats.retries, stats.failed]).toEqual([3, 0, 0]);
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
  });

  it('sends it again at most twice (one switch a field): a complete that always asks for it fails the row', async () => {
    let calls = 0;
    // It says "the first switch" every time: the engine counts them itself.
    const complete: Complete = async () => {
      calls++;
      throw new AttemptError('http', 'HTTP 400: refused', { status: 400, resend: { streamUsage: false, limitField: 'max_tokens', tried: 1 } });
    };
    const stats = createStats();
    const { rows } = await drain(runBatch(from(range(1)), options(complete, { stats, retries: 0 })));
    expect([calls, stats.requests, rows[0]?.error?.type]).toEqual([3, 3, 'http']);
  });

  it('a stop while the resend waits for its turn leaves the record for a resume, nothing more sent or counted', async () => {
    const stop = new AbortController();
    let calls = 0;
    const clock = new FakeClock();
    const complete: Complete = async () => {
      calls++;
      throw refusal();
    };
    const stats = createStats();
    const run = drain(runBatch(from(range(1)), options(complete, { stats, clock, rpm: 60, stopSignal: stop.signal })));
    // The refusal at 0 ms; the resend's turn is at 1 s.
    await clock.advance(500);
    expect(calls).toBe(1);
    stop.abort();
    await onVirtualTime(run, clock, 100, 100);
    const { rows, outcome } = await run;
    expect([rows, outcome.stopped, calls, stats.requests]).toEqual([[], 'interrupted', 1, 1]);
  });
});

describe('runBatch stops', () => {
  it('auth: stops the run, aborts in-flight calls, starts no more, yields no row for the rejected record', async () => {
    const { calls, complete: waitForever } = controlled();
    let started = 0;
    const allStarted = deferred<void>();
    const complete: Complete = (req, ctx) => {
      started++;
      if (started === 3) allStarted.resolve();
      if (indexOf(req) === 0) {
        return allStarted.promise.then(() => {
          throw new AttemptError('auth', 'HTTP 401: Incorrect API key provided', { status: 401, stop: 'auth' });
        });
      }
      return waitForever(req, ctx);
    };
    const events: BatchEvent[] = [];
    const { rows, outcome } = await drain(runBatch(from(range(10)), options(complete, { concurrency: 3, onEvent: (e) => events.push(e) })));
    expect(outcome).toEqual({ stopped: 'auth', message: expect.stringMatching(/401/) });
    expect(rows).toEqual([]);
    expect(started).toBe(3);
    expect(calls.map((c) => c.index)).toEqual([1, 2]);
    expect(calls.every((c) => c.ctx.signal.aborted)).toBe(true);
    expect(events.filter((e) => e.type === 'stopping')).toEqual([{ type: 'stopping', reason: 'auth', message: expect.stringMatching(/401/) }]);
  });

  it('auth with concurrency 1: the rejected key is tried exactly once and nothing else is sent', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      throw new AttemptError('auth', 'HTTP 401: bad key', { status: 401, stop: 'auth' });
    };
    const { rows, outcome } = await drain(runBatch(from(range(50)), options(complete, { concurrency: 1 })));
    expect(calls).toBe(1);
    expect(rows).toEqual([]);
    expect(outcome.stopped).toBe('auth');
  });

  it('quota: stops admitting, does not retry the quota record, lets in-flight calls finish with rows', async () => {
    const { calls, complete: held } = controlled();
    let quotaCalls = 0;
    const complete: Complete = (req, ctx) => {
      if (indexOf(req) > 1) {
        // Must not happen; answer at once so the test fails on the assertion below instead of hanging.
        calls.push({ index: indexOf(req), request: req, ctx, d: deferred() });
        return Promise.resolve(answer('sent after the stop'));
      }
      if (indexOf(req) === 0) {
        quotaCalls++;
        return (async () => {
          await until(() => calls.length === 1, 'r1 in flight');
          throw new AttemptError('quota', 'HTTP 429 insufficient_quota: You exceeded your current quota', {
            status: 429,
            code: 'insufficient_quota',
            stop: 'quota',
          });
        })();
      }
      return held(req, ctx);
    };
    let stopping = false;
    const gen = runBatch(from(range(10)), options(complete, { concurrency: 2, onEvent: (e) => (stopping ||= e.type === 'stopping') }));
    const rowsP = drain(gen);
    await until(() => stopping, 'the engine saw the quota error');
    await settle();
    expect(calls[0]!.ctx.signal.aborted, 'a quota stop must not abort the call already in flight').toBe(false);
    calls[0]!.d.resolve(answer('a1'));
    const { rows, outcome } = await rowsP;
    expect(outcome).toEqual({ stopped: 'quota', message: expect.stringMatching(/insufficient_quota/) });
    expect(quotaCalls).toBe(1);
    expect(
      calls.map((c) => c.index),
      'no request may be sent after the quota stop',
    ).toEqual([1]);
    expect(rows.map((r) => r.id)).toEqual(['r1']); // the in-flight answer is kept
  });

  it('quota with concurrency 1: the quota error is the last request sent', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      throw new AttemptError('quota', 'HTTP 429 insufficient_quota: no credit', { status: 429, code: 'insufficient_quota', stop: 'quota' });
    };
    const { rows, outcome } = await drain(runBatch(from(range(50)), options(complete, { concurrency: 1 })));
    expect(outcome.stopped).toBe('quota');
    expect(rows).toEqual([]);
    expect(calls, 'requests sent after the quota stop').toBe(1);
  });

  it('stopSignal: no new attempts, in-flight calls that finish still yield rows, unstarted records yield none', async () => {
    const { calls, complete } = controlled();
    const stop = new AbortController();
    const gen = runBatch(from(range(10)), options(complete, { concurrency: 2, stopSignal: stop.signal }));
    const rowsP = drain(gen);
    await until(() => calls.length === 2, 'two in flight');
    stop.abort(new Error('interrupted'));
    for (let i = 0; i < 10; i++) await settle();
    expect(
      calls.every((c) => !c.ctx.signal.aborted),
      'stopSignal must let in-flight calls finish, not abort them',
    ).toBe(true);
    for (const c of calls) c.d.resolve(answer(`a${c.index}`));
    const { rows, outcome } = await rowsP;
    expect(calls).toHaveLength(2);
    expect(outcome).toEqual({ stopped: 'interrupted', message: 'interrupted' });
    expect(rows.map((r) => r.id).sort()).toEqual(['r0', 'r1']);
  });

  it('stopSignal once every record was sent, the calls in flight finishing: every record has its row, so the outcome is {}', async () => {
    const { calls, complete } = controlled();
    const stop = new AbortController();
    const rowsP = drain(runBatch(from(range(2)), options(complete, { concurrency: 2, stopSignal: stop.signal })));
    await until(() => calls.length === 2, 'both in flight');
    // The input's end is seen on a later turn than the last record's start.
    for (let i = 0; i < 10; i++) await settle();
    stop.abort(new Error('interrupted'));
    for (const c of calls) c.d.resolve(answer(`a${c.index}`));
    const { rows, outcome } = await rowsP;
    expect(outcome).toEqual({});
    expect(rows.map((r) => r.id).sort()).toEqual(['r0', 'r1']);
  });

  it('stopSignal: an in-flight call that fails retryably after the stop is not retried and yields no row', async () => {
    let calls = 0;
    const stop = new AbortController();
    const complete: Complete = async () => {
      calls++;
      stop.abort(new Error('interrupted'));
      throw new AttemptError('http', 'HTTP 500', { status: 500 });
    };
    const { rows, outcome } = await drain(runBatch(from(range(3)), options(complete, { concurrency: 1, stopSignal: stop.signal })));
    expect(calls).toBe(1);
    expect(rows).toEqual([]);
    expect(outcome.stopped).toBe('interrupted');
  });

  it('stopSignal during the backoff: the retry is never sent, so none is counted', async () => {
    let calls = 0;
    const stop = new AbortController();
    const complete: Complete = async () => {
      calls++;
      throw new AttemptError('http', 'HTTP 500', { status: 500 });
    };
    const stats = createStats();
    // The 'retry' event announces the wait; the stop comes during it.
    const onEvent = (e: BatchEvent) => {
      if (e.type === 'retry') stop.abort(new Error('interrupted'));
    };
    const { rows, outcome } = await drain(runBatch(from(range(1)), options(complete, { stats, stopSignal: stop.signal, onEvent })));
    expect(calls).toBe(1);
    expect(rows).toEqual([]);
    expect(outcome.stopped).toBe('interrupted');
    expect(stats).toMatchObject({ requests: 1, retries: 0 });
  });

  it('stopSignal already aborted: nothing is sent, nothing is pulled beyond need', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      return answer('x');
    };
    const stop = new AbortController();
    stop.abort(new Error('interrupted'));
    const { rows, outcome } = await drain(runBatch(from(range(5)), options(complete, { stopSignal: stop.signal })));
    expect(calls).toBe(0);
    expect(rows).toEqual([]);
    expect(outcome.stopped).toBe('interrupted');
  });

  it('abortSignal: in-flight calls see their signal fire and yield no row', async () => {
    const { calls, complete } = controlled();
    const abort = new AbortController();
    const gen = runBatch(from(range(10)), options(complete, { concurrency: 3, abortSignal: abort.signal }));
    const rowsP = drain(gen);
    await until(() => calls.length === 3, 'three in flight');
    abort.abort(new Error('interrupted'));
    const { rows, outcome } = await rowsP;
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.ctx.signal.aborted)).toBe(true);
    expect(rows).toEqual([]);
    expect(outcome.stopped).toBe('interrupted');
  });

  it('abortSignal: a row already finished before the abort is still yielded', async () => {
    const { calls, complete } = controlled();
    const abort = new AbortController();
    const gen = runBatch(from(range(4)), options(complete, { concurrency: 2, abortSignal: abort.signal }));
    const firstP = gen.next(); // a generator body starts on the first next()
    await until(() => calls.length === 2, 'two in flight');
    calls[0]!.d.resolve(answer('first'));
    const first = await firstP;
    expect(first).toMatchObject({ done: false, value: { id: 'r0', response: 'first' } });
    abort.abort(new Error('interrupted'));
    const rest = await drain(gen);
    expect(rest.rows).toEqual([]);
    expect(rest.outcome.stopped).toBe('interrupted');
    expect(calls.at(-1)!.ctx.signal.aborted).toBe(true);
  });

  it('a consumer that breaks out early leaves no pending work: in-flight calls are aborted, nothing new starts', async () => {
    const { calls, complete } = controlled();
    let inputClosed = false;
    async function* input(): AsyncGenerator<PromptRecord> {
      try {
        for (let i = 0; i < 1000; i++) yield rec(i);
      } finally {
        inputClosed = true;
      }
    }
    const gen = runBatch(input(), options(complete, { concurrency: 4 }));
    const firstP = gen.next();
    await until(() => calls.length === 4, 'four in flight');
    calls[0]!.d.resolve(answer('one'));
    expect((await firstP).done).toBe(false);
    await gen.return({}); // what `break` in `for await` does
    const unfinished = calls.slice(1);
    await until(() => unfinished.every((c) => c.ctx.signal.aborted), 'in-flight calls aborted');
    await until(() => inputClosed, 'input iterator closed');
    const started = calls.length;
    for (let i = 0; i < 20; i++) await settle();
    expect(calls.length).toBe(started);
    expect(started).toBeLessThanOrEqual(5);
  });

  it('onRow sees every row it makes, one a consumer that left early never took too: what stats counted the tokens of', async () => {
    const { calls, complete } = controlled();
    const stats = createStats();
    const made: ResultRow[] = [];
    const gen = runBatchGroups(from(range(10)), options(complete, { concurrency: 2, stats, onRow: (row) => made.push(row) }));
    const firstP = gen.next();
    await until(() => calls.length === 2, 'two in flight');
    calls[0]!.d.resolve(answer('one', { prompt_tokens: 3, completion_tokens: 4 }));
    expect((await firstP).value).toEqual([expect.objectContaining({ id: 'r0' })]);
    // Answered (and paid for) while the consumer holds the first group; the consumer then leaves.
    calls[1]!.d.resolve(answer('two', { prompt_tokens: 5, completion_tokens: 7 }));
    await until(() => made.length === 2, 'the second row made');
    await gen.return({});
    expect(made.map((r) => r.id)).toEqual(['r0', 'r1']);
    expect(stats).toMatchObject({ promptTokens: 8, completionTokens: 11 });
  });

  it('for await + break works the same way', async () => {
    const { calls, complete } = controlled();
    const rows: ResultRow[] = [];
    const consume = (async () => {
      for await (const row of runBatch(from(range(100)), options(complete, { concurrency: 2 }))) {
        rows.push(row);
        break;
      }
    })();
    await until(() => calls.length === 2, 'two in flight');
    calls[1]!.d.resolve(answer('b'));
    await consume;
    expect(rows.map((r) => r.id)).toEqual(['r1']);
    await until(() => calls[0]!.ctx.signal.aborted, 'the other call aborted');
    expect(calls.length).toBeLessThanOrEqual(3);
  });
});

// ---------------------------------------------------------------------------------------------
// Listener hygiene
// ---------------------------------------------------------------------------------------------

describe('runBatch listener hygiene', () => {
  it("leaves no abort listeners on the caller's signals after a completed run", async () => {
    const stop = new AbortController();
    const abort = new AbortController();
    const complete: Complete = async () => answer('ok');
    const { rows } = await drain(runBatch(from(range(5)), options(complete, { stopSignal: stop.signal, abortSignal: abort.signal })));
    expect(rows).toHaveLength(5);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  it('listeners do not pile up on a long-lived signal over many runs', async () => {
    const stop = new AbortController();
    // Node would warn at 11 listeners; keep that warning out of the other tests (the count is the point here).
    setMaxListeners(100, stop.signal);
    const complete: Complete = async () => answer('ok');
    for (let i = 0; i < 20; i++) await drain(runBatch(from(range(2)), options(complete, { stopSignal: stop.signal })));
    expect(getEventListeners(stop.signal, 'abort').length).toBeLessThanOrEqual(1);
  });

  it('each attempt signal handed to complete has no leftover listeners from the engine once it settles', async () => {
    const signals: AbortSignal[] = [];
    const complete: Complete = async (_req, ctx) => {
      signals.push(ctx.signal);
      return answer('ok');
    };
    await drain(runBatch(from(range(5)), options(complete)));
    expect(signals).toHaveLength(5);
    for (const s of signals) expect(getEventListeners(s, 'abort')).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------------

describe('runBatch warnings', () => {
  it("a run at the default concurrency does not trip Node's MaxListenersExceededWarning (printed on stderr, even with -q)", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const complete: Complete = async () => {
        await delay(1);
        return answer('ok');
      };
      const { rows } = await drain(runBatch(from(range(100)), options(complete, { concurrency: 8 })));
      expect(rows).toHaveLength(100);
      await settle(); // warnings are emitted on process.nextTick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => `${w.name}: ${w.message}`).filter((m) => /MaxListeners/.test(m))).toEqual([]);
  });
});

describe('runBatch never loses a row', () => {
  it("an 'aborted' error from complete while the run was not stopped still gives the record a row", async () => {
    // e.g. a provider whose own internal controller fired; the run was never interrupted.
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      if (calls === 1) throw new AttemptError('aborted', 'request aborted');
      return answer('ok');
    };
    const { rows, outcome } = await drain(runBatch(from([rec(0)]), options(complete)));
    expect(outcome).toEqual({});
    expect(rows).toHaveLength(1);
  });

  it('works with the default pacing (no rpm given)', async () => {
    const complete: Complete = async () => answer('ok');
    const { rows } = await drain(runBatch(from(range(10)), { complete, model: 'm', random: () => 0, concurrency: 4 }));
    expect(rows).toHaveLength(10);
  });
});
