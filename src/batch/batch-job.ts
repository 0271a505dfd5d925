import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { OutputClosedError, OutputWriteError, RunError } from '../errors.js';
import type { RowWriter } from '../output/index.js';
import { cutOffAt } from '../finish-reason.js';
import { refusedError, truncatedError, type PromptRecord, type ResultRow, type RowError } from '../types.js';
import { BatchApiError, isGoneFile, type Batch, type BatchClient } from './batch-client.js';
import { keepChunkLines, openChunkBodies, readIndex, recordsFromChunk, removeChunkFiles, writeRemainder } from './chunk-files.js';
import { batchTimes, entryRowBase, lineTimes, rowFromBatchLine } from './collect-rows.js';
import { customIdOf, recordAnswer, rowAnswer } from './custom-id.js';
import { judgeCollected, type CollectedCheck } from './judge-collected.js';
import { CANCELLED_NOTE } from './batch-status.js';
import { reaskMessages } from '../structured/reask.js';
import type { InvalidKind } from '../structured/check-types.js';
import {
  chunkDir,
  ensureChunkDir,
  IN_FLIGHT_STATUSES,
  LOCAL_STATUSES,
  isOpen,
  openChunks,
  manifestPath,
  readManifest,
  runningOnServer,
  submitted,
  TERMINAL,
  writeManifest,
  type Chunk,
  type ChunkStatus,
  type HeldLine,
  type HeldPlace,
  type Manifest,
} from './manifest.js';
import { indexFileName, planChunks, type IndexEntry, type SplitLimits } from './plan-chunks.js';
import { pollDelay } from './poll-delay.js';
import { LineBudget, lineWorstCase, type BatchBudgetOptions } from './line-budget.js';
import { toUsd } from '../budget/spend-cap.js';
import { billedPico } from '../budget/prices.js';
import type { LineDefaults } from './request-line.js';
import { IdSet } from './id-set.js';
import { elementAt } from '../input/element-lines.js';
import { isEndpointCode } from '../schedule/circuit-breaker.js';
import { counted, groupDigits } from '../util/group-digits.js';
import { timerDelay } from '../util/timer-delay.js';

/** Metadata key a batch carries so a resume can find a batch whose creation it never heard back from. */
export const METADATA_KEY = 'llm_batch_key';

/** Of a collected row, what the response cache stores. */
export type StoredAnswer = Pick<ResultRow, 'response' | 'finish_reason' | 'model' | 'usage' | 'sample' | 'tool_calls' | 'logprobs' | 'reasoning'>;

export interface BatchJobOptions {
  client: BatchClient;
  /** The results file; the manifest and chunk files live next to it. */
  output: string;
  writer: RowWriter;
  /**
   * The input's records (already without those an earlier run answered); read once, when planning.
   * `handled`: records this process already wrote a row for (a resume's collected batches, see
   * `replan`), to be left out before anything else is done with them (counted, looked up in the cache).
   */
  records: (handled?: (record: PromptRecord) => boolean) => AsyncIterable<PromptRecord>;
  /**
   * The output can be read back (a file, not a stream): a run that continued an earlier plan
   * (--resume) plans the input again once that plan's batches are collected, for the records still
   * without a row (lines added since, a larger --limit). Without it, only those batches are collected.
   */
  replan?: boolean;
  /**
   * The model a plain row counts as (see ownModelAlias): a resume that adds -m or --repeat asks the
   * answers its plain rows hold as (id, this model, sample 0), and must not plan again those it just
   * collected from the earlier plan's batches.
   */
  runModel?: string;
  /** Whether the output already held a row for this line's answer when the run started. */
  answeredBefore: (entry: IndexEntry) => boolean;
  /** A collected line whose row was already in the output: counted once, as a resume's skipped record. */
  onAnsweredBefore?: (entry: IndexEntry) => void;
  defaults: LineDefaults;
  limits: SplitLimits;
  pollMs: number;
  /** Wait for every batch (default), or submit and collect what is ready, then return. */
  wait: boolean;
  /** Cancel every batch and write the lines they did not run as `aborted` rows (`llm-batch cancel`). */
  cancel?: boolean;
  /** Stored in the manifest when planning, for `llm-batch cancel` (see Manifest.rowShape). */
  rowShape?: Manifest['rowShape'];
  /** The client is --mock's in-process one: stored in the manifest when planning (see Manifest.mock). */
  mock?: boolean;
  /** With --json-schema / --json: every collected answer is checked as a live one is. */
  structured?: CollectedCheck;
  /** Runs the unfinished lines of an expired or cancelled batch live; without it they are resubmitted. */
  finishLive?: (records: AsyncIterable<PromptRecord>) => AsyncIterable<ResultRow>;
  /** --fail-truncated: a collected answer cut off at the token limit is a `truncated` failure, as live. */
  failTruncated?: boolean;
  onRow: (row: ResultRow) => void;
  /**
   * Before a batch is created, when it may exist on the server from then on: the run is then under
   * way, as a live one is at its first row (an --overwrite replaces the old results here). A throw
   * creates nothing.
   */
  onSubmitting?: () => void;
  /**
   * An --overwrite over results it has not replaced yet: planned afresh, and saved beside this, the
   * state of the run whose results they are (or an empty one), until {@link BatchJob.replaced} (see
   * Manifest.overwriting).
   */
  beside?: Manifest;
  /**
   * Each whole answer collected, with the body that asked for it (the response cache); a promise
   * returned is awaited before the next (the cache's writes falling behind).
   */
  storeAnswer?: (body: Record<string, unknown>, row: StoredAnswer) => void | Promise<void>;
  info: (line: string) => void;
  /** A line that matters even with --quiet (an outage that has lasted); defaults to `info`. */
  warn?: (line: string) => void;
  /** The wall clock (ms since the epoch), for how long the Batch API has been failing. @default Date.now */
  now?: () => number;
  /** Counts after every poll round, for a progress line. */
  onProgress?: (progress: { batches: number; batchesDone: number; requests: number; completed: number; failed: number }) => void;
  signal: AbortSignal;
  /** The run's redactor: servers echo keys in line errors and refusals, which end up in rows and messages. */
  redact?: (text: string) => string;
  random?: () => number;
  /** --max-cost: lines are planned only within the cap, at the Batch price (see LineBudget). */
  budget?: BatchBudgetOptions;
}

export interface BatchJobOutcome {
  /** Chunks still waiting on the server (or to be submitted). 0 = every record has a row. */
  pending: number;
  interrupted: boolean;
  /** With `interrupted`: the stop was the output's reader leaving (EPIPE), not a signal. */
  outputClosed?: boolean;
  /** With `interrupted`: the stop was a write that failed (a full disk), said in this message. */
  outputFailed?: string;
  /**
   * --max-cost: spent by this output's batches; `held`, the first request not submitted for the cap;
   * `planned`, the requests the last planning round admitted (0 with `held`: the cap is reached).
   */
  budget?: { spentUsd: number; planned: number; held?: HeldPlace & { worstUsd: number } };
  /** Of `pending`, chunks not submitted yet (no batch exists on the server for them). */
  unsubmitted: number;
  /** Of `unsubmitted`, chunks whose file is uploaded: only their batch waits to be created. */
  uploaded?: number;
  /** Of `pending`, batches the server may still be running (see runningOnServer); the others ended there. */
  running: number;
  /** A batch of this plan was created (or may have been) on the server, in this run or an earlier one. */
  anySubmitted?: boolean;
  /** The Batch API calls have failed since this long, the last with this message (an outage). */
  outage?: { forMs: number; lastError: string };
}

/** Tries of the first call before nothing exists on the server, as a live run's first attempts (circuit breaker). */
export const UNREACHABLE_TRIES = 3;
/** An outage this long is said even with --quiet (the batches keep running on the server). */
export const OUTAGE_NOTE_MS = 10 * 60_000;
/** A waiting run stops waiting out an outage after this long; --resume collects later. */
export const OUTAGE_LIMIT_MS = 60 * 60_000;

/**
 * The Batch API cannot be reached (nothing listening, DNS, TLS) and no batch of this output exists
 * on the server: nothing is pending, so the run stops (exit 4) rather than wait for nothing.
 */
export class BatchUnreachableError extends Error {
  constructor(
    /** The network code (ECONNREFUSED, ENOTFOUND…). */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const IN_FLIGHT = IN_FLIGHT_STATUSES;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, timerDelay(ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

const count = (n: number) => groupDigits(n);
/** `1 request`, `2 requests`: a batch of one is common (a small input, one model of several). */
const requests = (n: number) => counted(n, 'request');
const minutes = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);
const usdText = (pico: number) => `$${toUsd(pico).toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}`;

/**
 * Records from `first` on, then the rest of `source`; stopping early does not close `source`, so
 * the next planning round goes on from where this one stopped.
 */
function continuing(first: PromptRecord | undefined, source: AsyncIterator<PromptRecord>): AsyncIterable<PromptRecord> {
  let pending = first;
  return {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<PromptRecord>> => {
        if (pending) {
          const value = pending;
          pending = undefined;
          return { value, done: false };
        }
        return source.next();
      },
      return: async (): Promise<IteratorResult<PromptRecord>> => ({ value: undefined, done: true }),
    }),
  };
}

/**
 * Drives an output's batches to the end: plan chunks (once), upload and create, poll, collect rows,
 * resubmit what expired, until every record has a row or, without `wait`, nothing more is ready.
 * The manifest is rewritten after every step, so a kill at any instant loses nothing and a resume
 * submits nothing twice.
 */
export class BatchJob {
  private manifest!: Manifest;
  /** While the output holds another run's results (BatchJobOptions.beside): the state kept for it. */
  private beside: Manifest | undefined;
  private readonly dir: string;
  private failures = 0;
  /** Batches that ended during this run: each lets one chunk held for the token limit try again. */
  private freedSlots = 0;
  /**
   * Chunks whose batch is the only one of this run in flight since it went in, and how often such a
   * batch of theirs failed on the enqueued-token limit: twice is a chunk over the limit on its own
   * (once may be another run's batches holding the organization's tokens).
   */
  private readonly submittedAlone = new Set<Chunk>();
  private readonly aloneOverLimit = new Map<Chunk, number>();
  /** The input, pulled a planning round at a time, and the line --max-cost stopped the last round at. */
  private source?: AsyncIterator<PromptRecord>;
  private heldRecord?: PromptRecord;
  /** custom_ids planned by this process, across planning rounds. */
  private readonly seen = new IdSet();
  /** Ids already written from a chunk whose collection broke off (a cut download): not written twice on the retry. */
  private readonly partlyCollected = new Map<number, Set<string>>();
  /** custom_ids told to onAnsweredBefore: a collection retried after a cut download says them once. */
  private readonly toldAnswered = new Set<string>();
  /** With `replan`, in a process that continued an earlier plan: the custom_ids it wrote rows for before it planned. */
  private readonly collectedHere = new IdSet();
  /** The last transient failure, while the Batch API is failing; and whether it was said with --quiet. */
  private lastFailure?: BatchApiError;
  private outageSaid = false;

  private readonly o: BatchJobOptions;
  private readonly redact: (text: string) => string;

  constructor(options: BatchJobOptions) {
    this.redact = options.redact ?? ((text) => text);
    // Every line said passes the redactor: batch ids, notes and API errors come from the server.
    this.o = { ...options, info: (line) => options.info(this.redact(line)) };
    this.dir = chunkDir(options.output);
    this.beside = options.beside;
  }

  /**
   * The output now holds this run's rows: its plan is the output's batch state from here on. A row
   * written while the input is still planned (an input error, a cached answer) comes before any
   * plan: the earlier state goes at once, as it would not be the state of those rows.
   */
  replaced(): void {
    if (!this.beside) return;
    this.beside = undefined;
    if (this.manifest) this.save();
    else rmSync(manifestPath(this.o.output), { force: true });
  }

  /** A collected row's error as the server worded it, without any key it echoed (a 401's message). */
  private redactRow(row: ResultRow): ResultRow {
    if (!row.error) return row;
    const error = { ...row.error, message: this.redact(row.error.message) };
    if (typeof error.code === 'string') error.code = this.redact(error.code);
    return { ...row, error };
  }

  async run(): Promise<BatchJobOutcome> {
    try {
      return await this.runSteps();
    } catch (err) {
      // The rows' reader left (a FIFO's `head -1`), or a write failed (a full disk): a stop, as Ctrl-C's.
      // A chunk whose rows were being written is not marked collected, so it and every batch still on
      // the server wait for --resume (a manifest that could not be rewritten is the last one that was).
      const stopped = this.outcome(this.manifest ? this.open().length : 0, true);
      if (err instanceof OutputClosedError) return { ...stopped, outputClosed: true };
      if (err instanceof OutputWriteError) return { ...stopped, outputFailed: err.message };
      throw err;
    }
  }

  private async runSteps(): Promise<BatchJobOutcome> {
    await this.loadOrPlan();
    if (this.o.cancel) await this.cancelAll();
    for (;;) {
      if (this.o.signal.aborted) return this.outcome(this.open().length, true);
      if (!this.o.cancel) await this.submitReady();
      const readyBefore = new Set(this.manifest.chunks.filter((c) => this.ready(c)));
      await this.pollInFlight();
      this.reportProgress();
      let open = this.open();
      // `cancel` has asked for what it can: a server that then cannot say how they ended is exit 4
      // at once, as for `status` (README), not an outage waited out for an hour.
      if (this.o.cancel && open.length > 0 && this.lastFailure !== undefined) throw this.lastFailure;
      // An outage is waited out while batches run on the server, but not for ever, and not unsaid.
      const outage = this.outage();
      // A waiting run past the bound stops now, and the CLI says `stopped waiting: …` with the same figures.
      const givingUp = outage !== undefined && outage.forMs >= OUTAGE_LIMIT_MS && open.length > 0;
      if (outage && outage.forMs >= OUTAGE_NOTE_MS && !this.outageSaid && !(givingUp && this.o.wait)) {
        this.outageSaid = true;
        (this.o.warn ?? this.o.info)(
          `the Batch API has failed every call for ${minutes(outage.forMs)} (last: ${outage.lastError}); ${this.onServerWords()}${this.o.wait && !givingUp ? `; waiting up to ${minutes(OUTAGE_LIMIT_MS)} in all` : ''}`,
        );
      }
      if (givingUp) return this.outcome(open.length, false);
      if (open.length === 0 && !this.o.cancel && this.planAgain()) {
        await this.planMore();
        open = this.open();
        if (open.length > 0) continue;
      }
      if (open.length === 0) {
        // A refused chunk (or one over the token limit on its own) is closed but its lines have no
        // row: the run is not done. Only into a FIFO (no replan): its files stay for the next --resume.
        const stranded = this.stranded();
        if (stranded.length > 0 && !this.o.cancel) {
          for (const chunk of stranded)
            this.o.info(
              `${this.label(chunk)} ${strandedWhy(chunk)}: its ${requests(chunk.lines)} ${chunk.lines === 1 ? 'has' : 'have'} no row yet; the next --resume plans them again`,
            );
          return this.outcome(stranded.length, false);
        }
        rmSync(this.dir, { recursive: true, force: true });
        return this.outcome(0, false);
      }
      if (!this.o.wait) {
        // What this round's polling made ready (an expired batch's remainder, a chunk freed from the
        // token limit) is submitted before returning: said resubmitted, it must be on the server.
        if (!this.o.cancel && !this.o.signal.aborted && open.some((c) => this.ready(c) && !readyBefore.has(c))) await this.submitReady();
        return this.outcome(open.length, false);
      }
      await sleep(pollDelay(this.o.pollMs, this.failures, this.o.random), this.o.signal);
    }
  }

  /** Whether the input is planned (again) now that no batch is open. */
  private planAgain(): boolean {
    // This process continued an earlier plan (--resume) and never read the input: records that plan
    // did not have (lines added since, a larger --limit) have no row yet. The next --resume would plan
    // them; this one does, so that an exit 0 still means every record has a row. So are a refused
    // chunk's lines (see replanStranded).
    if (this.source === undefined) return this.o.replan === true;
    // --max-cost held lines back while batches were reserved at their worst case: now that they are
    // collected at their real cost, plan on from the held line (in this process, which holds the input).
    const budget = this.manifest.budget;
    return this.heldRecord !== undefined && budget?.held !== undefined && budget.planned > 0;
  }

  /** A row this job wrote: before a resume plans the input again, its record is left out of that plan. */
  private wrote(customId: string): void {
    if (this.o.replan && this.source === undefined) this.collectedHere.add(customId);
  }

  /** A record whose answer this process already wrote (or found in the output, see answeredBefore). */
  private handledHere(record: PromptRecord): boolean {
    const handled = (id: string) => this.collectedHere.has(id) || this.toldAnswered.has(id);
    if (handled(customIdOf(recordAnswer(record)))) return true;
    // The same answer under the other custom_id form: a plain line's, or a model × sample line's.
    const { runModel } = this.o;
    if (record.sample === undefined) return runModel !== undefined && handled(customIdOf({ id: record.id, model: record.params.model ?? runModel, sample: 0 }));
    return record.sample === 0 && (record.ownModel === true || record.params.model === runModel) && handled(record.id);
  }

  private outcome(pending: number, interrupted: boolean): BatchJobOutcome {
    const unsubmitted = this.manifest ? this.open().filter((c) => !submitted(c)).length : 0;
    const uploaded = this.manifest ? this.open().filter((c) => !submitted(c) && c.status === 'uploaded').length : 0;
    const running = this.manifest ? this.open().filter(runningOnServer).length : 0;
    const outage = this.outage();
    const anySubmitted = this.manifest ? !this.nothingOnServer() : false;
    const base = { pending, interrupted, unsubmitted, uploaded, running, anySubmitted, ...(outage ? { outage } : {}) };
    const b = this.manifest?.budget;
    if (!b) return base;
    const held = b.held && {
      id: b.held.id,
      line: b.held.line,
      ...(b.held.element ? { element: b.held.element } : {}),
      worstUsd: toUsd(b.held.worstPico),
    };
    return { ...base, budget: { spentUsd: toUsd(b.spentPico), planned: b.planned, ...(held ? { held } : {}) } };
  }

  /** How long the Batch API has failed every call (this run's failure last), or undefined. */
  private outage(): BatchJobOutcome['outage'] {
    const since = this.manifest?.failingSince;
    if (since === undefined || this.lastFailure === undefined) return undefined;
    return { forMs: Math.max(0, this.now() - since), lastError: this.lastFailure.message };
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** What this output has on the server, for the outage line: running batches, ended ones, or none. */
  private onServerWords(): string {
    const open = this.open();
    if (open.some(runningOnServer)) return 'the batches keep running on the server';
    if (open.some(submitted)) return 'the batches have ended on the server and wait to be collected';
    return 'nothing was submitted yet';
  }

  /** No batch of this output exists or may exist on the server (none created, none being created). */
  private nothingOnServer(): boolean {
    return this.manifest.chunks.every((c) => !c.batchId && !c.createKey && !c.previousBatchIds?.length);
  }

  /** Asks the server to cancel every batch in flight; chunks never submitted end here. */
  private async cancelAll(): Promise<void> {
    for (const chunk of [...this.open(), ...this.stranded()]) {
      if (!isOpen(chunk)) {
        // Refused: nothing runs on the server; its lines get rows as never-submitted ones do.
        const index = readIndex(this.dir, chunk);
        await this.abortRows(chunk, new Set(index.keys()), index);
        chunk.collected = true;
        // Its requests got cancelled rows, not another batch: `status` says so (batch-status.ts).
        if (chunk.note) chunk.note = `${chunk.note}${CANCELLED_NOTE}`;
        removeChunkFiles(this.dir, chunk);
        this.save();
        continue;
      }
      // A kill between creating its batch and hearing back: the batch may run (and bill) all the same.
      if (!chunk.batchId && chunk.createKey && chunk.status === 'uploaded') {
        const batch = await this.lookUp(chunk);
        if (batch) {
          chunk.batchId = batch.id;
          this.update(chunk, batch);
          this.save();
        }
      }
      if (chunk.batchId && IN_FLIGHT.has(chunk.status) && chunk.status !== 'cancelling') {
        this.update(chunk, await this.o.client.cancel(chunk.batchId));
        this.o.info(`${this.label(chunk)}: ${chunk.status}`);
      } else if (!chunk.batchId) {
        // Uploaded, and no batch made from it (looked up above): its file would stay in the storage, billed and unnamed.
        if (chunk.fileId) await this.removeServerFile(chunk, chunk.fileId);
        await this.abortRows(chunk, new Set(readIndex(this.dir, chunk).keys()), readIndex(this.dir, chunk));
        chunk.status = 'cancelled';
        chunk.collected = true;
        chunk.note = 'cancelled before it was submitted';
        removeChunkFiles(this.dir, chunk);
      }
      this.save();
    }
  }

  /**
   * A resubmitted remainder (`parent`) whose batch completed without a row for any of its lines:
   * sending them once more would go on for ever (see collect).
   */
  private noProgress(chunk: Chunk, answered: ReadonlySet<string>): boolean {
    return chunk.status === 'completed' && chunk.parent !== undefined && answered.size === 0;
  }

  /** The lines a completed batch left without an answer a second time, as `bad_response` rows naming what was missing. */
  private async unansweredRows(
    chunk: Chunk,
    batch: Batch,
    ids: ReadonlySet<string>,
    index: ReadonlyMap<string, IndexEntry>,
    gone: ReadonlySet<string>,
  ): Promise<void> {
    const missing = [...gone].map((id) => `its ${id === batch.output_file_id ? 'output' : 'error'} file ${id} could not be downloaded`);
    const why = missing.length > 0 ? missing.join(', ') : 'neither its output file nor its error file had a line for this request';
    const message = `batch ${batch.id} completed without an answer to this request (${why}), as the batch before it did; not resubmitted again: a later --resume sends it again`;
    const times = lineTimes(batchTimes(batch), undefined);
    const error: RowError = { type: 'bad_response', message: this.redact(message) };
    for (const id of ids) {
      await this.writeUnanswered(index.get(id)!, error, { attempts: 1, ...times, batch_id: batch.id });
      this.wrote(id);
    }
    this.o.info(
      `${this.label(chunk)}: completed without an answer to ${requests(ids.size)} again; not resubmitting ${ids.size === 1 ? 'it' : 'them'}: ${ids.size === 1 ? 'it is an error row' : 'they are error rows'} (bad_response), which a later --resume sends again`,
    );
  }

  private async abortRows(chunk: Chunk, ids: ReadonlySet<string>, index: ReadonlyMap<string, IndexEntry>): Promise<void> {
    const error: RowError = {
      type: 'aborted',
      message: 'the batch was cancelled (llm-batch cancel) before this request ran; the next --resume sends it again',
    };
    for (const id of ids) {
      await this.writeUnanswered(index.get(id)!, error, {
        attempts: 0,
        started_at: null,
        finished_at: null,
        ...(chunk.batchId ? { batch_id: chunk.batchId } : {}),
      });
    }
  }

  /** Writes the row of a batch line that got no answer: `error`, and how often and when the batch tried it. */
  private async writeUnanswered(
    entry: IndexEntry,
    error: RowError,
    tried: Pick<ResultRow, 'attempts' | 'started_at' | 'finished_at' | 'batch_id'>,
  ): Promise<void> {
    const { attempts, started_at, finished_at, batch_id } = tried;
    const row: ResultRow = {
      ...entryRowBase(entry),
      response: null,
      error,
      attempts,
      latency_ms: null,
      started_at,
      finished_at,
      model: null,
      finish_reason: null,
      usage: null,
      ...(batch_id !== undefined ? { batch_id } : {}),
      ...(this.o.structured ? { output: null } : {}),
    };
    await this.o.writer.write(row);
    this.o.onRow(row);
  }

  /**
   * A chunk's (by `n`) requests run live with --finish-live in this process, for the progress line:
   * not failures of its batch, as the server counts them, but requests still to come, then answers.
   */
  private readonly ranLive = new Map<number, { lines: number; ok: number; failed: number }>();

  private reportProgress(): void {
    if (!this.o.onProgress) return;
    // A remainder's lines are counted once: in the chunk they were first sent in.
    const firsts = this.manifest.chunks.filter((c) => c.parent === undefined);
    let completed = 0;
    let failed = 0;
    for (const c of this.manifest.chunks) {
      completed += c.counts?.completed ?? 0;
      // The server counts the lines it did not run as failed (an expired batch; a cancelled one may
      // not). They are sent again, in a batch (its remainder) or live (--finish-live): counted there.
      const live = this.ranLive.get(c.n);
      const serverFailed = (c.counts?.failed ?? 0) - (c.remainder ?? 0);
      failed += Math.max(0, serverFailed - (live?.lines ?? 0));
      if (live) {
        completed += live.ok;
        failed += live.failed;
      }
    }
    this.o.onProgress({
      batches: this.manifest.chunks.length,
      batchesDone: this.manifest.chunks.filter((c) => c.collected).length,
      requests: firsts.reduce((sum, c) => sum + c.lines, 0),
      completed,
      failed: Math.max(0, failed),
    });
  }

  private open(): Chunk[] {
    return this.manifest.chunks.filter(isOpen);
  }

  /** Chunks that ended without rows for their lines (refused): closed, but the output lacks them. */
  private stranded(): Chunk[] {
    return this.manifest.chunks.filter((c) => !c.collected && !isOpen(c));
  }

  private save(): void {
    writeManifest(this.o.output, this.beside ? { ...this.beside, overwriting: this.manifest } : this.manifest);
  }

  private label(chunk: Chunk): string {
    return `batch ${chunk.n}/${this.manifest.chunks.length}${chunk.batchId ? ` (${chunk.batchId})` : ''}`;
  }

  private async loadOrPlan(): Promise<void> {
    const existing = this.o.beside ? undefined : readManifest(this.o.output);
    // A finished manifest is planned afresh from the input: what has no row yet (or, with
    // --retry-failed, a failed one) goes out in new batches.
    if (existing?.planned && (existing.chunks.some(isOpen) || this.o.cancel)) {
      this.manifest = existing;
      this.checkChunkFiles();
      if (this.o.cancel) return;
      // Batches not submitted yet go where this run sends them: the state is of this run's kind.
      const mock = this.o.mock ?? false;
      if (existing.mock !== mock && openChunks(existing).submitted.length === 0) {
        existing.mock = mock;
        this.save();
      }
      // (A run of the other kind over batches out was refused before it opened the output: see
      // checkManifest in cli/batch-api-command.ts.)
      await this.dropAnswered();
      return;
    }
    // No plan, or one a kill cut short: chunks are only written locally until the plan is saved.
    rmSync(this.dir, { recursive: true, force: true });
    ensureChunkDir(this.o.output);
    // What earlier plans of this output spent counts against the cap (a resume raises it to go on).
    const spentBefore = existing?.budget?.spentPico ?? 0;
    const { chunks, inputErrors, held } = await this.plan(spentBefore, 1);
    const lines = chunks.reduce((s, c) => s + c.lines, 0);
    this.manifest = {
      version: 1,
      runKey: randomUUID(),
      planned: true,
      inputErrors,
      chunks,
      ...(this.o.rowShape ? { rowShape: this.o.rowShape } : {}),
      mock: this.o.mock ?? false,
      ...(this.o.budget ? { budget: { spentPico: spentBefore, planned: lines, ...(held ? { held } : {}) } } : {}),
    };
    this.save();
    // Nothing fits the cap: the budget stop that follows says so, and why.
    if (lines === 0 && held && !inputErrors) return;
    this.o.info(
      `${requests(lines)} in ${chunks.length} ${chunks.length === 1 ? 'batch' : 'batches'}${inputErrors ? ` (${count(inputErrors)} input ${inputErrors === 1 ? 'error' : 'errors'} written as ${inputErrors === 1 ? 'a row' : 'rows'})` : ''}${held ? `; the rest of the input waits: over --max-cost` : ''}`,
    );
  }

  /**
   * The request and index files of the chunks still open, which a hand (or a clean-up of the
   * directory) may have removed. A chunk never submitted is stopped, and its lines planned again
   * (nothing of it was paid); one on the server cannot have its answers matched to their lines
   * without its index, nor cached without its requests: refused in one line (exit 2), not an ENOENT
   * at the first collection (exit 70), with the way out.
   */
  private checkChunkFiles(): void {
    for (const chunk of this.manifest.chunks) {
      if (!isOpen(chunk)) continue;
      // `cancel` reads no request (it stores no answer): what is left of a batch it can still stop.
      const files = [
        [indexFileName(chunk.n), 'it says which input line each of its answers belongs to'],
        ...(this.o.cancel && submitted(chunk) ? [] : [[chunk.file, 'it holds the requests its answers are checked and cached against']]),
      ].map(([name, what]) => ({ file: path.join(this.dir, name!), what: what! }));
      const missing = files.find(({ file }) => !existsSync(file));
      if (missing === undefined) continue;
      const gone = missing.file;
      if (!submitted(chunk)) {
        chunk.status = 'failed';
        chunk.note = `its file ${gone} is gone`;
        this.save();
        continue;
      }
      throw new RunError(
        `${gone} is missing: ${this.label(chunk)} cannot be collected without it (${missing.what}). Put ${this.dir} back as it was; or, to give up that batch's answers, delete ${manifestPath(this.o.output)} (the next run asks its requests again, and pays again; the batch runs on on the server until it ends)`,
        'resume',
      );
    }
  }

  /**
   * Chunks an earlier run built and never submitted (an upload that failed, a stop before the batch
   * was created): their requests may have got a row since (a live run over the same output). Those
   * are left out before anything is uploaded or created, so no answer is bought twice; a chunk left
   * with none is closed without a batch. Run once, on the manifest as loaded.
   */
  private async dropAnswered(): Promise<void> {
    for (const chunk of this.manifest.chunks) {
      if (!isOpen(chunk) || submitted(chunk) || (chunk.status !== 'built' && chunk.status !== 'uploaded')) continue;
      const index = readIndex(this.dir, chunk);
      const keep = new Set<string>();
      for (const [id, entry] of index) if (!this.answeredBefore(id, entry)) keep.add(id);
      // Nothing to leave out, and the manifest counts what the files hold (a kill may come between the two).
      if (keep.size === index.size && index.size === chunk.lines) continue;
      const [before, uploaded] = [chunk.lines, chunk.fileId];
      if (keep.size === 0) {
        chunk.collected = true;
        chunk.note = `not submitted: its ${requests(before)} got a row in the output first`;
      } else {
        Object.assign(chunk, await keepChunkLines(this.dir, chunk, keep, index));
        chunk.status = 'built';
        delete chunk.fileId;
      }
      this.save();
      if (keep.size === 0) removeChunkFiles(this.dir, chunk);
      const answered = before - keep.size;
      this.o.info(
        keep.size === 0
          ? `${this.label(chunk)}: not submitted: its ${requests(before)} ${before === 1 ? 'has' : 'have'} a row in the output already`
          : `${this.label(chunk)}: ${count(answered)} of its ${requests(before)} ${answered === 1 ? 'has' : 'have'} a row in the output already; only the other ${count(keep.size)} ${keep.size === 1 ? 'is' : 'are'} submitted`,
      );
      // The file uploaded with the answered lines is of no more use: the remaining ones are uploaded anew.
      if (uploaded) await this.removeServerFile(chunk, uploaded);
    }
  }

  /** One planning pass over the input from where the last one stopped (all of it without --max-cost). */
  private async plan(spentBefore: number, firstN: number): Promise<{ chunks: Chunk[]; inputErrors: number; held?: HeldLine }> {
    // A resume's plan after collecting an earlier one: what it collected is not planned again.
    const handled = this.collectedHere.size + this.toldAnswered.size > 0 ? (record: PromptRecord) => this.handledHere(record) : undefined;
    this.source ??= this.o.records(handled)[Symbol.asyncIterator]();
    const records = continuing(this.heldRecord, this.source);
    this.heldRecord = undefined;
    const budget = this.o.budget ? new LineBudget(this.o.budget, spentBefore) : undefined;
    const prices = this.o.budget?.prices;
    let inputErrors = 0;
    let held: HeldLine | undefined;
    const chunks = await planChunks(
      records,
      this.o.defaults,
      this.o.limits,
      this.dir,
      firstN,
      async (input) => {
        const row = this.o.structured ? { ...input, output: null } : input;
        inputErrors++;
        await this.o.writer.write(row);
        this.o.onRow(row);
      },
      budget && {
        admit: (body) => budget.admit(body),
        unpriced: (body) => budget.unpriced(body),
        onHeld: (record, body) => {
          this.heldRecord = record;
          const element = elementAt(record.line, record.elementLines);
          held = { id: record.id, line: record.line, ...(element ? { element } : {}), worstPico: lineWorstCase(prices!, body) ?? 0 };
        },
        seen: this.seen,
      },
    );
    // The price each chunk is reserved at, for whoever settles it without the run's flags (cancel).
    if (prices) {
      for (const chunk of chunks) {
        const price = prices(chunk.model);
        if (price) chunk.price = price;
      }
    }
    return { chunks, inputErrors, ...(held ? { held } : {}) };
  }

  /**
   * The next planning round (see planAgain): under --max-cost from the held line, with what the
   * collected batches really cost; after a resume collected an earlier plan, the whole input again.
   * Its chunks join the manifest (numbered on), so a kill at any instant leaves a manifest to resume.
   */
  private async planMore(): Promise<void> {
    ensureChunkDir(this.o.output);
    const budget = this.o.budget ? (this.manifest.budget ??= { spentPico: 0, planned: 0 }) : undefined;
    const firstN = Math.max(0, ...this.manifest.chunks.map((c) => c.n)) + 1;
    const resumed = this.source === undefined;
    const replanned = resumed ? this.replanStranded() : [];
    const { chunks, inputErrors, held } = await this.plan(budget?.spentPico ?? 0, firstN);
    const lines = chunks.reduce((s, c) => s + c.lines, 0);
    this.manifest.chunks.push(...chunks);
    this.manifest.inputErrors += inputErrors;
    if (budget) {
      budget.planned = lines;
      if (held) budget.held = held;
      else delete budget.held;
    } else if (this.manifest.budget) {
      // Without --max-cost now: the whole input is planned, nothing is held back any more.
      delete this.manifest.budget.held;
    }
    this.save();
    for (const chunk of replanned) removeChunkFiles(this.dir, chunk);
    if (lines === 0) return;
    const batches = `${chunks.length} ${chunks.length === 1 ? 'batch' : 'batches'}`;
    this.o.info(
      `${counted(lines, 'more request')}${resumed ? ' without a row' : ''} in ${batches}${budget ? `, within --max-cost (${usdText(budget.spentPico)} spent so far)` : ''}`,
    );
  }

  /**
   * A resume about to plan the whole input again: a refused chunk's lines (or one over the token
   * limit on its own) have no row, so that plan has them; the chunk is closed. Saved with the new
   * chunks (its files removed after), so a kill before then leaves it as it was, for the next --resume.
   */
  private replanStranded(): Chunk[] {
    const stranded = this.stranded();
    for (const chunk of stranded) {
      this.o.info(`${this.label(chunk)} ${strandedWhy(chunk)}: its ${requests(chunk.lines)} ${chunk.lines === 1 ? 'is' : 'are'} planned again`);
      chunk.collected = true;
    }
    return stranded;
  }

  private inFlight(): Chunk[] {
    return this.manifest.chunks.filter((c) => IN_FLIGHT.has(c.status));
  }

  /**
   * The batches that run on at the server while the run stops on another's trouble, for its line:
   * stopped without it, a user could take the refusal for the end of the whole job.
   */
  private stillOnServer(): string {
    const others = this.inFlight();
    if (others.length === 0) return '';
    const named = others.slice(0, 3).map((c) => this.label(c));
    const more = others.length > named.length ? `, and ${others.length - named.length} more` : '';
    return `; ${others.length === 1 ? 'its other batch is' : `its ${others.length} other batches are`} still on the server: ${named.join(', ')}${more}`;
  }

  /** Whether submitReady would make a call for this chunk now (upload, create, or resubmit after the token limit). */
  private ready(chunk: Chunk): boolean {
    // Closed without a batch (see dropAnswered): still `built`, with nothing to send.
    if (!isOpen(chunk)) return false;
    if (chunk.status === 'token_limit') return this.freedSlots > 0 || this.inFlight().length === 0;
    return chunk.status === 'built' || chunk.status === 'uploaded';
  }

  /** Uploads built chunks and creates batches for uploaded ones; a transient failure waits for the next round. */
  private async submitReady(): Promise<void> {
    for (const chunk of this.manifest.chunks) {
      if (this.o.signal.aborted) return;
      // Only chunks with a call to make: a step without one is no sign that the API answers.
      if (!this.ready(chunk)) continue;
      const done = await this.step(chunk, async () => {
        if (chunk.status === 'token_limit') {
          if (this.freedSlots > 0) this.freedSlots--;
          chunk.status = 'uploaded';
          delete chunk.createKey;
        }
        if (chunk.status === 'built') {
          chunk.fileId = await this.o.client.upload(`${this.dir}/${chunk.file}`);
          chunk.status = 'uploaded';
          this.save();
          // A stop during the upload creates no batch (which would run and bill after it): the
          // uploaded file waits in the manifest, and --resume creates its batch (once: no createKey yet).
          if (this.o.signal.aborted) return;
        }
        if (chunk.status === 'uploaded') await this.create(chunk);
      });
      if (!done) return;
    }
  }

  /**
   * One chunk's turn at the API. A transient failure is said and counted (the poll backs off on
   * it) and leaves the remaining chunks for the next poll: false.
   */
  private async step(chunk: Chunk, work: () => Promise<void>): Promise<boolean> {
    for (let tries = 1; ; tries++) {
      try {
        await work();
        this.failures = 0;
        this.recovered();
        return true;
      } catch (err) {
        // Stopped: the call the stop ended leaves its chunk as it was, for --resume (a create is looked up).
        if (this.o.signal.aborted) return false;
        if (!(err instanceof BatchApiError) || !err.transient) throw err;
        // Nothing listening, no such host, a bad certificate, and no batch of ours on the server: as a
        // live run's first attempts, a few quick tries, then a stop (exit 4) instead of waiting for nothing.
        if (isEndpointCode(err.code) && this.nothingOnServer()) {
          if (tries >= UNREACHABLE_TRIES) throw new BatchUnreachableError(err.code!, err.message);
          await sleep(500 * tries, this.o.signal);
          if (this.o.signal.aborted) return false;
          continue;
        }
        this.failures++;
        this.failing(err);
        // The SDK's words end in a full stop (`Request timed out.`): not followed by a `;`.
        this.o.info(`${this.label(chunk)}: ${err.message.replace(/\.$/, '')}; trying again at the next poll`);
        return false;
      }
    }
  }

  /** A transient failure: the outage starts now unless it started earlier (in this run or one before). */
  private failing(err: BatchApiError): void {
    this.lastFailure = err;
    if (this.manifest.failingSince === undefined) {
      this.manifest.failingSince = this.now();
      this.save();
    }
  }

  /** A call succeeded: an outage said with --quiet is said to be over. */
  private recovered(): void {
    this.lastFailure = undefined;
    if (this.manifest.failingSince === undefined) return;
    delete this.manifest.failingSince;
    this.save();
    if (this.outageSaid) (this.o.warn ?? this.o.info)('the Batch API answers again');
    this.outageSaid = false;
  }

  private async create(chunk: Chunk): Promise<void> {
    let batch = await this.lookUp(chunk);
    if (!batch) {
      // Stopped (while looking the batch up): nothing more is created; --resume looks again, then creates.
      if (this.o.signal.aborted) return;
      this.o.onSubmitting?.();
      chunk.createKey ??= `${this.manifest.runKey}:${chunk.n}:${(chunk.previousBatchIds?.length ?? 0) + 1}`;
      chunk.submittedAt = Date.now();
      this.save();
      try {
        batch = await this.o.client.create(chunk.fileId!, { [METADATA_KEY]: chunk.createKey, llm_batch_chunk: String(chunk.n) });
      } catch (err) {
        // The server answered no (a 4xx: a quota, a key, a bad file): no batch was made, so the chunk
        // is unsubmitted, not pending (`status` and --summary-json said one runs and bills). A timeout,
        // a reset or a 5xx may have made one: its key stays, to look it up by.
        if (refusedCreate(err)) {
          delete chunk.createKey;
          this.save();
        }
        throw err;
      }
    }
    // Alone until another goes in beside it: the limit is judged as a batch starts, on all in flight.
    const beside = this.inFlight();
    for (const other of beside) this.submittedAlone.delete(other);
    if (beside.length === 0) this.submittedAlone.add(chunk);
    else this.submittedAlone.delete(chunk);
    chunk.batchId = batch.id;
    this.update(chunk, batch);
    this.save();
    this.o.info(`${this.label(chunk)}: submitted ${requests(chunk.lines)}`);
  }

  /** A creation was started and its answer never recorded: the batch may exist, found by its metadata. */
  private async lookUp(chunk: Chunk): Promise<Batch | undefined> {
    if (!chunk.createKey) return undefined;
    const batch = await this.o.client.findByMetadata(METADATA_KEY, chunk.createKey, Math.floor((chunk.submittedAt ?? 0) / 1000) - 3600);
    if (batch) this.o.info(`${this.label(chunk)}: found ${batch.id}, created before the last run stopped`);
    return batch;
  }

  /** What a chunk's last progress line said: its status and the tenth of its requests done then. */
  private readonly said = new Map<Chunk, string>();

  /**
   * Takes a poll's answer; 'changed' when the counts moved (the state is saved), 'news' when the
   * status did or another tenth of the requests is done (a line is said). The real API moves its
   * counts at nearly every poll: a line each was ~2,880 lines a day at the default 30 s.
   */
  private update(chunk: Chunk, batch: Batch): 'news' | 'changed' | undefined {
    const before = `${chunk.status} ${chunk.counts?.completed} ${chunk.counts?.failed}`;
    chunk.status = batch.status as ChunkStatus;
    if (batch.request_counts) chunk.counts = { ...batch.request_counts };
    if (before === `${chunk.status} ${chunk.counts?.completed} ${chunk.counts?.failed}`) return undefined;
    const c = chunk.counts;
    const tenth = c && c.total > 0 ? Math.floor((10 * (c.completed + c.failed)) / c.total) : 0;
    const now = `${chunk.status} ${tenth} ${c?.failed ? 'failed' : ''}`;
    if (this.said.get(chunk) === now) return 'changed';
    this.said.set(chunk, now);
    return 'news';
  }

  /**
   * Checks and collects every batch in flight. One that fails (a download cut off every time) does
   * not hold up those after it, which an hourly --no-wait would otherwise never collect; two failing
   * in a row look like the server's outage, and the rest wait for the next poll.
   */
  private async pollInFlight(): Promise<void> {
    const tracked = this.manifest.chunks.filter((c) => c.batchId && !c.collected && !LOCAL_STATUSES.has(c.status) && isOpen(c));
    let failedInARow = 0;
    for (const chunk of tracked) {
      if (this.o.signal.aborted) return;
      const done = await this.step(chunk, async () => {
        const batch = await this.o.client.retrieve(chunk.batchId!);
        const changed = this.update(chunk, batch);
        if (changed === 'news') {
          const c = chunk.counts;
          this.o.info(
            `${this.label(chunk)}: ${chunk.status}${c ? `, ${count(c.completed)}/${count(c.total)} done${c.failed ? `, ${count(c.failed)} failed` : ''}` : ''}`,
          );
        }
        if (changed) this.save();
        if (TERMINAL.has(chunk.status)) await this.finish(chunk, batch);
      });
      failedInARow = done ? 0 : failedInARow + 1;
      if (failedInARow >= 2 || this.o.signal.aborted) return;
    }
  }

  private async finish(chunk: Chunk, batch: Batch): Promise<void> {
    if (chunk.status === 'failed') return this.failed(chunk, batch);
    this.freedSlots++;
    await this.collect(chunk, batch);
  }

  private failed(chunk: Chunk, batch: Batch): void {
    const errors = (batch.errors?.data ?? []).map((e) => ({
      ...e,
      ...(e.message ? { message: this.redact(e.message) } : {}),
      ...(e.code ? { code: this.redact(e.code) } : {}),
    }));
    if (errors.some((e) => e.code === 'token_limit_exceeded')) {
      // Judged by how the batch went in, not by what waits now: with two such chunks waiting, neither
      // was ever alone by that, and the first was resubmitted for ever (57 batches in 20 s at --poll 0.1).
      const alone = this.submittedAlone.has(chunk) ? (this.aloneOverLimit.get(chunk) ?? 0) + 1 : 0;
      if (alone > 0) this.aloneOverLimit.set(chunk, alone);
      if (alone >= 2) {
        chunk.note = 'token_limit_exceeded on its own';
        this.save();
        throw new RunError(
          `${this.label(chunk)} alone is over the organization's enqueued-token limit for ${chunk.model} (${errors[0]?.message ?? 'token_limit_exceeded'}): run again with a smaller --batch-size (it has ${requests(chunk.lines)}), then --resume`,
          'usage',
        );
      }
      chunk.previousBatchIds = [...(chunk.previousBatchIds ?? []), chunk.batchId!];
      delete chunk.batchId;
      delete chunk.counts;
      chunk.status = 'token_limit';
      this.save();
      const others = this.inFlight().length > 0;
      this.o.info(
        `${this.label(chunk)}: over the enqueued-token limit; ${others ? 'waiting for an earlier batch to finish, then resubmitting' : 'resubmitting it alone (other batches of the organization may hold its tokens)'}`,
      );
      return;
    }
    const shown = errors
      .slice(0, 3)
      .map((e) => `${e.line ? `line ${e.line}: ` : ''}${e.message ?? e.code ?? 'refused'}`)
      .join('; ');
    chunk.note = `refused: ${shown || 'no reason given'}`;
    this.save();
    throw new BatchRefusedError(
      `${this.label(chunk)} was refused by the server${errors.length ? ` (${errors.length} ${errors.length === 1 ? 'problem' : 'problems'})` : ''}: ${shown || 'no reason given'} (request file ${this.dir}/${chunk.file})${this.stillOnServer()}`,
    );
  }

  /** Whether the output held this line's row before the run; such rows are counted (once), not written. */
  private answeredBefore(id: string, entry: IndexEntry): boolean {
    if (!this.o.answeredBefore(entry)) return false;
    if (!this.toldAnswered.has(id)) {
      this.toldAnswered.add(id);
      this.o.onAnsweredBefore?.(entry);
    }
    return true;
  }

  /** Streams the output and error files into rows, then sends on whatever the batch did not run. */
  private async collect(chunk: Chunk, batch: Batch): Promise<void> {
    const index = readIndex(this.dir, chunk);
    const answered = new Set<string>();
    const written = this.partlyCollected.get(chunk.n) ?? new Set<string>();
    this.partlyCollected.set(chunk.n, written);
    /** Lines naming no request of the batch, lines that name none at all (not JSON, no custom_id): how many, and why the first (see rowFromBatchLine). */
    const unknown = { count: 0, first: undefined as string | undefined };
    const unreadable = { count: 0, first: undefined as string | undefined };
    /** Lines that answered a request again. */
    let repeated = 0;
    /** Answers that failed validation, re-asked live (--finish-live) once the files are read. */
    const reasks = new Map<string, { row: ResultRow; invalid: InvalidKind; problems: string[] }>();
    /** The requests' bodies, which whole answers are stored under in the response cache as they come. */
    const bodies = this.o.storeAnswer ? await openChunkBodies(this.dir, chunk) : undefined;
    const times = batchTimes(batch);
    /** --max-cost: what the batch's answers cost; undefined once an answer came without usage (then the worst case stays spent). */
    let billed: number | undefined = 0;
    // The price the chunk was reserved at (a plan before it was kept: the run's prices, or cancel's
    // table). Without one, what the lines answered cost is their share of the reservation.
    const price = chunk.price ?? this.o.budget?.prices(chunk.model);
    const addBilled = (sum: number, row: ResultRow): number | undefined =>
      !row.error && !row.usage ? undefined : sum + (price && row.usage ? billedPico(price, row.usage, true) : 0);
    /** Files the server no longer has: their lines go out again as an expired batch's unrun lines do. */
    const gone = new Set<string>();
    try {
      for (const fileId of [batch.output_file_id, batch.error_file_id]) {
        if (!fileId) continue;
        try {
          for await (const text of this.o.client.lines(fileId)) {
            const outcome = rowFromBatchLine(text, batch.id, index, times, this.o.client.scrubAnswer);
            if (outcome.kind === 'unknown') {
              const tally = outcome.named ? unknown : unreadable;
              tally.count++;
              tally.first ??= outcome.why;
              continue;
            }
            if (outcome.kind === 'unfinished') continue;
            outcome.row = this.redactRow(outcome.row);
            const key = outcome.customId;
            if (answered.has(key)) {
              repeated++;
              continue;
            }
            answered.add(key);
            if (this.o.budget) billed = billed === undefined ? undefined : addBilled(billed, outcome.row);
            // Rows a killed run wrote before it could mark the chunk collected are not written twice.
            if (this.answeredBefore(key, index.get(key)!) || written.has(key)) continue;
            let row = outcome.row;
            /** The answer came and failed its check (an `invalid_output` row now). */
            let invalid = false;
            if (this.o.structured) {
              const judged = judgeCollected(row, outcome.refusal, this.o.structured);
              if (judged.kind === 'reask') {
                reasks.set(key, judged);
                continue;
              }
              invalid = !row.error && judged.row.error !== null;
              row = judged.row;
            } else if (outcome.refusal && !row.error && !row.response) {
              // As live: a refusal outside --json-schema/--json is a failed row keeping its text.
              row = { ...row, response: outcome.refusal, error: refusedError(outcome.refusal) };
            }
            // Structured: only an answer that passed the check (an invalid one is an error row by now).
            // What the cache needs only: the row (and its prompt) can go (50,000 of them a batch).
            const body = bodies && !row.error && row.finish_reason !== null ? bodies.body(key) : undefined;
            if (body) {
              const stored: StoredAnswer = { response: row.response, finish_reason: row.finish_reason, model: row.model, usage: row.usage, sample: row.sample };
              // Only the answers that have them: an ordinary batch's stored answers stay as small.
              if (row.tool_calls) stored.tool_calls = row.tool_calls;
              if (row.logprobs) stored.logprobs = row.logprobs;
              if (row.reasoning) stored.reasoning = row.reasoning;
              await this.o.storeAnswer!(body, stored);
            }
            // Under --fail-truncated a cut answer is a `truncated` failure, one that failed its check too (as live).
            if (this.o.failTruncated && cutOffAt(row.finish_reason) && (!row.error || invalid)) {
              row = { ...row, error: row.error ? { ...row.error, type: 'truncated' } : truncatedError(undefined, row.finish_reason ?? undefined) };
            }
            await this.o.writer.write(row);
            written.add(key);
            this.wrote(key);
            this.o.onRow(row);
          }
        } catch (err) {
          if (!isGoneFile(err)) throw err;
          gone.add(fileId);
          // What its answers cost is unknown: the chunk's whole reservation stays spent.
          billed = undefined;
          this.o.info(
            `${this.label(chunk)}: its ${fileId === batch.output_file_id ? 'output' : 'error'} file ${fileId} is gone from the server (${err.message})${chunk.status === 'completed' && chunk.parent !== undefined ? '' : '; the requests without a row are sent again'}`,
          );
        }
      }
    } finally {
      bodies?.close();
    }
    if (reasks.size > 0 && !(await this.reaskLive(chunk, reasks, index, written))) return;
    this.partlyCollected.delete(chunk.n);
    for (const [tally, what] of [
      [unknown, 'named no request of this batch'],
      [unreadable, 'answered no request'],
    ] as const) {
      if (tally.count === 0) continue;
      const lines = tally.count === 1 ? '1 output line' : `${tally.count} output lines`;
      this.o.info(`${this.label(chunk)}: ${lines} ${what} (${tally.count === 1 ? '' : 'the first: '}${tally.first}); ignored`);
    }
    if (repeated > 0) {
      const lines = repeated === 1 ? '1 output line answered a request' : `${repeated} output lines answered requests`;
      this.o.info(`${this.label(chunk)}: ${lines} a line before had answered; the first answer kept`);
    }
    // An answer without usage leaves the chunk's whole reservation spent (we cannot know less).
    const reservedShare = Math.round(((chunk.reservedPico ?? 0) * answered.size) / Math.max(1, chunk.lines));
    const settled = this.o.budget ? (price === undefined ? reservedShare : (billed ?? chunk.reservedPico ?? 0)) : 0;
    const rest = new Set<string>();
    for (const [id, entry] of index) if (!answered.has(id) && !this.answeredBefore(id, entry)) rest.add(id);
    if (rest.size > 0 && this.o.cancel) {
      await this.abortRows(chunk, rest, index);
      chunk.remainder = rest.size;
    } else if (rest.size > 0 && this.o.finishLive) {
      this.o.info(`${this.label(chunk)}: ${chunk.status} with ${requests(rest.size)} not run; running them live (--finish-live)`);
      // Every line the batch did not answer; those a stopped run already answered live count as done.
      const notRun = [...index.keys()].filter((id) => !answered.has(id)).length;
      const live = { lines: notRun, ok: notRun - rest.size, failed: 0 };
      this.ranLive.set(chunk.n, live);
      this.reportProgress();
      for await (const row of this.o.finishLive(recordsFromChunk(this.dir, chunk, rest, index))) {
        await this.o.writer.write(row);
        this.o.onRow(row);
        const key = customIdOf(rowAnswer(row));
        rest.delete(key);
        this.wrote(key);
        if (row.error === null) live.ok++;
        else live.failed++;
        this.reportProgress();
      }
      // An interrupted live run leaves the chunk uncollected: a resume collects it again (its rows
      // are skipped as already written) and runs only what is still missing.
      if (rest.size > 0) return;
    } else if (rest.size > 0 && this.noProgress(chunk, answered)) {
      // The server says it is done, yet a batch of only these lines answered none of them again (left
      // out of both files, or a file it never lets us download): another batch would bill them again,
      // round after round. Each gets an error row instead; a later --resume tries them once more.
      await this.unansweredRows(chunk, batch, rest, index, gone);
    } else if (rest.size > 0) {
      const n = Math.max(...this.manifest.chunks.map((c) => c.n)) + 1;
      const remainder = await writeRemainder(this.dir, chunk, rest, index, n);
      // The lines not run keep what is left of the chunk's reservation: their worst case is within it.
      if (chunk.reservedPico !== undefined) remainder.reservedPico = Math.max(0, chunk.reservedPico - settled);
      this.manifest.chunks.push(remainder);
      chunk.remainder = rest.size;
      chunk.remainderChunk = n;
      this.o.info(`${this.label(chunk)}: ${chunk.status} with ${requests(rest.size)} not run; resubmitting them as batch ${n}`);
    }
    if (this.o.budget) {
      this.manifest.budget ??= { spentPico: 0, planned: 0 };
      this.manifest.budget.spentPico += settled;
    }
    chunk.collected = true;
    this.save();
    removeChunkFiles(this.dir, chunk);
    await this.removeServerFiles(chunk, batch, gone);
  }

  /**
   * Invalid answers asked again through the live engine, in the conversation a live run would have
   * sent (the batch's request, the answer, the validator's words); the batch's attempt and tokens
   * count in the row. False when a stop left some unanswered: the chunk stays uncollected, and a
   * resume reads its files again and re-asks only those.
   */
  private async reaskLive(
    chunk: Chunk,
    reasks: ReadonlyMap<string, { row: ResultRow; invalid: InvalidKind; problems: string[] }>,
    index: ReadonlyMap<string, IndexEntry>,
    written: Set<string>,
  ): Promise<boolean> {
    this.o.info(
      `${this.label(chunk)}: ${count(reasks.size)} ${reasks.size === 1 ? 'answer' : 'answers'} failed validation; re-asking ${reasks.size === 1 ? 'it' : 'them'} live (--finish-live)`,
    );
    const self = this;
    async function* records(): AsyncGenerator<PromptRecord> {
      for await (const record of recordsFromChunk(self.dir, chunk, new Set(reasks.keys()), index)) {
        const { row, invalid, problems } = reasks.get(customIdOf(recordAnswer(record)))!;
        yield {
          ...record,
          messages: reaskMessages(record.messages, row.response ?? '', invalid, problems),
          earlier: { attempts: row.attempts, reasks: 1, usage: row.usage },
        };
      }
    }
    const left = new Set(reasks.keys());
    for await (const live of this.o.finishLive!(records())) {
      const key = customIdOf(rowAnswer(live));
      // Its first answer came from the batch (and its tokens are in the row): priced at the Batch
      // price, as the summary prices it, and listed among the output's batches.
      const batchId = reasks.get(key)?.row.batch_id;
      const row = batchId === undefined ? live : { ...live, batch_id: batchId };
      await this.o.writer.write(row);
      written.add(key);
      this.wrote(key);
      left.delete(key);
      this.o.onRow(row);
    }
    return left.size === 0;
  }

  /**
   * The batch's files are of no more use once its rows are in the output (a remainder has its own
   * upload); OpenAI keeps them until deleted and counts them against the organization's storage.
   */
  private async removeServerFiles(chunk: Chunk, batch: Batch, gone: ReadonlySet<string> = new Set()): Promise<void> {
    for (const fileId of [chunk.fileId, batch.output_file_id, batch.error_file_id]) {
      if (!fileId || gone.has(fileId)) continue;
      if (!(await this.removeServerFile(chunk, fileId))) return;
    }
  }

  /** Deletes one of a chunk's files on the server; false (said) when that failed for any reason but the key. */
  private async removeServerFile(chunk: Chunk, fileId: string): Promise<boolean> {
    try {
      await this.o.client.remove(fileId);
      return true;
    } catch (err) {
      if (err instanceof RunError && err.code === 'auth') throw err;
      this.o.info(`${this.label(chunk)}: could not delete file ${fileId} (${(err as Error).message}); delete it by hand if storage matters`);
      return false;
    }
  }
}

/** An error of a create the server answered with a 4xx: no batch was made. */
function refusedCreate(err: unknown): boolean {
  if (err instanceof BatchApiError) return err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 409;
  return err instanceof RunError && (err.code === 'quota' || err.code === 'auth' || err.code === 'proxy' || err.code === 'usage');
}

/** A batch the server refused (its input file or a line of it): the run stops; its other batches go on on the server. */
export class BatchRefusedError extends RunError {
  constructor(message: string) {
    super(message, 'usage');
  }
}

/** Why a closed chunk's lines have no row: the server refused its batch, or it stopped (over the token limit on its own). */
function strandedWhy(chunk: Chunk): string {
  return chunk.note?.startsWith('refused: ') ? `was refused by the server (${chunk.note.slice(9)})` : `stopped (${chunk.note})`;
}
