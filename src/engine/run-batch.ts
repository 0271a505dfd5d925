import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { BatchEvent, StopReason } from './events.js';
import { resolveBatchOptions, type BatchOptions, type ResolvedBatchOptions } from './batch-options.js';
import { AttemptError, WatchedContext, type CompletionRequest, type CompletionResult, type FieldSwitch } from '../provider/completion.js';
import { toCompletionRequest } from '../provider/request-body.js';
import { DeadlineClock, attemptWithDeadlines, type DeadlineOptions } from './deadlines.js';
import { RateGovernor, type TokenCost } from '../schedule/rate-governor.js';
import { rateLimitHeadersIn, readRateLimitHeaders, readRetryAfter, type RateLimitHeaders, type RetryAfter } from '../schedule/rate-headers.js';
import { backoffDelay, isRetryable, retriesFor } from '../schedule/retry-policy.js';
import { CircuitBreaker, answerless, neverSent } from '../schedule/circuit-breaker.js';
import { rejectsResponseFormat } from '../structured/response-format.js';
import type { PromptRecord, ResultRow } from '../types.js';
import { placeOf } from '../input/element-lines.js';
import { errorMessage } from '../util/error-message.js';
import { isoNow } from '../util/iso-now.js';
import { answerStep, newTally } from './answer-step.js';
import { judgeAnswer } from '../structured/judge-answer.js';
import { IgnoredFormatWatch } from '../structured/ignored-format.js';
import {
  cachedRow,
  failureRow,
  invalidRow,
  stoppedBeforeReaskRow,
  successRow,
  toRowError,
  usableHit,
  withPaidUsage,
  type AttemptTimes,
  type AwaitingReask,
} from './build-row.js';
import { Changes } from './changes.js';
import { pullRecords, type PullState } from './pull-records.js';
import { batchRecords, type BatchRecords } from './batch-records.js';
import { checkRecord } from './check-record.js';
import { ReorderBuffer } from './reorder-buffer.js';
import type { Reservation } from '../budget/spend-cap.js';
import { promptParts, requestTokenBound } from '../budget/worst-case.js';
import type { CachedAnswer } from '../cache/response-store.js';
import { isModelLoading, LoadingWaits, LOADING_PROBE_MS } from './model-loading.js';
import { RefusalStreak, usedUpUntil, waitTooLong } from './wait-too-long.js';
import { tooLargeForTpm } from './too-large-for-tpm.js';
import { contradictsRequestHeaders, perMinuteRequestHeaders, statedRetryAfter, statedTokenLimit, withStatedLimits } from '../schedule/stated-limits.js';
import { linkedAbort } from '../util/linked-abort.js';

/** EMFILE / ENFILE: this machine ran out of descriptors; the request never reached the server. */
const isLocalShortage = (error: AttemptError): boolean => error.info.code === 'EMFILE' || error.info.code === 'ENFILE';
/** Waits for descriptors per prompt before the shortage is reported as its failure. */
const MAX_LOCAL_WAITS = 200;
/**
 * How long descriptors may stay short while none of the run's requests is in flight to give one
 * back before the run stops (`descriptors`): then `ulimit -n` leaves the run no socket at all, and
 * its prompts waited 200 times each, over three minutes, to fail as `connection` rows. A shortage
 * that lasts is not lmdb's load (a few files for milliseconds) but the limit.
 */
const IDLE_SHORTAGE_MS = 2000;

/** How a run ended, returned when the row iterator finishes. */
export interface BatchOutcome {
  /** Set when the run stopped before every record had a row. */
  stopped?: StopReason;
  /** One line saying why (key redacted by the provider). */
  message?: string;
}

type AnsweredAttempt = { ok: true; result: CompletionResult; latencyMs: number } & AttemptTimes;

type FailedAttempt = { ok: false; error: AttemptError; retryAfter: RetryAfter | undefined } & AttemptTimes;

/**
 * An attempt refused before it left (more tokens than a minute allows, a model with no price under
 * --max-cost): no request, so it counts in no row's `attempts` and has no times of its own.
 */
type RefusedAttempt = { ok: false; error: AttemptError; retryAfter: undefined; unsent: true };

type AttemptOutcome = AnsweredAttempt | FailedAttempt | RefusedAttempt;

const refused = (error: AttemptError): RefusedAttempt => ({ ok: false, error, retryAfter: undefined, unsent: true });

/**
 * Runs every record through the provider and yields one row per record: answered, or failed with
 * a typed error. Records are pulled from `records` only while fewer than a bounded number are
 * outstanding, so memory stays flat whatever the input size. Records that a stop left unfinished
 * get no row (a resume re-runs exactly those), unless they hold a paid answer awaiting its re-ask:
 * that one is an `aborted` row, which a resume re-runs too. The outcome says why the run stopped.
 */
export async function* runBatch(records: BatchRecords, batchOptions: BatchOptions): AsyncGenerator<ResultRow, BatchOutcome, undefined> {
  const groups = runBatchGroups(records, batchOptions);
  // The group being handed out, and how many of its rows the consumer took.
  let group: readonly ResultRow[] = [];
  let taken = 0;
  try {
    for (;;) {
      const step = await groups.next();
      if (step.done) return step.value;
      group = step.value;
      for (taken = 0; taken < group.length; ) yield group[taken++]!;
    }
  } finally {
    // The consumer stopped early: the engine stops too (a no-op once it has finished), and the rows
    // of the group it stopped in that it never took are dropped, as the engine's own are (onDropped).
    await groups.return(undefined as never);
    for (const row of group.slice(taken)) batchOptions.onDropped?.(row);
  }
}

/**
 * runBatch's rows in groups: each group holds the rows that finished within one turn of the event
 * loop, so that a writer can append them with one write (issue 16: a write per row was the
 * engine side's largest cost).
 */
export async function* runBatchGroups(records: BatchRecords, batchOptions: BatchOptions): AsyncGenerator<ResultRow[], BatchOutcome, undefined> {
  const source = batchRecords(records);
  let o: ResolvedBatchOptions;
  try {
    o = resolveBatchOptions(batchOptions);
  } catch (err) {
    // Refused before reading: the records are closed as a finished run closes them (a file stays
    // open otherwise), through the iterator a run would have read. The refusal is what the caller
    // is told, whatever closing meets.
    await closeUnread(source).catch(() => {});
    throw err;
  }
  const engine = new Engine(o);
  return yield* engine.run(source);
}

/**
 * Records read beyond those in slots (or resting, or parked behind an earlier row in input order),
 * so that a slot that frees finds one waiting. A record read long before a slot takes it lives
 * through the young generation's collections, and V8 moves what it holds to the old one, which only
 * a full collection frees: reading up to twice the concurrency, ~270 waited at `-c 256` (~40 ms at
 * 2 ms a request) and V8 promoted 185 MB over 100,000 prompts, with 33 full collections; with 16,
 * 70 MB and 12, for 2-6 % less CPU (issue 16; bench/results/2026-12-04-s39-read-ahead.md).
 */
export const READ_AHEAD = 16;

/** Records of one prompt that may fail in turn before its waiting duplicates all ask at once. */
const FAILED_CLAIMS_MAX = 2;

/** Ends `records` unread, as a `for await` that breaks at once does. */
async function closeUnread(records: AsyncIterable<PromptRecord>): Promise<void> {
  await records[Symbol.asyncIterator]().return?.(undefined);
}

class Engine {
  private readonly queue: PQueue;
  private readonly governor: RateGovernor;
  private readonly stop = new AbortController();
  private readonly abort = new AbortController();
  /**
   * No more requests: every stop, and a --max-cost that is spent while the run has a cache, whose
   * hits cost nothing and are still read and written (see spentOut).
   */
  private readonly sending = new AbortController();
  /** The budget's message once it stopped the requests and the run reads on for cache hits. */
  private spent: string | undefined;
  private stopped: BatchOutcome = {};
  private readonly changes = new Changes();
  private estimator: ((request: CompletionRequest) => number) | undefined;
  private readonly breaker: CircuitBreaker;
  /** Stops a run whose server ignores response_format (free text back), as one that refuses it. */
  private readonly formatWatch = new IgnoredFormatWatch();
  /** Prompts waiting for a model still loading (llama.cpp's `503 Loading model`). */
  private readonly loading: LoadingWaits;
  /** Every attempt's deadlines, under the run's hard stop. */
  private readonly deadlines: DeadlineOptions;
  /** Where finished records wait for the consumer, and the pull's state (set by `run`). */
  private buffer!: ReorderBuffer;
  private pull!: PullState;
  /** The consumer is gone (the run ended, or it stopped early): rows made from now on are dropped. */
  private closed = false;
  /** Removes our listeners from the caller's signals, which may outlive the run. */
  private readonly unlink: Array<() => void> = [];

  constructor(private readonly o: ResolvedBatchOptions) {
    this.queue = new PQueue({ concurrency: o.concurrency });
    this.breaker = new CircuitBreaker({ retries: o.retries > 0 });
    this.loading = new LoadingWaits(o.clock, this.sending.signal);
    this.governor = new RateGovernor({
      rpm: o.rpm,
      tpm: o.tpm,
      clock: o.clock,
      initialRate: 4 * o.concurrency,
      firstWave: o.concurrency,
      answerTokens: o.defaultCompletionTokens,
    });
    const link = (from: AbortSignal | undefined, to: AbortController) => this.unlink.push(linkedAbort(from, to).unlink);
    this.deadlines = { timeoutMs: o.timeoutMs, idleTimeoutMs: o.idleTimeoutMs, signal: this.abort.signal, clock: new DeadlineClock() };
    link(o.stopSignal, this.stop);
    link(o.abortSignal, this.abort);
    link(this.abort.signal, this.stop);
    link(this.stop.signal, this.sending);
    // Every queued record, rate-limiter waiter and backoff sleep listens to these: not a leak.
    setMaxListeners(0, this.stop.signal, this.abort.signal, this.sending.signal);
    this.stop.signal.addEventListener('abort', () => this.changes.notify(), { once: true });
  }

  get stats(): ResolvedBatchOptions['stats'] {
    return this.o.stats;
  }

  /**
   * A caller's onEvent that throws fails the run, whatever the event: thrown from where it was
   * emitted, it failed only that prompt's attempt after an answer (`paused`), and ended others'
   * bookkeeping half done.
   */
  private emit(event: BatchEvent): void {
    const onEvent = this.o.onEvent;
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Set by a stop for a refusal that every request in flight meets too (the key rejected, the
   * server's response_format refused): those are aborted as refused, not billed, where an attempt
   * cut off by another stop may have been (a wrong key's run said "1 attempt cut off · cost unknown").
   */
  private refusedAlike = false;

  private halt(reason: StopReason, message: string, abortInFlight: boolean, refusedAlike = false): void {
    if (this.stopped.stopped) return;
    this.refusedAlike = refusedAlike;
    this.stopped = { stopped: reason, message };
    this.emit({ type: 'stopping', reason, message });
    this.stop.abort(new Error(message));
    if (abortInFlight) this.abort.abort(new Error(message));
  }

  /**
   * --max-cost is spent in a run with a cache: no request is sent from now on (as a budget stop),
   * but the input is read on, and its prompts already answered in the cache get their rows, which
   * cost nothing: left unread, no resume could have them without paying for a new prompt first.
   * The run then ends as stopped by the budget (see markInterrupted).
   */
  private spentOut(message: string): void {
    if (this.stopped.stopped || this.spent !== undefined) return;
    this.spent = message;
    this.emit({ type: 'stopping', reason: 'budget', message });
    this.sending.abort(new Error(message));
  }

  async *run(records: AsyncIterable<PromptRecord>): AsyncGenerator<ResultRow[], BatchOutcome, undefined> {
    const { o } = this;
    const ordered = o.order === 'input';
    const buffer = (this.buffer = new ReorderBuffer(ordered));
    const state: PullState = (this.pull = { outstanding: 0, waiting: 0, resting: 0, parked: 0, inputDone: false, inputError: undefined });

    await o.complete.warmUp?.();
    const producer = pullRecords(records, {
      stop: this.stop,
      highWater: o.concurrency + READ_AHEAD,
      restingFree: o.concurrency,
      // Rows wait behind a slow prompt, up to a window that lets the others go on meanwhile.
      ...(ordered ? { window: Math.max(256, o.concurrency * 8) } : {}),
      changes: this.changes,
      state,
      onRecord: (record, seq) => this.start(record, seq),
    });

    try {
      while (true) {
        let taken = 0;
        const group: ResultRow[] = [];
        for (const row of buffer.drain()) {
          taken++;
          if (row) group.push(row);
        }
        // Rows parked behind an earlier one (input order) are done with their slots: the pull may
        // read on. Those handed out are outstanding until the consumer has taken them: it reads no
        // further ahead meanwhile.
        const parked = ordered ? buffer.size : 0;
        const unparked = parked !== state.parked;
        state.parked = parked;
        if (group.length > 0) yield group;
        if (taken > 0 || unparked) {
          state.outstanding -= taken;
          this.changes.notify();
        }
        if (state.inputDone && state.outstanding === 0) break;
        if (taken > 0) continue;
        // Nothing was handed out, so nothing ran since the drain looked: waiting starts now, not
        // before each pass (a promise per row otherwise). Woken by the first row to finish, the
        // loop lets the rest of this turn's I/O run first, so the rows finished in it go together.
        await this.changes.next();
        await o.clock.yield?.();
      }
      await producer;
      if (state.inputError) throw state.inputError;
      this.markInterrupted();
      return this.stopped;
    } finally {
      // The consumer stopped early (or threw): let nothing run on in the background.
      this.closed = true;
      this.abort.abort(new Error('run closed'));
      this.queue.clear();
      for (const off of this.unlink.splice(0)) off();
      // Rows it will never take: those waiting behind an earlier one (input order) or made meanwhile.
      for (const row of buffer.takeAll()) this.drop(row);
    }
  }

  /** Sends one record on its way; its row (or null) lands in the buffer when it is done. */
  private start(record: PromptRecord, seq: number): void {
    try {
      this.o.stats.read++;
      this.begin(checkRecord(record, seq), seq);
    } catch (err) {
      this.crashed(seq, err);
    }
  }

  /**
   * A finished record's row, or null when a stop left it unfinished. Never throws: a record must
   * land in the buffer whatever happens, or the run waits for it for ever.
   */
  settle(seq: number, row: ResultRow | null, model?: string): void {
    if (row) {
      try {
        this.o.onRow?.(row, model);
      } catch (err) {
        // The caller's own hook failed: its row is still handed out, then the run throws.
        this.fail(err);
      }
    }
    // An answer that came in as the run closed (its request was already answered): paid, never handed out.
    if (this.closed) {
      if (row) this.drop(row);
      return;
    }
    if (!row) this.unfinished++;
    this.buffer.put(seq, row);
    this.changes.notify();
  }

  /** A row the consumer will never take, told to the caller; never throws (the run may be over). */
  private drop(row: ResultRow): void {
    try {
      this.o.onDropped?.(row);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Lets duplicates of a claimed prompt go on: its answer is stored, or it will not come. */
  releaseClaim(key: string): void {
    this.o.cache?.release?.(key);
  }

  /** A record whose processing threw: the run fails with the first such error. */
  crashed(seq: number, err: unknown): void {
    this.fail(err);
    this.settle(seq, null);
  }

  /**
   * The run fails with `err` (the first failure wins), thrown once the rows already made are handed
   * out: nothing more is sent and requests in flight are aborted (no row: a resume re-runs them),
   * since the run ends in an error whatever they answer.
   */
  private fail(err: unknown): void {
    this.pull.inputError ??= err;
    this.stop.abort(err);
    this.abort.abort(err);
  }

  /** Records a stop left without a row (a resume asks them again). */
  private unfinished = 0;

  /**
   * A stop with no reason of our own (the caller's signals) ends the run as 'interrupted', unless it
   * came too late to leave anything out: the input was read to its end and every record got its row
   * (the prompts in flight finished within the grace period): README promises {} then. (The CLI,
   * told to stop by its own signal, says interrupted all the same: see send-rows.ts.)
   */
  private markInterrupted(): void {
    if (!this.stopped.stopped && this.spent !== undefined) this.stopped = { stopped: 'budget', message: this.spent };
    if (this.stopped.stopped || !this.stop.signal.aborted) return;
    if (this.pull.inputEnded && this.unfinished === 0) return;
    this.stopped = { stopped: 'interrupted', message: 'interrupted' };
  }

  /** Structured runs give every row an `output` (null when there is none). */
  private withOutput(row: ResultRow): ResultRow {
    return this.o.structured ? { ...row, output: null } : row;
  }

  private usable(found: CachedAnswer | undefined): CachedAnswer | undefined {
    return found && usableHit(found, this.o.failTruncated) ? found : undefined;
  }

  /**
   * One record to its row. Before the queue: a hit takes no slot, no rate budget and no request.
   * A structured run stores only validated answers and checks a hit again (the check may be
   * stricter now); one that fails is asked afresh.
   */
  private begin(record: PromptRecord, seq: number): void {
    const { o } = this;
    if (record.problem) {
      this.settle(seq, this.withOutput(failureRow(record, { type: 'input', message: record.problem.message }, 0, o.stats)));
      return;
    }
    const request = toCompletionRequest(record, o);
    const { cache } = o;
    if (!cache) {
      this.answer(record, seq, request, undefined, undefined, false);
      return;
    }
    // Worked out once and handed on: the lookup, the claim, its release and the store share it.
    const key = cache.keyOf(request, record.sample ?? 0);
    const hit = this.usable(cache.lookup(key));
    if (hit || !cache.claim) {
      this.answer(record, seq, request, key, hit, false);
      return;
    }
    // A duplicate of a prompt being asked now waits for that answer instead of asking again.
    const earlier = cache.claim(key);
    if (earlier === undefined) {
      this.answer(record, seq, request, key, undefined, true);
      return;
    }
    void this.afterEarlier(record, seq, request, key, earlier);
  }

  /**
   * A duplicate's wait for the answer being asked now, then its row: a hit, or asked itself. When
   * none came (that record failed), one of the duplicates that waited asks next: a failure that
   * passed costs one request more, not one per duplicate. When that one fails too, the rest ask at
   * once, as without the cache: taking turns, a prompt that keeps failing would be asked one
   * duplicate after another, each after the last one's retries.
   */
  private async afterEarlier(record: PromptRecord, seq: number, request: CompletionRequest, key: string, earlier: Promise<unknown>): Promise<void> {
    const { o } = this;
    const state = this.pull;
    state.waiting++;
    try {
      let hit: CachedAnswer | undefined;
      let failed = 0;
      let claimed = false;
      try {
        for (let waiting: Promise<unknown> | undefined = earlier; waiting !== undefined; ) {
          await waiting;
          hit = this.usable(o.cache!.lookup(key));
          if (hit || ++failed === FAILED_CLAIMS_MAX) break;
          waiting = o.cache!.claim!(key);
          claimed = waiting === undefined;
        }
      } finally {
        state.waiting--;
      }
      this.answer(record, seq, request, key, hit, claimed);
    } catch (err) {
      this.crashed(seq, err);
    }
  }

  /** A record's row from its cache hit, or by asking (with retries and re-asks). */
  private answer(
    record: PromptRecord,
    seq: number,
    request: CompletionRequest,
    key: string | undefined,
    hit: CachedAnswer | undefined,
    claimed: boolean,
  ): void {
    const { o } = this;
    if (hit && !o.structured) {
      this.settle(seq, cachedRow(record, request, hit, o.stats));
      return;
    }
    const stored = hit && o.structured ? judgeAnswer(hit.text, hit.finishReason, o.structured.check) : undefined;
    if (hit && stored?.ok) {
      this.formatWatch.honoured();
      this.settle(seq, { ...cachedRow(record, request, hit, o.stats), output: stored.value });
      return;
    }
    new RecordRun(this, record, seq, request, key, claimed).next();
  }

  /** Sends the record's next attempt through the queue, unless the run has stopped. */
  next(run: RecordRun): void {
    if (this.sending.signal.aborted) {
      run.resolve(run.cutShort());
      return;
    }
    // Retries jump the queue so rows finish and leave memory; the backoff wait holds no slot.
    // No `signal` here: p-queue would reject a task that is already running, dropping an answer
    // that is still arriving; a queued task sees the stop itself when it starts.
    this.queue.add(run.task, { priority: run.attempt > 1 ? 1 : 0 }).then(run.step, run.reject);
  }

  /** What one attempt's outcome means for its record: its row, another attempt, or a wait first. */
  step(run: RecordRun, outcome: AttemptOutcome | undefined): void {
    const { o } = this;
    const { record, attempt } = run;
    if (outcome === undefined) {
      // Stopped before it was sent.
      run.resolve(run.cutShort());
      return;
    }
    // Any outcome but a shortage of descriptors had one to send with: the shortage's clock starts again.
    if (outcome.ok || !isLocalShortage(outcome.error)) this.shortSince = undefined;
    if (!('unsent' in outcome)) {
      run.sent = attempt;
      run.finishedAt = outcome.finishedAt;
    }
    if (outcome.ok) {
      const request = run.request;
      if (!o.structured) {
        // A refusal becomes a failed row (successRow): failures are asked again, never served from the cache.
        if (run.key !== undefined && !(outcome.result.refusal && !outcome.result.text)) o.cache!.store(run.key, request, outcome.result);
        run.resolve(successRow(record, request, outcome, attempt, o.stats, o.failTruncated));
        return;
      }
      const step = answerStep(o.structured, outcome.result, request.messages, run.answers);
      // Only our own response_format (not a Batch API line's, re-asked live): the stop's advice is --schema-in-prompt.
      const ignored =
        request.response_format !== undefined && !outcome.result.refusal
          ? this.formatWatch.answer(run, outcome.result.text, step.next === 'accept')
          : undefined;
      // Before the re-ask is queued: it is not sent, and its record becomes an `aborted` row that a resume asks again.
      if (ignored) this.halt('response_format', ignored, true);
      if (step.next === 'reask') {
        run.awaiting = { outcome: { ...outcome, result: { ...outcome.result, usage: step.usage } }, message: step.message, attempt };
        run.due = 'reask';
        this.emit({ type: 'reask', id: record.id, attempt, problems: step.problems });
        run.request = { ...request, messages: step.messages };
        run.attempt++;
        this.next(run);
        return;
      }
      const answered = { ...outcome, result: { ...outcome.result, usage: step.usage } };
      if (step.next === 'accept') {
        // Answers are stored under the first request, not a re-ask's conversation.
        if (run.key !== undefined) o.cache!.store(run.key, run.asked, outcome.result);
        run.resolve({ ...successRow(record, request, answered, attempt, o.stats, o.failTruncated), output: step.output });
        return;
      }
      run.resolve(invalidRow(record, request, answered, attempt, step.message, o.stats, o.failTruncated));
      return;
    }
    const error = outcome.error;
    // Cut short by our own stop: no row, so a resume sends it again. (A provider's own 'aborted'
    // with no stop in sight is a failure like any other and gets its row.)
    if (error.type === 'aborted' && this.abort.signal.aborted) {
      run.resolve(run.cutShort());
      return;
    }
    if (error.info.stop) {
      // Halted in failed(), before its slot was freed. A breaker that tripped on this record's last
      // allowed attempt cut nothing short: it used its retries, and gets its row as it would have
      // (a resume asks a transient failure again).
      if (error.info.stop === 'unreachable' && this.lastChance(error, run.failures + 1)) {
        run.failures++;
        this.failedRow(run, outcome);
        return;
      }
      run.resolve(run.cutShort());
      return;
    }
    if (isLocalShortage(error)) {
      if (this.shortOfDescriptors(error)) {
        run.resolve(run.cutShort());
        return;
      }
      if (run.localWaits++ < MAX_LOCAL_WAITS) {
        // Out of file descriptors here, not a failure of the prompt: wait and send again, uncounted.
        this.after(run, 50 * Math.min(run.localWaits, 20));
        return;
      }
    }
    if (
      isModelLoading(error) &&
      this.loading.hold(
        run.request.model,
        this.restUntil(() => run.resume()),
        this.restUntil(() => run.cancel()),
      )
    ) {
      this.rest();
      // Not a failure of the prompt: sent again, uncounted, once the model answers (or as its probe).
      run.due = 'retry';
      this.emit({ type: 'retry', id: record.id, attempt, error: toRowError(error), delayMs: LOADING_PROBE_MS });
      run.attempt++;
      return;
    }
    run.failures++;
    if (this.lastChance(error, run.failures)) {
      this.failedRow(run, outcome);
      return;
    }
    if (this.sending.signal.aborted) {
      run.resolve(run.cutShort());
      return;
    }
    const delayMs = backoffDelay(run.failures, outcome.retryAfter?.ms, { random: o.random });
    run.due = 'retry';
    this.emit({ type: 'retry', id: record.id, attempt, error: toRowError(error), delayMs });
    run.attempt++;
    this.after(run, delayMs);
  }

  /** Whether a record that has failed `failures` times is not tried again: its retries spent (see retriesFor), or an error no retry mends. */
  private lastChance(error: AttemptError, failures: number): boolean {
    return failures > retriesFor(error.type, error.info.code, this.o.retries) || !isRetryable(error.type, error.info.status, error.info.code);
  }

  /**
   * A record's row for its last failed attempt. `attempts` counts the requests sent: a refusal before
   * sending adds none, and the row's times are the last sent attempt's (none when nothing was sent).
   */
  private failedRow(run: RecordRun, outcome: FailedAttempt | RefusedAttempt): void {
    const times = 'unsent' in outcome ? run.lastSentTimes() : outcome;
    const row = failureRow(run.record, toRowError(outcome.error), run.sent, this.o.stats, times, run.awaiting);
    run.resolve(this.withOutput(withPaidUsage(row, run.answers.usage, this.o.stats)));
  }

  /** The record's next attempt after `ms` (a backoff, a wait for descriptors); a stop meanwhile cuts it short. */
  private after(run: RecordRun, ms: number): void {
    this.rest();
    this.o.clock
      .sleep(ms, this.sending.signal)
      .then(
        this.restUntil(() => this.next(run)),
        this.restUntil(() => run.resolve(run.cutShort())),
      )
      .catch(run.reject);
  }

  /** A record leaves its slot without a row, to try again later: the pull may read on meanwhile. */
  private rest(): void {
    this.pull.resting++;
    this.changes.notify();
  }

  /** `then`, ending the rest that `rest()` began. */
  private restUntil(then: () => void): () => void {
    return () => {
      this.pull.resting--;
      then();
    };
  }

  /**
   * Set once a 429 stated a requests-a-minute limit that the x-ratelimit-*-requests headers
   * contradict (Groq's count a day): their request figures are left out from then on, or every
   * answer's headers put the pace back at the day's limit read as a minute's, a burst a minute.
   */
  private requestHeadersCountADay = false;

  /** The 429s since the last answer, which stop a run that gets nothing else for minutes. */
  private readonly refusals = new RefusalStreak();

  /** Since when descriptors have been short with none of the run's requests in flight. */
  private shortSince: number | undefined;

  /** Until when the pauses told so far hold everyone back (see tellPause). */
  private pauseToldUntil = Number.NEGATIVE_INFINITY;

  /**
   * Whether a shortage of descriptors stops the run: none of its requests is in flight to give one
   * back, and none has been for IDLE_SHORTAGE_MS. Then the run stops as `descriptors`, its prompts
   * left for a resume under a higher `ulimit -n`.
   */
  private shortOfDescriptors(error: AttemptError): boolean {
    if (this.o.stats.inFlight > 0) {
      this.shortSince = undefined;
      return false;
    }
    const now = this.o.clock.now();
    this.shortSince ??= now;
    if (now - this.shortSince < IDLE_SHORTAGE_MS) return false;
    this.halt('descriptors', `out of file descriptors: ${error.message}`, true);
    return true;
  }

  private requestHeadersOf(headers: RateLimitHeaders | undefined): RateLimitHeaders | undefined {
    return this.requestHeadersCountADay ? perMinuteRequestHeaders(headers) : headers;
  }

  /** Whether requests now wait on the server's announced pace, for the progress display. */
  private notePacing(): void {
    const pace = this.governor.serverPacePerMinute();
    this.o.stats.serverPacePerMinute = pace?.perMinute;
    this.o.stats.serverPaceByTokens = pace?.byTokens;
  }

  /**
   * Nothing in flight while the rate limiter holds the next request back a second or more: a
   * `paused` event, as a used-up limit's pause gets, told once a hold. After a burst of 429s the pace
   * re-books the last second's requests the server took at the rate it learned and may hold everyone
   * for seconds, past the 429s' own retry-after: the bar sat at "0 in flight" with a growing ETA and
   * no reason.
   */
  private noteHold(id: string): void {
    if (this.o.stats.inFlight > 0) return;
    const heldMs = this.governor.heldForMs();
    // A pause already told (a used-up limit's, a 429's) that ends as late: told again, it says nothing new.
    if (heldMs < SHOWN_PAUSE_MS || this.o.clock.now() + heldMs <= this.pauseToldUntil + 1) return;
    this.tellPause({ type: 'paused', id, pauseMs: heldMs });
  }

  /** Tells that everyone waits `pauseMs`, noting until when. */
  private tellPause(event: Extract<BatchEvent, { type: 'paused' | 'rate-limited' }>): void {
    this.pauseToldUntil = Math.max(this.pauseToldUntil, this.o.clock.now() + event.pauseMs);
    this.emit(event);
  }

  /**
   * One attempt inside a concurrency slot; undefined when the run stopped before it was sent. A
   * chain of promises through the run's own fields, not an async call: that would stay suspended,
   * with all it holds, while the request is in flight (issue 16).
   */
  attempt(run: RecordRun): AttemptOutcome | undefined | Promise<AttemptOutcome | undefined> {
    if (this.sending.signal.aborted) return undefined;
    const { request } = run;
    let price: TokenCost = 0;
    run.cost = 0;
    if (this.governor.countsTokens) {
      const prompt = this.promptTokens(request);
      if (prompt === undefined) return this.loadEstimator().then(() => this.attempt(run));
      // Only the model's own limit refuses a request: another model's may be far smaller.
      const limit = this.governor.tokenLimit(request.model);
      // What is known to count (the prompt, and max_tokens when set; not the guess for an unset one).
      const known = prompt + (request.max_tokens ?? 0);
      if (limit && known > limit.perMinute) return refused(tooLarge(run, known, limit, run.sent > 0));
      // The answer length, when max_tokens is unset, is learned from answers so far (256 until then)
      // and priced at admission; a guessed answer length never makes a request wait longer than a
      // whole minute's tokens (of the pace, which follows the tightest limit of any model). `cost`
      // ends as what the governor charged.
      const cap = this.governor.pacedTokensPerMinute() ?? Number.POSITIVE_INFINITY;
      const maxTokens = request.max_tokens;
      if (maxTokens !== undefined) price = run.cost = Math.min(prompt + maxTokens, cap);
      else price = () => (run.cost = Math.min(prompt + this.governor.answerTokens(), cap));
    }
    const { budget } = this.o;
    if (!budget) return this.pace(run, price, undefined);
    // Past the budget first, then paced: a turn taken before a long wait for the budget was spent
    // late, by every request the budget let go at once (7 in 0.1 ms under --rpm 120).
    return budget.admit(run.request, this.sending.signal).then((admission) => {
      if (admission.kind === 'stopped') return undefined;
      if (admission.kind === 'full') {
        if (this.o.cache) this.spentOut(admission.message);
        else this.halt('budget', admission.message, false);
        return undefined;
      }
      if (admission.kind === 'unpriced') return refused(located(run.record, admission.message));
      return this.pace(run, price, admission.ticket);
    });
  }

  /** The attempt's turn of the pacing: at once (the common case) without a promise to wait on, else waited for. */
  private pace(run: RecordRun, price: TokenCost, ticket: Reservation | undefined): AttemptOutcome | undefined | Promise<AttemptOutcome | undefined> {
    const sentAt = this.governor.admitNow(price);
    if (sentAt !== undefined) return this.paced(run, sentAt, ticket);
    // A request sent again without a field goes first: until it is answered, every one goes with it.
    const admitted = this.governor.acquire(price, this.sending.signal, run.resending);
    this.notePacing();
    this.noteHold(run.record.id);
    return admitted.then(
      (at) => this.paced(run, at, ticket),
      () => this.unsent(run, ticket),
    );
  }

  /** The attempt once its pacing let it go: sent, unless the run stopped meanwhile. */
  private paced(run: RecordRun, sentAt: number, ticket: Reservation | undefined): AttemptOutcome | undefined | Promise<AttemptOutcome | undefined> {
    this.notePacing();
    if (this.sending.signal.aborted) return this.unsent(run, ticket);
    return this.send(run, sentAt, ticket);
  }

  /** An attempt the run stopped before it was sent: its budget reservation given back. */
  private unsent(run: RecordRun, ticket: Reservation | undefined): undefined {
    if (ticket) this.o.budget!.settle(ticket, run.request, { failedWithStatus: false, neverSent: true });
    return undefined;
  }

  private send(run: RecordRun, sentAt: number, ticket: Reservation | undefined): Promise<AttemptOutcome | undefined> {
    const { o } = this;
    const { record, attempt } = run;
    o.stats.inFlight++;
    o.stats.requests++;
    run.onSent();
    run.sentAt = sentAt;
    run.serial = this.breaker.sent();
    run.ticket = ticket;
    run.startedAt = isoNow();
    // Several models or --repeat: the id alone does not say which of the prompt's answers this is.
    const cell = record.sample !== undefined ? { model: record.params.model ?? '', sample: record.sample } : undefined;
    this.emit({ type: 'attempt', id: record.id, attempt, prompt: record.prompt, seq: run.seq, cell });
    // An onEvent that threw just now failed the run: attemptWithDeadlines sees the abort and sends nothing.
    if (this.abort.signal.aborted) o.stats.requests--;
    const onDelta = o.onEvent && o.deltaEvents ? (text: string) => this.emit({ type: 'delta', id: record.id, attempt, text, cell }) : undefined;
    // A retry goes as the last resend went: the transport learns a switch only once one is answered.
    const { request, switched } = run;
    run.resending = false;
    // The closure is called at once and let go: attemptWithDeadlines holds no suspended call around it.
    return attemptWithDeadlines((attempt) => o.complete(request, new WatchedContext(attempt, onDelta, switched)), this.deadlines).then(
      run.answered,
      run.failed,
    );
  }

  /** The attempt's answer, noted by the pacing, the budget and the breaker. */
  answered(run: RecordRun, result: CompletionResult): AttemptOutcome | undefined | Promise<AttemptOutcome | undefined> {
    const { o } = this;
    const { request } = run;
    try {
      if (run.ticket) o.budget!.settle(run.ticket, request, { usage: result.usage, model: result.model });
      this.refusals.answered();
      const latencyMs = o.clock.now() - run.sentAt;
      this.breaker.onSuccess();
      this.loading.loaded(request.model);
      const pauseMs = this.governor.onResponse({
        estimatedTokens: run.cost,
        actualTokens: result.usage ? result.usage.prompt_tokens + result.usage.completion_tokens : undefined,
        answerTokens: request.max_tokens === undefined ? result.usage?.completion_tokens : undefined,
        headers: result.headers ? this.requestHeadersOf(rateLimitHeadersIn(result.headers)) : undefined,
        model: request.model,
      });
      // A shorter pause is the server's pace at work (a reset of 20ms at the edge of the limit), not
      // worth a display's "rate limited, waiting 0.0s" between two frames of the bar.
      if (pauseMs !== undefined && pauseMs >= SHOWN_PAUSE_MS) this.tellPause({ type: 'paused', id: run.record.id, pauseMs });
      o.stats.inFlight--;
      this.noteHold(run.record.id);
      return { ok: true, result, latencyMs, startedAt: run.startedAt, finishedAt: isoNow() };
    } catch (err) {
      // As when this ran inside the attempt's own try: a failure of the bookkeeping fails the attempt.
      return this.failed(run, err);
    }
  }

  /** The attempt's failure, typed; it may stop the run before the slot goes to the next prompt. */
  failed(run: RecordRun, err: unknown, estimated = false): AttemptOutcome | undefined | Promise<AttemptOutcome | undefined> {
    // A 429 that announces the server's token limit may say this request can never fit it: judged
    // by the token estimator, loaded first when nothing has yet (no limit was known when it was sent).
    if (!estimated && !this.estimator && err instanceof AttemptError && err.type === 'rate_limit' && announcedTokenLimit(err) !== undefined) {
      const again = () => this.failed(run, err, true);
      return this.loadEstimator().then(again, again);
    }
    const { o } = this;
    const { request, attempt, ticket } = run;
    this.refusals.ended(run.sentAt);
    this.breaker.ended(run.serial);
    try {
      const error = err instanceof AttemptError ? err : new AttemptError('connection', errorMessage(err));
      // Out of descriptors: no socket was opened, so nothing left, and no request is counted.
      const shortage = isLocalShortage(error);
      if (shortage) o.stats.requests--;
      const unsent = neverSent(error.info.code) || shortage;
      // No response's status came back and it left (a stream's own error event says a status of its
      // own, after what it generated): billed for what was generated, unpriced (the summary says so).
      // A whole page or error in place of an answer is a refusal, as a status is.
      const refused =
        (error.info.status !== undefined && !error.info.inStream) ||
        answerless(error.info.code) ||
        (this.refusedAlike && error.type === 'aborted' && this.abort.signal.aborted);
      if (!refused && !unsent) o.stats.attemptsCutOff++;
      if (ticket) o.budget!.settle(ticket, request, { failedWithStatus: refused, neverSent: unsent });
      // At most one switch a field (two fields), counted here: a `complete` that asks for one at every
      // refusal cannot have the request sent for ever.
      if (error.info.resend && run.resent < 2) {
        run.resent++;
        // A field the server refused (sdk-complete.ts): sent again without it, in this slot (the
        // next prompt would go with it still), as an attempt of its own: paced, budgeted and counted
        // as any request, under a deadline of its own. Not a failure: no retry, no backoff.
        run.switched = error.info.resend;
        run.resending = true;
        return this.attempt(run);
      }
      // Stop before this slot goes to the next prompt: after a rejected key or an exhausted quota
      // not one more request may leave.
      if (error.info.stop) this.halt(error.info.stop, error.message, error.info.stop !== 'quota', error.info.stop === 'auth');
      // A server without structured outputs refuses every request alike: one answer is enough. (A
      // Batch API line re-asked live carries its response_format in the body it was sent with.)
      const format = request.response_format ?? (o.structured ? request.extraBody?.['response_format'] : undefined);
      if (format !== undefined && rejectsResponseFormat(error.info.status, error.message)) {
        this.halt('response_format', error.message, true, true);
        return undefined;
      }
      const tripped =
        o.circuitBreaker && !error.info.stop
          ? this.breaker.onFailure(error.info, attempt, o.clock.now(), { serial: run.serial, othersOut: o.stats.inFlight - 1 })
          : undefined;
      if (tripped) {
        error.info.stop = 'unreachable';
        this.halt('unreachable', `${tripped}: ${error.message}`, true);
      }
      const headers = error.info.headers;
      const retryAfter = (headers ? readRetryAfter(headers) : undefined) ?? (error.type === 'rate_limit' ? statedRetryAfter(error.message) : undefined);
      // Every 429 the server sent, an exhausted quota's (typed `quota`) too, as the report counts them.
      if (error.info.status === 429) o.stats.rateLimited++;
      if (error.type === 'rate_limit') {
        // Without x-ratelimit-* headers (a gateway that strips them), the limits its message states.
        const announced = headers ? readRateLimitHeaders(headers) : undefined;
        if (contradictsRequestHeaders(announced, error.message)) this.requestHeadersCountADay = true;
        const rateHeaders = withStatedLimits(this.requestHeadersOf(announced), error.message);
        const tooLarge = this.tooLargeForLimit(run, rateHeaders, error.message);
        if (tooLarge) return { ok: false, error: tooLarge, retryAfter: undefined, startedAt: run.startedAt, finishedAt: isoNow() };
        // A wait of hours, a limit per day used up, or nothing but 429s for minutes: stop as an
        // exhausted quota does, pausing no one for it.
        // The others out now, this one aside (inFlight counts it until it ends below).
        const streak = this.refusals.refused(error, o.clock.now(), o.stats.inFlight - 1);
        const stop = waitTooLong(error, retryAfter ?? usedUpUntil(rateHeaders)) ?? streak;
        if (stop) {
          this.halt('quota', stop.message, false);
          return { ok: false, error: stop, retryAfter: undefined, startedAt: run.startedAt, finishedAt: isoNow() };
        }
        // Inside the slot, before the next request goes: the whole queue slows at once.
        this.governor.onRateLimited({ sentAt: run.sentAt, retryAfter, headers: rateHeaders, model: request.model, cost: run.cost });
        this.tellPause({ type: 'rate-limited', id: run.record.id, pauseMs: this.governor.state().pausedForMs });
      }
      return { ok: false, error, retryAfter, startedAt: run.startedAt, finishedAt: isoNow() };
    } finally {
      o.stats.inFlight--;
      this.noteHold(run.record.id);
    }
  }

  /**
   * A 429 "Request too large": the request needs more tokens than the minute's limit its headers
   * announce (or its message states), so it would be refused however long it waited. Its row's
   * error, the limit learned (later prompts that large are not sent), and no pause for anyone: the
   * server's retry-after (60 s here) held the whole queue, only to refuse it again. The server's
   * own "Request too large" settles it when the estimate falls short of its count.
   */
  private tooLargeForLimit(run: RecordRun, headers: RateLimitHeaders | undefined, said: string): AttemptError | undefined {
    const { request } = run;
    const perMinute = headers?.limitTokens;
    if (!headers || !perMinute || !this.estimator) return undefined;
    const stated = statedTokenLimit(said);
    const estimated = this.estimator(request) + (request.max_tokens ?? 0);
    const known = stated?.tooLarge ? Math.max(estimated, stated.requested ?? 0) : estimated;
    if (known <= perMinute && !stated?.tooLarge) return undefined;
    this.governor.onTooLarge(headers, request.model);
    return tooLarge(run, known, this.governor.tokenLimit(request.model) ?? { perMinute, source: 'server' }, true);
  }

  /**
   * A request's prompt tokens as its pacing needs them. While the request pace alone holds back a
   * request this large (RateGovernor.tokenRoom: OpenAI's higher tiers), an upper bound that needs no
   * tokenizer (UTF-8 bytes, budget/worst-case.ts), which the pace treats the same; else the exact
   * count, undefined until the tokenizer is loaded: ~0.2 s of CPU with the event loop held, in every
   * run against a server that announces a token limit (issue 16).
   */
  private promptTokens(request: CompletionRequest): number | undefined {
    const room = this.governor.tokenRoom();
    if (room !== undefined) {
      const bound = requestTokenBound(promptParts(request));
      if (bound + (request.max_tokens ?? this.governor.answerTokens()) <= room) return bound;
    }
    return this.estimator?.(request);
  }

  /** Loads the prompt-token estimator, once, when the first request is priced in tokens. */
  private async loadEstimator(): Promise<void> {
    if (this.estimator) return;
    const { requestTokenEstimator } = await import('../schedule/estimate-tokens.js');
    const estimate = requestTokenEstimator();
    // What --max-cost counts as prompt: the messages (our system message and a re-ask's turns
    // too), a schema sent as response_format and tool definitions (the server puts both in the context).
    // Not an image's worst case, which --max-cost reserves: ~17 times a typical image on gpt-4o-mini
    // (48,169 tokens), it held vision batches to a few requests a minute under a learnt limit and
    // refused them under a --tpm below it. An image counts 0 here, and its usage, above the charge,
    // is added once the answer says it (RateGovernor.onResponse).
    this.estimator = (r) => estimate(promptParts(r));
  }
}

/**
 * One record on its way to its row: where it stands (attempt, failures, an answer awaiting its
 * re-ask) and the handlers its promises settle into, made once per record rather than per attempt
 * or per await (issue 16). The Engine decides; this holds.
 */
class RecordRun {
  /** The request as first asked: answers are stored under it, not a re-ask's conversation. */
  readonly asked: CompletionRequest;
  attempt: number;
  /** The last attempt that was sent. */
  sent: number;
  failures = 0;
  localWaits = 0;
  /** Transport failures and re-asks have separate budgets; both count in `attempts`. */
  readonly answers = newTally();
  /**
   * An invalid answer waiting for its re-ask: when the run's own stop comes first, that paid
   * answer becomes the record's row instead of vanishing (see `cutShort`).
   */
  awaiting: AwaitingReask | undefined;
  /**
   * A re-ask or a retry counts once its request leaves: one a stop keeps from being sent (in the
   * queue, or during the backoff) is none (a re-ask's record becomes the `aborted` row of
   * `cutShort`), and a re-ask's transport retries are retries. A conversation begun elsewhere
   * (`earlier`) starts with its re-ask.
   */
  due: 'reask' | 'retry' | undefined;
  /**
   * The last switch of a field the server refused (see Engine.failed): every later attempt goes so.
   * `resending` while the next one is the request sent again so (it goes ahead of those waiting);
   * `resent`, how many times that was.
   */
  switched: FieldSwitch | undefined;
  resending = false;
  resent = 0;
  // The attempt in flight.
  sentAt = 0;
  /** Its number among the run's attempts (CircuitBreaker.sent). */
  serial = 0;
  cost = 0;
  ticket: Reservation | undefined;
  startedAt = '';
  /** When the last attempt that was sent ended ('' before one was). */
  finishedAt = '';

  private settled = false;

  constructor(
    private readonly engine: Engine,
    readonly record: PromptRecord,
    readonly seq: number,
    public request: CompletionRequest,
    /** The cache's key of `asked` (undefined without a cache): its answer is stored under it. */
    readonly key: string | undefined,
    /** Whether this record holds the cache's claim on its prompt (duplicates wait for its answer). */
    private readonly claimed: boolean,
  ) {
    this.asked = request;
    const earlier = record.earlier;
    this.sent = earlier?.attempts ?? 0;
    this.attempt = 1 + this.sent;
    // Continuing a conversation begun elsewhere (a Batch API answer being re-asked live).
    if (earlier) Object.assign(this.answers, { reasks: earlier.reasks, usage: earlier.usage });
    this.due = earlier ? 'reask' : undefined;
  }

  next(): void {
    this.engine.next(this);
  }

  /**
   * The next attempt after a wait held elsewhere (a model loading); a throw fails the run as in `after`.
   * A method, not a closure made for every record: only such a wait needs one (issue 16).
   */
  resume(): void {
    try {
      this.engine.next(this);
    } catch (err) {
      this.reject(err);
    }
  }

  /** The run stopped during such a wait. */
  cancel(): void {
    this.resolve(this.cutShort());
  }

  /** The record's row (null: a stop left it unfinished), once. */
  resolve(row: ResultRow | null): void {
    if (this.end()) this.engine.settle(this.seq, row, this.asked.model);
  }

  /** Processing the record threw: the run fails with it. */
  readonly reject = (err: unknown): void => {
    if (this.end()) this.engine.crashed(this.seq, err);
  };

  /** Whether the record ends now (not already): its claim on the prompt, if it holds one, goes. */
  private end(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.claimed) this.engine.releaseClaim(this.key!);
    return true;
  }

  /** p-queue awaits what its task returns: an attempt settled at once (stopped, refused) needs no promise. */
  readonly task = () => this.engine.attempt(this) as Promise<AttemptOutcome | undefined>;
  readonly step = (outcome: AttemptOutcome | undefined): void => {
    try {
      this.engine.step(this, outcome);
    } catch (err) {
      this.reject(err);
    }
  };
  readonly answered = (result: CompletionResult) => this.engine.answered(this, result);
  readonly failed = (err: unknown) => this.engine.failed(this, err);

  onSent(): void {
    const stats = this.engine.stats;
    if (this.due === 'reask') stats.reasks++;
    else if (this.due === 'retry') stats.retries++;
    this.due = undefined;
  }

  /** The bounds of the last attempt that was sent, for a row ended by one refused unsent. */
  lastSentTimes(): AttemptTimes | undefined {
    return this.finishedAt ? { startedAt: this.startedAt, finishedAt: this.finishedAt } : undefined;
  }

  /** The paid answer awaiting its re-ask as an `aborted` row; no row (null) when there is none. */
  cutShort(): ResultRow | null {
    const { awaiting } = this;
    if (!awaiting) return null;
    return stoppedBeforeReaskRow(this.record, this.request, awaiting, this.sent, this.engine.stats);
  }
}

/** The shortest pause (a used-up `x-ratelimit-remaining-*`, a hold of the pace) that gets a `paused` event. */
const SHOWN_PAUSE_MS = 1000;

/**
 * A request's row error for needing `known` tokens, more than `limit` allows in a minute (see
 * tooLargeForTpm). `sentBefore`: an attempt of it went out (the one a 429 just refused, too).
 */
function tooLarge(run: RecordRun, known: number, limit: { perMinute: number; source: 'tpm' | 'server' }, sentBefore: boolean): AttemptError {
  return located(run.record, tooLargeForTpm(known, run.request, limit, { named: run.record.params.model !== undefined, sentBefore }));
}

/** The tokens a minute a 429's headers announce, or else its message states, if any. */
function announcedTokenLimit(error: AttemptError): number | undefined {
  const announced = error.info.headers ? readRateLimitHeaders(error.info.headers).limitTokens : undefined;
  return announced ?? statedTokenLimit(error.message)?.perMinute;
}

/** A record's own problem, named as a bad input record is (`file:line: …`): the stderr line says which one it is. */
function located(record: PromptRecord, message: string): AttemptError {
  return new AttemptError('input', `${placeOf(record)}: ${message}`);
}
