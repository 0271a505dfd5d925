import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { BatchEvent, StopReason } from './events.js';
import { resolveBatchOptions, type BatchOptions, type ResolvedBatchOptions } from './batch-options.js';
import { AttemptError, type CompletionRequest, type CompletionResult } from '../provider/completion.js';
import { toCompletionRequest } from '../provider/request-body.js';
import { withDeadlines } from './deadlines.js';
import { RateGovernor, type TokenCost } from '../schedule/rate-governor.js';
import { readRateLimitHeaders, readRetryAfter, type RetryAfter } from '../schedule/rate-headers.js';
import { backoffDelay, isRetryable } from '../schedule/retry-policy.js';
import { CircuitBreaker } from '../schedule/circuit-breaker.js';
import { rejectsResponseFormat } from '../structured/response-format.js';
import type { PromptRecord, ResultRow } from '../types.js';
import { errorMessage } from '../util/error-message.js';
import { isoNow } from '../util/iso-now.js';
import { answerStep, newTally } from './answer-step.js';
import { judgeAnswer } from '../structured/judge-answer.js';
import { cachedRow, failureRow, invalidRow, stoppedBeforeReaskRow, successRow, toRowError, usableHit, withPaidUsage, type AttemptTimes } from './build-row.js';
import { Changes } from './changes.js';
import { pullRecords, type PullState } from './pull-records.js';
import { ReorderBuffer } from './reorder-buffer.js';
import type { Reservation } from '../budget/spend-cap.js';
import type { CachedAnswer } from '../cache/response-store.js';

/** EMFILE / ENFILE: this machine ran out of descriptors; the request never reached the server. */
const isLocalShortage = (error: AttemptError): boolean => error.info.code === 'EMFILE' || error.info.code === 'ENFILE';
/** Waits for descriptors per prompt before the shortage is reported as its failure. */
const MAX_LOCAL_WAITS = 200;

/** How a run ended, returned when the row iterator finishes. */
export interface BatchOutcome {
  /** Set when the run stopped before every record had a row. */
  stopped?: StopReason;
  /** One line saying why (key redacted by the provider). */
  message?: string;
}

type AnsweredAttempt = { ok: true; result: CompletionResult; latencyMs: number } & AttemptTimes;

type AttemptOutcome = AnsweredAttempt | ({ ok: false; error: AttemptError; retryAfter: RetryAfter | undefined } & AttemptTimes);

/**
 * Runs every record through the provider and yields one row per record: answered, or failed with
 * a typed error. Records are pulled from `records` only while fewer than a bounded number are
 * outstanding, so memory stays flat whatever the input size. Records that a stop left unfinished
 * get no row (a resume re-runs exactly those), unless they hold a paid answer awaiting its re-ask:
 * that one is an `aborted` row, which a resume re-runs too. The outcome says why the run stopped.
 */
export async function* runBatch(records: AsyncIterable<PromptRecord>, batchOptions: BatchOptions): AsyncGenerator<ResultRow, BatchOutcome, undefined> {
  const groups = runBatchGroups(records, batchOptions);
  try {
    for (;;) {
      const step = await groups.next();
      if (step.done) return step.value;
      for (const row of step.value) yield row;
    }
  } finally {
    // The consumer stopped early: the engine stops too (a no-op once it has finished).
    await groups.return(undefined as never);
  }
}

/**
 * runBatch's rows in groups: each group holds the rows that finished within one turn of the event
 * loop, so that a writer can append them with one write (issue 16: a write per row was the
 * engine side's largest cost).
 */
export async function* runBatchGroups(records: AsyncIterable<PromptRecord>, batchOptions: BatchOptions): AsyncGenerator<ResultRow[], BatchOutcome, undefined> {
  const o = resolveBatchOptions(batchOptions);
  const engine = new Engine(o);
  return yield* engine.run(records);
}

class Engine {
  private readonly queue: PQueue;
  private readonly governor: RateGovernor;
  private readonly stop = new AbortController();
  private readonly abort = new AbortController();
  private stopped: BatchOutcome = {};
  private readonly changes = new Changes();
  private estimator: ((request: CompletionRequest) => number) | undefined;
  private readonly breaker = new CircuitBreaker();
  /** Removes our listeners from the caller's signals, which may outlive the run. */
  private readonly unlink: Array<() => void> = [];

  constructor(private readonly o: ResolvedBatchOptions) {
    this.queue = new PQueue({ concurrency: o.concurrency });
    this.governor = new RateGovernor({
      rpm: o.rpm,
      tpm: o.tpm,
      clock: o.clock,
      initialRate: 4 * o.concurrency,
      firstWave: o.concurrency,
      answerTokens: o.defaultCompletionTokens,
    });
    const link = (from: AbortSignal | undefined, to: AbortController) => {
      if (!from) return;
      if (from.aborted) return to.abort(from.reason);
      const forward = () => to.abort(from.reason);
      from.addEventListener('abort', forward, { once: true });
      this.unlink.push(() => from.removeEventListener('abort', forward));
    };
    link(o.stopSignal, this.stop);
    link(o.abortSignal, this.abort);
    link(this.abort.signal, this.stop);
    // Every queued record, rate-limiter waiter and backoff sleep listens to these: not a leak.
    setMaxListeners(0, this.stop.signal, this.abort.signal);
    this.stop.signal.addEventListener('abort', () => this.changes.notify(), { once: true });
  }

  private emit(event: BatchEvent): void {
    this.o.onEvent?.(event);
  }

  private halt(reason: StopReason, message: string, abortInFlight: boolean): void {
    if (this.stopped.stopped) return;
    this.stopped = { stopped: reason, message };
    this.emit({ type: 'stopping', reason, message });
    this.stop.abort(new Error(message));
    if (abortInFlight) this.abort.abort(new Error(message));
  }

  async *run(records: AsyncIterable<PromptRecord>): AsyncGenerator<ResultRow[], BatchOutcome, undefined> {
    const { o } = this;
    const ordered = o.order === 'input';
    // Enough records in hand to keep every slot busy while retries wait; input order needs a
    // wider window so one slow prompt does not stall the others (rows wait in the buffer).
    const highWater = ordered ? Math.max(256, o.concurrency * 8) : o.concurrency * 2 + 16;
    const buffer = new ReorderBuffer(ordered);
    const state: PullState = { outstanding: 0, inputDone: false, inputError: undefined };

    await o.complete.warmUp?.();
    const producer = pullRecords(records, {
      stop: this.stop,
      highWater,
      changes: this.changes,
      state,
      onRecord: (record, seq) => this.start(record, seq, buffer, state),
    });

    try {
      while (true) {
        let taken = 0;
        const group: ResultRow[] = [];
        for (const row of buffer.drain()) {
          taken++;
          if (row) group.push(row);
        }
        if (group.length > 0) yield group;
        // Outstanding until the consumer has taken them: the pull reads no further ahead meanwhile.
        if (taken > 0) {
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
      this.abort.abort(new Error('run closed'));
      this.queue.clear();
      for (const off of this.unlink.splice(0)) off();
    }
  }

  /** Sends one record on its way; its row (or null) lands in the buffer when it is done. */
  private start(record: PromptRecord, seq: number, buffer: ReorderBuffer, state: PullState): void {
    this.o.stats.read++;
    const finish = (row: ResultRow | null) => {
      buffer.put(seq, row);
      this.changes.notify();
    };
    this.process(record).then(finish, (err: unknown) => {
      state.inputError ??= err;
      finish(null);
    });
  }

  /** A stop with no reason of our own (the caller's signals) ends the run as 'interrupted'. */
  private markInterrupted(): void {
    if (!this.stopped.stopped && this.stop.signal.aborted) this.stopped = { stopped: 'interrupted', message: 'interrupted' };
  }

  /** Structured runs give every row an `output` (null when there is none). */
  private withOutput(row: ResultRow): ResultRow {
    return this.o.structured ? { ...row, output: null } : row;
  }

  /** One record to its row; null when a stop left it unfinished. */
  private async process(record: PromptRecord): Promise<ResultRow | null> {
    const { o } = this;
    if (record.problem) return this.withOutput(failureRow(record, { type: 'input', message: record.problem.message }, 0, o.stats));
    const request = toCompletionRequest(record, o);
    const sample = record.sample ?? 0;
    // Before the queue: a hit takes no slot, no rate budget and no request. A structured run stores
    // only validated answers and checks a hit again (the check may be stricter now); one that fails
    // is asked afresh.
    const usable = (found: CachedAnswer | undefined) => (found && usableHit(found, o.failTruncated) ? found : undefined);
    let hit = usable(o.cache?.lookup(request, sample));
    // A duplicate of a prompt being asked now waits for that answer instead of asking again.
    let claimed = false;
    while (!hit && o.cache?.claim) {
      const earlier = o.cache.claim(request, sample);
      if (earlier === undefined) {
        claimed = true;
        break;
      }
      await earlier;
      hit = usable(o.cache.lookup(request, sample));
    }
    // Returned, not awaited: this call does not stay suspended, with all it holds, while the
    // record is in flight (issue 16).
    const answered = this.answer(record, request, sample, hit);
    return claimed ? answered.finally(() => o.cache?.release?.(request, sample)) : answered;
  }

  /** A record's row from its cache hit, or by asking (with retries and re-asks). */
  private async answer(record: PromptRecord, request: CompletionRequest, sample: number, hit: CachedAnswer | undefined): Promise<ResultRow | null> {
    const { o } = this;
    // Answers are stored under the first request, not a re-ask's conversation.
    const asked = request;
    let localWaits = 0;
    if (hit && !o.structured) return cachedRow(record, request, hit, o.stats);
    const stored = hit && o.structured ? judgeAnswer(hit.text, hit.finishReason, o.structured.check) : undefined;
    if (hit && stored?.ok) return { ...cachedRow(record, request, hit, o.stats), output: stored.value };
    // Transport failures and re-asks have separate budgets; both count in `attempts`.
    let failures = 0;
    const answers = newTally();
    // Continuing a conversation begun elsewhere (a Batch API answer being re-asked live).
    if (record.earlier) Object.assign(answers, { reasks: record.earlier.reasks, usage: record.earlier.usage });
    // An invalid answer waiting for its re-ask, and the attempts sent so far: when the run's own stop
    // comes first, that paid answer becomes the record's row instead of vanishing (see `cutShort`).
    let awaiting: { outcome: AnsweredAttempt; message: string } | undefined;
    let sent = record.earlier?.attempts ?? 0;
    // A re-ask or a retry counts once its request leaves: one a stop keeps from being sent (in the
    // queue, or during the backoff) is none (a re-ask's record becomes the `aborted` row of
    // `cutShort`), and a re-ask's transport retries are retries. A conversation begun elsewhere
    // (`earlier`) starts with its re-ask.
    let due: 'reask' | 'retry' | undefined = record.earlier ? 'reask' : undefined;
    const onSent = () => {
      if (due === 'reask') o.stats.reasks++;
      else if (due === 'retry') o.stats.retries++;
      due = undefined;
    };
    const cutShort = (): ResultRow | null => {
      if (!awaiting) return null;
      return stoppedBeforeReaskRow(record, request, awaiting.outcome, sent, awaiting.message, o.stats);
    };
    for (let attempt = 1 + (record.earlier?.attempts ?? 0); ; attempt++) {
      if (this.stop.signal.aborted) return cutShort();
      // Retries jump the queue so rows finish and leave memory; the backoff wait below holds no slot.
      // No `signal` here: p-queue would reject a task that is already running, dropping an answer
      // that is still arriving; a queued task sees the stop itself when it starts.
      const outcome = await this.queue.add(() => this.attempt(record, request, attempt, onSent), { priority: attempt > 1 ? 1 : 0 });
      if (outcome === undefined) return cutShort(); // stopped before it was sent
      sent = attempt;
      if (outcome.ok) {
        if (!o.structured) {
          // A refusal becomes a failed row (successRow): failures are asked again, never served from the cache.
          if (!(outcome.result.refusal && !outcome.result.text)) o.cache?.store(request, sample, outcome.result);
          return successRow(record, request, outcome, attempt, o.stats, o.failTruncated);
        }
        const step = answerStep(o.structured, outcome.result, request.messages, answers);
        if (step.next === 'reask') {
          awaiting = { outcome: { ...outcome, result: { ...outcome.result, usage: step.usage } }, message: step.message };
          due = 'reask';
          this.emit({ type: 'reask', id: record.id, attempt, problems: step.problems });
          request = { ...request, messages: step.messages };
          continue;
        }
        const answered = { ...outcome, result: { ...outcome.result, usage: step.usage } };
        if (step.next === 'accept') {
          o.cache?.store(asked, sample, outcome.result);
          return { ...successRow(record, request, answered, attempt, o.stats, o.failTruncated), output: step.output };
        }
        return invalidRow(record, request, answered, attempt, step.message, o.stats);
      }
      const error = outcome.error;
      // Cut short by our own stop: no row, so a resume sends it again. (A provider's own 'aborted'
      // with no stop in sight is a failure like any other and gets its row.)
      if (error.type === 'aborted' && this.abort.signal.aborted) return cutShort();
      if (error.info.stop) return cutShort(); // halted in attempt(), before its slot was freed
      if (isLocalShortage(error) && localWaits++ < MAX_LOCAL_WAITS) {
        // Out of file descriptors here, not a failure of the prompt: wait and send again, uncounted.
        attempt--;
        try {
          await o.clock.sleep(50 * Math.min(localWaits, 20), this.stop.signal);
        } catch {
          return cutShort();
        }
        continue;
      }
      failures++;
      const lastChance = failures > o.retries || !isRetryable(error.type, error.info.status);
      if (lastChance) return this.withOutput(withPaidUsage(failureRow(record, toRowError(error), attempt, o.stats, outcome), answers.usage, o.stats));
      if (this.stop.signal.aborted) return cutShort();
      const delayMs = backoffDelay(failures, outcome.retryAfter?.ms, { random: o.random });
      due = 'retry';
      this.emit({ type: 'retry', id: record.id, attempt, error: toRowError(error), delayMs });
      try {
        await o.clock.sleep(delayMs, this.stop.signal);
      } catch {
        return cutShort();
      }
    }
  }

  /** Whether requests now wait on the server's announced pace, for the progress display. */
  private notePacing(): void {
    this.o.stats.serverPacePerMinute = this.governor.serverPacePerMinute();
  }

  /** One attempt inside a concurrency slot; undefined when the run stopped before it was sent. `onSent`: called as the request leaves. */
  private async attempt(record: PromptRecord, request: CompletionRequest, attempt: number, onSent?: () => void): Promise<AttemptOutcome | undefined> {
    const { o } = this;
    if (this.stop.signal.aborted) return undefined;
    let cost = 0;
    let price: TokenCost = 0;
    if (this.governor.countsTokens) {
      const prompt = await this.promptTokens(request);
      const limit = this.governor.tokenLimit();
      // What is known to count (the prompt, and max_tokens when set; not the guess for an unset one).
      const known = prompt + (request.max_tokens ?? 0);
      if (limit && known > limit.perMinute) {
        const now = isoNow();
        return {
          ok: false,
          error: new AttemptError('input', tooLargeForTpm(known, request.max_tokens, limit)),
          retryAfter: undefined,
          startedAt: now,
          finishedAt: now,
        };
      }
      // The answer length, when max_tokens is unset, is learned from answers so far (256 until then)
      // and priced at admission; a guessed answer length never makes a request wait longer than a
      // whole minute's tokens. `cost` ends as what the governor charged.
      const cap = limit?.perMinute ?? Number.POSITIVE_INFINITY;
      const maxTokens = request.max_tokens;
      if (maxTokens !== undefined) price = cost = Math.min(prompt + maxTokens, cap);
      else price = () => (cost = Math.min(prompt + this.governor.answerTokens(), cap));
    }
    // Admitted at once (the common case) without a promise to wait on; else wait for a turn.
    let sentAt = this.governor.admitNow(price);
    if (sentAt === undefined) {
      try {
        const admitted = this.governor.acquire(price, this.stop.signal);
        this.notePacing();
        sentAt = await admitted;
      } catch {
        return undefined;
      }
    }
    this.notePacing();
    if (this.stop.signal.aborted) return undefined;
    let ticket: Reservation | undefined;
    if (o.budget) {
      const admission = await o.budget.admit(request, this.stop.signal);
      if (admission.kind === 'stopped') return undefined;
      if (admission.kind === 'full') {
        this.halt('budget', admission.message, false);
        return undefined;
      }
      if (admission.kind === 'unpriced') {
        // Never sent: an instant at admission stands for the attempt's bounds.
        const now = isoNow();
        return { ok: false, error: new AttemptError('input', admission.message), retryAfter: undefined, startedAt: now, finishedAt: now };
      }
      ticket = admission.ticket;
    }
    o.stats.inFlight++;
    o.stats.requests++;
    onSent?.();
    const startedAt = isoNow();
    this.emit({ type: 'attempt', id: record.id, attempt, prompt: record.prompt });
    const onDelta = o.onEvent && o.deltaEvents ? (text: string) => this.emit({ type: 'delta', id: record.id, attempt, text }) : undefined;
    try {
      const result = await withDeadlines((signal, onActivity) => o.complete(request, { signal, onActivity, onDelta }), {
        timeoutMs: o.timeoutMs,
        idleTimeoutMs: o.idleTimeoutMs,
        signal: this.abort.signal,
      });
      if (ticket) o.budget!.settle(ticket, request, { usage: result.usage });
      const latencyMs = o.clock.now() - sentAt;
      this.breaker.onSuccess();
      this.governor.onResponse({
        estimatedTokens: cost,
        actualTokens: result.usage ? result.usage.prompt_tokens + result.usage.completion_tokens : undefined,
        answerTokens: request.max_tokens === undefined ? result.usage?.completion_tokens : undefined,
        headers: result.headers ? readRateLimitHeaders(result.headers) : undefined,
      });
      return { ok: true, result, latencyMs, startedAt, finishedAt: isoNow() };
    } catch (err) {
      const error = err instanceof AttemptError ? err : new AttemptError('connection', errorMessage(err));
      if (ticket) o.budget!.settle(ticket, request, { failedWithStatus: error.info.status !== undefined });
      // Stop before this slot goes to the next prompt: after a rejected key or an exhausted quota
      // not one more request may leave.
      if (error.info.stop) this.halt(error.info.stop, error.message, error.info.stop !== 'quota');
      // A server without structured outputs refuses every request alike: one answer is enough.
      if (request.response_format && rejectsResponseFormat(error.info.status, error.message)) {
        this.halt('response_format', error.message, true);
        return undefined;
      }
      const tripped = o.circuitBreaker && !error.info.stop ? this.breaker.onFailure(error.info, attempt, o.clock.now()) : undefined;
      if (tripped) {
        error.info.stop = 'unreachable';
        this.halt('unreachable', `${tripped}: ${error.message}`, true);
      }
      const headers = error.info.headers;
      const retryAfter = headers ? readRetryAfter(headers) : undefined;
      if (error.type === 'rate_limit') {
        o.stats.rateLimited++;
        // Inside the slot, before the next request goes: the whole queue slows at once.
        this.governor.onRateLimited({ sentAt, retryAfter, headers: headers ? readRateLimitHeaders(headers) : undefined });
        this.emit({ type: 'rate-limited', id: record.id, pauseMs: this.governor.state().pausedForMs });
      }
      return { ok: false, error, retryAfter, startedAt, finishedAt: isoNow() };
    } finally {
      o.stats.inFlight--;
    }
  }

  /** The request's prompt tokens, estimated (messages, and a schema sent as response_format). */
  private async promptTokens(request: CompletionRequest): Promise<number> {
    if (!this.estimator) {
      const { estimatePromptTokens } = await import('../schedule/estimate-tokens.js');
      // A schema sent as response_format is prompt tokens too (the server puts it in the context).
      const format = this.o.structured?.responseFormat;
      const schemaTokens = format ? estimatePromptTokens([{ role: 'system', content: JSON.stringify(format) }]) : 0;
      // The request's messages: our system message and a re-ask's turns count as well.
      this.estimator = (r) => estimatePromptTokens(r.messages) + schemaTokens;
    }
    return this.estimator(request);
  }
}

/** Why a request was never sent: it needs more tokens than a minute allows. */
function tooLargeForTpm(tokens: number, maxTokens: number | undefined, limit: { perMinute: number; source: 'tpm' | 'server' }): string {
  const what = maxTokens === undefined ? 'its prompt needs' : `its prompt and max_tokens ${maxTokens} need`;
  const cap =
    limit.source === 'tpm'
      ? `--tpm ${limit.perMinute} allows: raise --tpm or shorten the prompt`
      : `the server's limit of ${limit.perMinute} tokens a minute (x-ratelimit-limit-tokens) allows: it would be refused as too large`;
  return `never sent: ${what} about ${tokens} tokens, more than ${cap}`;
}
