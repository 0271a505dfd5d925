import {
  assertCsvHeader,
  csvLayoutOfFile,
  hasRow,
  isInputError,
  loadResumeState,
  metaPath,
  ownModelAlias,
  readRunMeta,
  recordKey,
  repairPartialLine,
  RETRY_FAILED_SINCE_KEY,
  rowKey,
  type CsvLayout,
  UNCHECKED_BEFORE_KEY,
} from '../output/index.js';
import { isoNow } from '../util/iso-now.js';
import { RunError } from '../errors.js';
import { counted } from '../util/group-digits.js';
import type { BatchStats } from '../engine/stats.js';
import type { PromptRecord, ResultRow } from '../types.js';
import { writesCsv, type CliConfig } from './config.js';
import type { InputFingerprint } from './input-fingerprint.js';
import { resumeDifferences, sameInputFile } from './run-identity.js';
import { addedModels, addedModelsNote, recordedModels, sortedModels } from './run-models.js';

/** With --resume: whether a record already has a row, and whether that row is an error. */
export interface ResumeSkip {
  (record: PromptRecord): 'done' | 'failed' | undefined;
  /**
   * A record to send, in the form its row already has in the file (see ownModelAlias): a record
   * that names its own model and has a failed row under its other key form gets a row of that form,
   * which then replaces the failed one.
   */
  readonly as?: (record: PromptRecord) => PromptRecord;
  /** Set for an input whose content is not recorded (stdin, a pipe): see skipAnswered. */
  readonly unrecorded?: UnrecordedInput;
}

/**
 * Stdin or a pipe, whose content no fingerprint tells apart: a resume holds back the records that
 * have no row in the output until one that has a row shows the input starts as the output's did.
 */
export interface UnrecordedInput {
  /** Whether the output has a row for the record (of any kind: a transient failure too). */
  known: (record: PromptRecord) => boolean;
  output: string;
  /** stdin, or the pipe's path. */
  source: string;
  /** Records held at most before the refusal: more than a killed run can have left unanswered before its first row. */
  limit: number;
  /** --batch-api: the output had batches not collected yet (collected before the input is read). */
  batches?: number;
}

/**
 * A --batch-api output's batches not collected yet (running on the server, built, refused): its run
 * is checked by a resume even before the output has a row, as their prompts become its rows.
 */
export interface UncollectedRun {
  /** How many batches. */
  batches: number;
  /** Whether a record is one of their lines (see batchedRecords); undefined when none has a line. */
  holds: ((record: PromptRecord) => boolean) | undefined;
  /** None was submitted and the output has no row: no server answered for the run yet, so another one is no other run. */
  unsent: boolean;
}

export interface ResumeState {
  skip: ResumeSkip;
  /** Whether a new row replaces one already in the file (the file is then compacted at the end). */
  supersedes: (row: ResultRow) => boolean;
  /** The file already holds superseded rows (an earlier resume's compaction did not happen): compact it at the end. */
  superseded: boolean;
  /** The file's last input line, when its rows are in input order (see ResumeState.lastLineInOrder). */
  lastLineInOrder: number | undefined;
  /** What a row without `requested_model` asked for from now on: the run's metadata's `model`. */
  runModel: string;
  /**
   * Rows must say their model and sample even in a plain invocation: it asks another of the run's
   * models (`-m B` retrying B's failures), whose plain rows would read as the run's model's.
   */
  tagRows: boolean;
  /** The run's metadata from now on: its first model kept, this invocation's models added. */
  meta: Record<string, unknown>;
  /** A line for stderr when this invocation adds models to the run (see addedModelsNote). */
  note?: string;
  /**
   * Rows of this run the file already answers (a record skipped as done or kept failed), when every
   * key the file holds is one of this run's rows: the same input or a longer one, every model and
   * sample the file's run asked, no --limit and no --force-resume. A stop's "not run" counts them
   * out, and its "already done" counts them all; the reader passed only some of them by then (see countNotRun).
   */
  done?: DoneRows;
}

/** Rows of a resumed run the file already answers: all of them, and of those the failures kept (no --retry-failed). */
export interface DoneRows {
  rows: number;
  failed: number;
}

/**
 * For a --retry-failed resume, when the pass that a stop left unfinished began
 * (RETRY_FAILED_SINCE_KEY): the failures whose last row is newer were asked again by it. Undefined
 * without --retry-failed, and for a first pass: it asks every failure, also one whose row is dated
 * after this machine's clock (a clock set back, a Batch API row dated by the server's).
 */
export function retryFailedSince(config: Pick<CliConfig, 'retryFailed'>, meta: Record<string, unknown> | undefined): string | undefined {
  if (!config.retryFailed) return undefined;
  const since = meta?.[RETRY_FAILED_SINCE_KEY];
  return typeof since === 'string' && !Number.isNaN(Date.parse(since)) ? since : undefined;
}

/** The model a plain run's rows count as (id, this model, sample 0): the one the file was started with. */
export function runModelOf(meta: Record<string, unknown> | null | undefined, config: CliConfig): string {
  return typeof meta?.['model'] === 'string' ? meta['model'] : config.model;
}

/**
 * What a resume does with a record, from the rows already in the file: an answer is done; a
 * permanent failure is kept unless --retry-failed (transient ones are never in `failed`), and even
 * then one a stopped --retry-failed run already asked again (`retried`): it was retried once.
 */
export function skipOf(state: Awaited<ReturnType<typeof loadResumeState>>, runModel: string, retryFailed: boolean): ResumeSkip {
  const skip = (record: PromptRecord) => {
    const key = state.keyOf(recordKey(record, runModel));
    const alias = ownModelAlias(record, runModel);
    const other = alias === undefined ? key : state.keyOf(alias);
    if (state.succeeded.has(key) || state.succeeded.has(other)) return 'done';
    const kept = (failed: Set<string>) => failed.has(key) || failed.has(other);
    return kept(retryFailed ? state.retried : state.failed) ? 'failed' : undefined;
  };
  const as = (record: PromptRecord): PromptRecord => {
    const alias = ownModelAlias(record, runModel);
    if (alias === undefined || !hasRow(state, alias) || hasRow(state, recordKey(record, runModel))) return record;
    const { ownModel: _, ...plain } = record;
    return record.sample === undefined ? { ...record, sample: 0, ownModel: true } : { ...plain, sample: undefined };
  };
  return Object.assign(skip, { as });
}

/** Whether the file has a row for the record, under either key form (see ownModelAlias). */
function hasRowOf(state: Awaited<ReturnType<typeof loadResumeState>>, record: PromptRecord, runModel: string): boolean {
  const alias = ownModelAlias(record, runModel);
  return hasRow(state, recordKey(record, runModel)) || (alias !== undefined && hasRow(state, alias));
}

/**
 * Checks that the results file was written by this same run (or --force-resume), repairs a torn
 * last row, and reads which ids it already answered. Transient failures (network, timeouts, 429,
 * 5xx) are re-run by every resume; permanent ones wait for --retry-failed.
 */
export async function loadResumeSkip(
  config: CliConfig,
  path: string,
  format: 'jsonl' | 'csv',
  current: Record<string, unknown>,
  input: InputFingerprint | null,
  layout: CsvLayout,
  /** --batch-api: the output's batches not collected yet, if any. */
  uncollected?: UncollectedRun,
  /** A stop (Ctrl-C, SIGTERM) ends the read of the rows, throwing its reason (see loadResumeState). */
  stop?: AbortSignal,
): Promise<ResumeState> {
  const previous = readRunMeta(path);
  if (previous) await refuseOtherRun(config, path, previous, current, input, uncollected);
  const runModel = runModelOf(previous, config);
  // A resume that shares a model with the run keeps the file's first model; a model --force-resume'd in replaces it, as ever.
  const recorded = previous && recordedModels(previous);
  const ofTheRun = recorded !== undefined && config.models.some((m) => recorded.includes(m));
  // Rows say their model and sample when this one is not the run's first, or when the run's rows do
  // (several models, or --repeat): a resume on the first model alone writes rows as theirs.
  const tagRows = ofTheRun && (runModel !== config.model || recorded.length > 1 || Number(previous?.['repeat'] ?? 1) > 1);
  const added = ofTheRun ? addedModels(recorded, config.models) : [];
  // No metadata: nothing to check, and the metadata written now must not vouch for the rows there.
  const uncheckedBefore = previous ? previous[UNCHECKED_BEFORE_KEY] : isoNow();
  if (format === 'csv') assertCsvHeader(path, continuedLayout(config, path, layout, tagRows));
  await repairPartialLine(path, format);
  // A --retry-failed run stopped before: this one goes on with it, from the time it began.
  const since = retryFailedSince(config, previous);
  const state = await loadResumeState(path, format, { escapedFormulas: layout.escapeFormulas }, runModel, stop, since);
  const skip = skipOf(state, runModel, config.retryFailed);
  // A record of the output's batches is the run's as much as one with a row (before any is collected).
  const batched = uncollected?.holds;
  const unrecorded: UnrecordedInput | undefined =
    input === null && (state.rows > 0 || batched) && !config.forceResume
      ? {
          known: (record) => hasRowOf(state, record, runModel) || batched?.(record) === true,
          output: path,
          source: config.input.kind === 'stdin' ? 'stdin' : config.input.path,
          // A killed run leaves unanswered at most the records it had pulled: run-batch's window of
          // 8 × concurrency in input order, fewer in completion order (see pullRecords).
          limit: UNRECORDED_HOLD + 8 * config.concurrency,
          ...(uncollected && uncollected.batches > 0 ? { batches: uncollected.batches } : {}),
        }
      : undefined;
  const repeated = typeof previous?.['repeat'] === 'number' ? previous['repeat'] : 1;
  const keptFailed = config.retryFailed ? state.retried.size : state.failed.size;
  const allOfTheRun =
    !config.forceResume && config.data.limit === undefined && recorded?.every((m) => config.models.includes(m)) === true && repeated <= config.repeat;
  return {
    ...(allOfTheRun ? { done: { rows: state.succeeded.size + keptFailed, failed: keptFailed } } : {}),
    skip: unrecorded ? Object.assign(skip, { unrecorded }) : skip,
    supersedes: (row) => hasRow(state, rowKey(row, runModel)) || (!isInputError(row) && state.inputErrorLines.has(row.line)),
    superseded: state.superseded,
    lastLineInOrder: state.lastLineInOrder,
    runModel: ofTheRun ? runModel : config.model,
    // With no metadata to say so, the rows do: a file whose rows say their model is continued so.
    tagRows: tagRows || (!previous && state.tagged),
    meta: {
      ...current,
      // The same file named another way (`./in.txt`, from another folder or machine) is no change of
      // the run: its record keeps the name it started with, so its shards' metadata still agree.
      ...(previous && sameInputFile(previous, current) ? { input: previous['input'] } : {}),
      model: ofTheRun ? runModel : config.model,
      models: sortedModels([...(recorded ?? (previous ? [runModel] : [])), ...config.models]),
      // The most samples any invocation asked (a --repeat 1 resume retrying sample 0 leaves the others the run's).
      ...repeatOf(previous, config.repeat),
      ...(typeof uncheckedBefore === 'string' ? { [UNCHECKED_BEFORE_KEY]: uncheckedBefore } : {}),
      // A plain resume drops it: the failures its own requests meet for the first time would finish
      // after the mark and count as asked again, and the next --retry-failed would leave them out.
      // Without the mark that one asks every failure, those a stopped pass already asked included.
      // A first --retry-failed pass marks when it began.
      ...(config.retryFailed ? { [RETRY_FAILED_SINCE_KEY]: since ?? isoNow() } : {}),
    },
    ...(previous === undefined
      ? { note: `${path} has no run metadata (${metaPath(path)}), so this resume could not check that its rows come from this input, model and settings` }
      : added.length > 0 && recorded
        ? { note: addedModelsNote(added, recorded) }
        : {}),
  };
}

/**
 * Refuses (unless --force-resume) a resume whose input or settings differ from those of the run
 * that started the output (`previous`, its metadata), naming what changed: a resume, and a
 * --dry-run --resume, which must not count as to send what the run will refuse to.
 */
export async function refuseOtherRun(
  config: CliConfig,
  path: string,
  previous: Record<string, unknown>,
  current: Record<string, unknown>,
  input: InputFingerprint | null,
  uncollected?: Pick<UncollectedRun, 'batches' | 'unsent'>,
): Promise<void> {
  // Every run records its input: metadata without one (`{}`, emptied or written by hand) says nothing
  // of the run, where comparing it read as "the input was stdin".
  if (!('input' in previous) && !config.forceResume) {
    throw new RunError(`Run metadata ${metaPath(path)} records no input, as no run writes it; delete it to resume without the settings check.`, 'resume');
  }
  // The --base-url that the exit 4 of an unreachable server asks to correct, before any batch existed.
  const compared = uncollected?.unsent ? { ...previous, baseURL: current['baseURL'] } : previous;
  refuseEscapeChange(config, path, previous, current);
  const differences = await resumeDifferences(config, compared, current, input);
  if (differences.length > 0 && !config.forceResume) {
    throw new RunError(`${path} was written by a different run (${differences.join('; ')}); ${refusal(uncollected?.batches)}`, 'resume');
  }
}

/**
 * A CSV's rows are read back as --csv-escape-formulas says they were written: across a change of it
 * (even forced), the rows before it read back otherwise (`'=1` as `=1`), their ids no longer match,
 * and their prompts were asked and written a second time. Said before the other differences, whose
 * advice is --force-resume, and before they are worked out (which may read the input whole).
 */
function refuseEscapeChange(config: CliConfig, path: string, previous: Record<string, unknown>, current: Record<string, unknown>): void {
  const was = previous['csvEscapeFormulas'] === true;
  if (!writesCsv(config) || was === (current['csvEscapeFormulas'] === true)) return;
  throw new RunError(
    `${path} was written ${was ? 'with' : 'without'} --csv-escape-formulas, and a resume (--force-resume too) cannot change that: its rows would be read back as the other setting writes them (an id starting with = or ' would not match, and its prompt would be asked again); resume ${was ? 'with' : 'without'} it`,
    'resume',
  );
}

/**
 * The layout the CSV is continued in (its header decides). An old file has no requested_model and
 * sample columns, so a model × sample run cannot add rows to it that say which answer they are.
 */
function continuedLayout(config: CliConfig, path: string, layout: CsvLayout, tagRows: boolean): CsvLayout {
  const continued = csvLayoutOfFile(path, layout);
  if (continued.legacy && (config.models.length > 1 || config.repeat > 1 || tagRows)) {
    throw new RunError(
      `${path} is a CSV from an older llm-batch, without requested_model and sample columns: several models or --repeat cannot continue it. ` +
        `Resume it with one model and no --repeat, or copy it into the current layout first (llm-batch --compact ${path} -o new.csv) and resume that`,
      'resume',
    );
  }
  return continued;
}

/** Records held back, beyond a killed run's unanswered ones, before a resume from stdin is refused. */
const UNRECORDED_HOLD = 10_000;

/**
 * The records still to send: those a resumed file has no row for, counted in `stats` as skipped
 * otherwise. From stdin or a pipe (`skip.unrecorded`), whose content was not recorded, the records
 * without a row are held back until one with a row comes: an input that starts with none of the
 * output's prompts (another input, or text lines shifted by one added or removed before them:
 * their ids follow their line numbers) is refused, as an edited file is, before any is sent.
 */
export async function* skipAnswered(records: AsyncIterable<PromptRecord>, skip: ResumeSkip, stats: BatchStats): AsyncGenerator<PromptRecord> {
  for await (const record of skip.unrecorded ? holdUnrecorded(records, skip.unrecorded) : records) {
    const was = skip(record);
    if (!was) yield skip.as ? skip.as(record) : record;
    else {
      stats.skipped++;
      if (was === 'failed') stats.skippedFailed++;
    }
  }
}

/**
 * The gate of skipAnswered alone: records from stdin or a pipe held back until one the output knows
 * comes (then all pass), refused if none does. A --batch-api resume puts it before it leaves out the
 * records it just collected, which are known; skipAnswered then gets the skip without it.
 */
export async function* holdUnrecorded(records: AsyncIterable<PromptRecord>, gate: UnrecordedInput): AsyncGenerator<PromptRecord> {
  let held: PromptRecord[] | undefined = [];
  for await (const record of records) {
    if (held) {
      if (!gate.known(record)) {
        held.push(record);
        if (held.length > gate.limit) throw unrecordedChange(gate, `the first ${counted(held.length, 'prompt')}`);
        continue;
      }
      const release = held;
      held = undefined;
      yield* release;
    }
    yield record;
  }
  if (held && held.length > 0) throw unrecordedChange(gate, held.length === 1 ? 'the one prompt' : `the ${counted(held.length, 'prompt')}`);
}

function unrecordedChange(gate: UnrecordedInput, prompts: string): RunError {
  return new RunError(
    `${gate.output} was written by a different run (none of ${prompts} read from ${gate.source} has a row there${gate.batches ? ' or is in its batches' : ''}: the input is another, ` +
      'or was edited since the output was started, as a text line added or removed before the others shifts their ids); ' +
      // The input is read once they are collected (see BatchJob.planAgain): their rows are in, paid for.
      (gate.batches
        ? "refusing to mix results: that run's batches were collected into it, and nothing of this input was sent. "
        : 'refusing to mix results. ') +
      'Pass --force-resume to continue anyway, or write to a new file',
    'resume',
  );
}

/**
 * The end of a resume's refusal. With batches of the output's run not collected yet, how those are
 * collected: they hold its prompts, paid for; --force-resume collects them before it sends this input.
 */
function refusal(batches: number | undefined): string {
  if (!batches) return 'refusing to mix results. Pass --force-resume to continue anyway, or write to a new file';
  return (
    `refusing to mix results; nothing was sent. That run's ${counted(batches, 'batch', 'batches')} not collected yet ${batches === 1 ? 'holds' : 'hold'} its prompts: a --resume with its input and settings collects them. ` +
    "Pass --force-resume to continue anyway (it collects them, then sends this input's prompts that have no row), or write to a new file"
  );
}

/**
 * The records left once those this process already wrote a row for are taken out: a `--batch-api
 * --resume` plans the input after collecting the earlier plan's batches, whose rows are not in `skip`.
 */
export async function* withoutHandled(records: AsyncIterable<PromptRecord>, handled: (record: PromptRecord) => boolean): AsyncGenerator<PromptRecord> {
  for await (const record of records) if (!handled(record)) yield record;
}

/** The run's `repeat` from now on: the recorded one or this invocation's, the larger; absent for 1. */
function repeatOf(previous: Record<string, unknown> | undefined, repeat: number): { repeat?: number } {
  const recorded = typeof previous?.['repeat'] === 'number' ? previous['repeat'] : 1;
  const most = Math.max(recorded, repeat);
  return most > 1 ? { repeat: most } : {};
}
