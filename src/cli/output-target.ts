import fs from 'node:fs';
import { CompactionInterruptedError, OutputClosedError, OutputWriteError, RunError, UsageError } from '../errors.js';
import {
  acquireLock,
  compactFile,
  metaPath,
  openFileWriter,
  OUTPUT_FORMAT_KEY,
  readRunMeta,
  removeCompactLeftover,
  RETRY_FAILED_SINCE_KEY,
  removeDeadTemps,
  resultsFileFormat,
  writeEach,
  writeRunMeta,
  type CsvLayout,
  type LockHandle,
  type RowWriter,
} from '../output/index.js';
import type { ResultRow } from '../types.js';
import type { StopReason } from '../engine/events.js';
import { checkWritableFile, sideNameTooLong } from './check-writable.js';
import { localeIsAscii } from '../ui/plain-text.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { replaceOnFirstRow, type ReplaceOnFirstRow } from './replace-on-first-row.js';
import { type DoneRows, loadResumeSkip, type ResumeSkip, type UncollectedRun } from './resume-skip.js';
import { chunkDir, manifestPath, readManifest, submitted } from '../batch/manifest.js';
import { batchedRecords } from './batched-records.js';
import { describeRun } from './run-identity.js';
import type { InputFingerprint } from './input-fingerprint.js';
import type { InputFormat } from '../input/input-options.js';
import { isStreamTarget, openStreamOutput } from './stream-target.js';
import { openFifoOutput, type FifoOutput } from './fifo-output.js';
import { stdoutWriter } from './stdout-writer.js';
import { counted } from '../util/group-digits.js';
import { errorMessage } from '../util/error-message.js';
import { refuseUnusableCacheDir } from './open-cache.js';
import { isBug } from './internal-error.js';
import type { ReadProgressFactory } from '../ui/file-progress.js';
import { filesSize } from '../util/file-size.js';

export interface OutputTarget {
  writer: RowWriter;
  lock: LockHandle | undefined;
  /** With --resume: whether a record already has a row, and whether that row is an error. */
  skip: ResumeSkip | undefined;
  /** With --resume of another of the run's models alone: rows say their model and sample (see ResumeState). */
  tagRows?: boolean;
  /** With --resume: a line for stderr, e.g. the models this invocation adds to the run. */
  resumeNote?: string;
  /** With --resume: the rows of this run the file already answers, when known (see ResumeState). */
  done?: DoneRows;
  /** With --overwrite of a non-empty file: replaced at the first row, or by `replace()` at the end. */
  pending?: ReplaceOnFirstRow;
  /**
   * With --resume: the file to compact at the end if rows were superseded, how many this run
   * superseded, and whether the file held superseded rows before it (`earlier`).
   */
  compact?: {
    path: string;
    format: 'jsonl' | 'csv';
    layout: CsvLayout;
    superseded: () => number;
    earlier: boolean;
    runModel: string;
    /** The file's rows, and those this run wrote after them, are in input order (by line). */
    inOrder: () => boolean;
  };
  /** `-o FIFO`: its writer writes once a reader has come, which the run waits for before sending. */
  fifo?: FifoOutput;
  /** The results file and its OUT.meta.json were not there before this run made them. */
  created?: boolean;
}

/**
 * Says what opening the target found (a stale lock taken over, what a resume keeps) and, from now
 * on, a lock removed during the run and made again at a heartbeat (see LockHandle.say).
 */
export function announceTarget(target: Pick<OutputTarget, 'lock' | 'resumeNote'>, info: (line: string) => void): void {
  if (target.lock?.note) info(target.lock.note);
  if (target.lock) target.lock.say = info;
  if (target.resumeNote) info(target.resumeNote);
}

/**
 * Counts the rows that replace one already in the file, as they are written, and whether the file
 * stays in input order (`lastLine`: the file's last line when it is in order; see ResumeState).
 */
function countSuperseding(
  writer: RowWriter,
  supersedes: (row: ResultRow) => boolean,
  lastLine: number | undefined,
): { writer: RowWriter; superseded: () => number; inOrder: () => boolean } {
  let n = 0;
  let last = lastLine;
  const see = (row: ResultRow) => {
    if (supersedes(row)) n++;
    if (last !== undefined) last = row.line >= last ? row.line : undefined;
  };
  return {
    writer: {
      write(row) {
        const written = writer.write(row);
        see(row);
        return written;
      },
      writeMany(rows) {
        const written = writeEach(writer, rows);
        for (const row of rows) see(row);
        return written;
      },
      close: () => writer.close(),
      checkInPlace: () => writer.checkInPlace?.(),
    },
    superseded: () => n,
    inOrder: () => last !== undefined,
  };
}

/**
 * The refusal of an output that already exists, with advice that works for what it holds (see
 * resultsFileFormat): a JSONL or CSV results file can be resumed, in its own format; a text output,
 * or a file that neither its content nor its name shows to be either, cannot.
 */
function alreadyExists(file: string): string {
  const format = resultsFileFormat(file);
  const resumable = format === 'jsonl' || format === 'csv';
  const how = resumable
    ? 'pass --resume to continue it, or --overwrite to replace it'
    : `pass --overwrite to replace it, or choose another output file${format === 'text' ? ' (a text output cannot be resumed: it keeps no rows to read back)' : ''}`;
  return `${file} already exists: ${how} (nothing was changed)`;
}

/**
 * Whether the output file has rows, refusing it (as `alreadyExists` says) unless --resume or
 * --overwrite says what to do with them; first, a path no file can be written at, in its own words.
 * The run's check, and its dry run's.
 */
export function existingOutput(file: string, config: Pick<CliConfig, 'resume' | 'overwrite'>): boolean {
  checkWritableFile(file, '--output', 'direct');
  const tooLong = sideNameTooLong(metaPath(file));
  if (tooLong) throw new UsageError(`--output ${file}: ${tooLong}`);
  const exists = (fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) > 0;
  if (exists && !config.resume && !config.overwrite) throw new RunError(alreadyExists(file), 'output');
  return exists;
}

/**
 * Where rows go: the answer printer, stdout, or a results file, which is checked, locked, and with
 * --resume read back for the ids it already answered.
 */
// Long by choice: one ordered sequence of checks (stream, writable, exists, lock, resume); the input
// is refused as the output (by name or on disk) when the config is parsed.
export async function openOutputTarget(
  config: CliConfig,
  io: CliIo,
  inputFingerprint: InputFingerprint | null,
  /** The format the input is read as (recorded in the metadata). */
  inputFormat: InputFormat,
  answerPrinter: RowWriter | undefined,
  layout: CsvLayout,
  /** --json-schema / --json: a resume must use the same schema. */
  schemaFingerprint?: string,
  /**
   * The run's stop (Ctrl-C, SIGTERM), listened for before the lock is taken: once it is, the open
   * ends at the next step (a resume's read at the next row), the lock released, throwing its reason.
   */
  stop?: AbortSignal,
): Promise<OutputTarget> {
  const out = config.output;
  if (out.kind === 'terminal') return { writer: answerPrinter!, lock: undefined, skip: undefined };
  // On a terminal the rows are shown safely (see terminalSafeRows); to a file or a pipe they go as they are (see stdoutWriter).
  if (out.kind === 'stdout') {
    return { writer: stdoutWriter(io.stdout, out.format, layout, io.releaseStdout, localeIsAscii(io.env)), lock: undefined, skip: undefined };
  }
  if (isStreamTarget(out.path)) {
    // -o /dev/null, /dev/stdout, a FIFO: a stream, with no lock, no metadata and no rows to read back.
    // A --batch-api run resumes from its OUT.batch.json alone: the batches it has not collected.
    refuseStreamResume(config, out.path);
    // Except the Batch state beside a FIFO (OUT.batch.json, OUT.batch.d/): files two runs must not share.
    const lock = config.batchApi ? acquireLock(out.path) : undefined;
    try {
      // A FIFO is opened once it has a reader, which the run waits for before it sends (see sendRows).
      const fifo = openFifoOutput(out.path, out.format, layout);
      if (fifo) return { writer: fifo.writer, lock, skip: undefined, fifo };
      return { writer: openStreamOutput(out.path, out.format, layout, io), lock, skip: undefined };
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  const exists = existingOutput(out.path, config);
  stop?.throwIfAborted();
  const lock = acquireLock(out.path);
  // Under the lock: no other run makes them meanwhile. A symlink (even to nothing) is the user's.
  const created = runFiles(out.path).every((file) => fs.lstatSync(file, { throwIfNoEntry: false }) === undefined);
  try {
    // A compaction killed mid-way left its temp file; holding the lock, no other run is writing it.
    removeCompactLeftover(out.path);
    // So did a run killed while it replaced OUT.meta.json or OUT.batch.json (OUT.batch.json.PID.tmp),
    // or in its first ms, while it checked OUT could be written (an empty OUT.PID.tmp: only empty
    // ones, the user's `out.jsonl.2025.tmp` is left as it is).
    removeDeadTemps(out.path, true);
    for (const side of [metaPath(out.path), manifestPath(out.path)]) removeDeadTemps(side);
    const current = describeRun(config, inputFingerprint, inputFormat, layout, schemaFingerprint);
    // --batch-api: batches not collected yet become rows of the run that planned them, so a resume is
    // checked against it before they are collected, even while the output has no row.
    // From stdin, whose content is not recorded, their records are what the input must start with.
    const uncollected = config.resume && config.batchApi ? uncollectedRun(out.path, exists, inputFingerprint === null && !config.forceResume) : undefined;
    const resumed =
      config.resume && (exists || uncollected) && out.format !== 'text'
        ? await loadResumeSkip(config, out.path, out.format, current, inputFingerprint, layout, uncollected, stop)
        : undefined;
    // The last refusal before the file is made (or written to): a --cache-dir the run cannot use.
    // Only for a directory the user chose: the default one only warns, later.
    if (config.cache?.explicit) refuseUnusableCacheDir(config);
    // A stop during those steps (a CSV's repair reads it whole): not a row of metadata written for it.
    stop?.throwIfAborted();
    const open = (gone?: () => void) => {
      // --overwrite: the old rows go once the new run's record is written, just before it replaces
      // theirs. Killed between the two, the file is empty (a fresh start for a resume), never the old
      // rows under the new record; a record that cannot be written (a full disk) leaves them be.
      const replacing = exists && !config.resume ? () => emptyDurably(out.path) : undefined;
      // The format written, so that a resume, --compact, merge and report read the file as it is.
      writeRunMeta(out.path, { ...(resumed?.meta ?? current), [OUTPUT_FORMAT_KEY]: out.format }, replacing);
      gone?.();
      return openFileWriter(out.path, out.format, { append: config.resume, csv: layout, lockLost: () => lock.lost });
    };
    // Rows into a file removed or moved away meanwhile (`rm`, log rotation) go where nobody reads
    // them: the run stops at the next heartbeat rather than pay for more of them.
    const watched = <W extends RowWriter>(writer: W): W => {
      lock.watch(() => writer.checkInPlace?.());
      return writer;
    };
    if (exists && !config.resume) {
      const pending = watched(replaceOnFirstRow(open));
      return { writer: pending, lock, skip: undefined, pending };
    }
    if (!resumed || out.format === 'text') return { writer: watched(open()), lock, skip: undefined, created };
    const counted = countSuperseding(watched(open()), resumed.supersedes, resumed.lastLineInOrder);
    return {
      writer: counted.writer,
      lock,
      skip: resumed.skip,
      tagRows: resumed.tagRows,
      ...(resumed.note !== undefined ? { resumeNote: resumed.note } : {}),
      ...(resumed.done !== undefined ? { done: resumed.done } : {}),
      compact: {
        path: out.path,
        format: out.format,
        layout,
        superseded: counted.superseded,
        earlier: resumed.superseded,
        runModel: resumed.runModel,
        inOrder: counted.inOrder,
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * An output's batches not collected yet (see UncollectedRun), or undefined when it has none;
 * `records`, with their records. `rows`: the output holds some.
 */
export function uncollectedRun(output: string, rows: boolean, records: boolean): UncollectedRun | undefined {
  const manifest = readManifest(output);
  const batches = manifest?.chunks.filter((c) => !c.collected).length ?? 0;
  if (!manifest || batches === 0) return undefined;
  // Only built (an upload failed, or a server that could not be reached: its --base-url corrected since).
  const unsent = !rows && manifest.chunks.every((c) => !c.collected && !submitted(c) && !c.previousBatchIds?.length);
  return { batches, holds: records ? batchedRecords(output, manifest) : undefined, unsent };
}

export interface CloseOptions {
  /** The input held no prompts: the old file is kept. */
  empty?: boolean;
  /** Ends the closing work (see StopSignals.closing). */
  closing?: AbortSignal | undefined;
  /** Where the compaction's progress is shown (a terminal); not shown without it. */
  progress?: ReadProgressFactory | undefined;
  /**
   * Prompts were left unasked or unanswered though the run was not stopped (a --batch-api run at
   * its --max-cost, or with batches still out): a --retry-failed pass is not over, and its mark stays
   * for the resume that goes on with it; an --overwrite's old file is replaced only if it was already.
   */
  unfinished?: boolean;
}

/** What a run makes of `output`: the results, their record, and a --batch-api run's plan and its folder. */
const runFiles = (output: string): string[] => [output, metaPath(output), manifestPath(output), chunkDir(output)];

/**
 * Closes the writer. A finished run replaces the old file; a stopped one keeps it, and so does one
 * whose input held no prompts (`empty`: a failed export must not wipe yesterday's results) or that
 * is `unfinished` with nothing of its own written yet.
 * Returns whether the old file was kept. A resume stopped by a signal leaves its compaction to the
 * next one, and says so; `closing` (see StopSignals.closing) ends one under way:
 * CompactionInterruptedError, said first.
 */
export async function closeOutputTarget(
  config: CliConfig,
  target: OutputTarget,
  stopped: StopReason | undefined,
  info: (line: string) => void,
  { empty = false, closing, progress, unfinished = false }: CloseOptions = {},
): Promise<boolean> {
  // A --batch-api run that ends unfinished with the old file still in place asked for no batch (it
  // replaces the file as it does) and wrote no row: nothing of it is there to take their place.
  if (!stopped && !empty && !unfinished) target.pending?.replace();
  const oldFileKept = target.pending !== undefined && !target.pending.replaced;
  if (oldFileKept && config.output.kind === 'file') {
    const why = empty ? 'the input held no prompts' : stopped ? 'the run stopped before its first row' : 'the run asked for no batch and wrote no row';
    info(`${config.output.path} is left as it was: ${why}`);
  }
  // A writer whose reader left, or that failed (a full disk), has nothing more to flush; the run still ends in order.
  await target.writer.close().catch((err: unknown) => {
    if (!(stopped === 'output_closed' && err instanceof OutputClosedError) && !(stopped === 'output_failed' && err instanceof OutputWriteError)) throw err;
  });
  // No prompts (exit 5, "nothing was sent"): nothing is left of the files this run made, a CSV's
  // header, the run's record and a --batch-api run's empty plan included, which the next run into
  // the same path took for results and refused.
  if (empty && target.created && config.output.kind === 'file') {
    for (const file of runFiles(config.output.path)) fs.rmSync(file, { recursive: true, force: true });
    return false;
  }
  const compact = target.compact;
  // Compacting needs room a full disk does not have: superseded rows stay (an id's last row wins),
  // and the next resume compacts them (`earlier`), even one with nothing left to ask.
  const superseded = compact?.superseded() ?? 0;
  // Nothing superseded: a compaction only puts the rows in order, and a failure to is a note, not a
  // stop (every row is there).
  const orderOnly = superseded === 0 && compact?.earlier !== true;
  // --order input: a resume appends the rows an earlier run did not write after those it did, and a
  // stopped run wrote the rows it held for order: the compaction puts them back in order (see
  // CompactOptions.inputOrder). Not on a stop: the next resume does it; nor for a file known in order
  // (the resume read it, and saw what it wrote after).
  const inputOrder = config.order === 'input' && !config.batchApi && stopped === undefined && !(orderOnly && compact?.inOrder());
  const due = compact !== undefined && (superseded > 0 || compact.earlier || inputOrder);
  // A stop (Ctrl-C, SIGTERM) ends the run at once: compacting a large output takes a while (27 s for
  // 500 MB), and the next resume does it (`earlier`) with every row still there.
  if (due && stopped === 'interrupted') info(new CompactionInterruptedError(compact.path).message);
  else if (due && stopped !== 'output_failed') {
    // One row per prompt for readers that do not apply "last row wins" (jq, pandas); written to a
    // temporary file and renamed over the output under the lock, so a kill -9 leaves one or the other.
    const shown = progress?.(`compacting ${compact.path}`, 2 * filesSize([compact.path]));
    const compacted = compactFile(compact.path, compact.format, compact.layout, compact.runModel, { signal: closing, onRead: shown?.add, inputOrder });
    const { dropped, reordered, unordered } = await compacted
      .finally(() => shown?.done())
      .catch((err: unknown) => {
        // Not the temp file's name: it is removed by now (`Cannot write to output file /abs/out.jsonl.compact.tmp: EFBIG…`).
        const why = errorMessage(err).replace(/^Cannot write to output file .*\.compact\.tmp: /s, '');
        if (orderOnly && !closing?.aborted && !isBug(err)) {
          info(`${compact.path}: its rows stay out of input order (${why}): the next --resume puts them in order`);
          return { dropped: 0, reordered: false, unordered: false };
        }
        if (closing?.aborted) {
          const interrupted = new CompactionInterruptedError(compact.path, orderOnly);
          info(interrupted.message);
          throw interrupted;
        }
        // As a full disk's: the file keeps every row, and the next resume compacts it (`earlier`).
        throw new OutputWriteError(
          `${compact.path} was not compacted (${why}): every row is kept, the superseded ones too (the last row per prompt counts), and the next --resume compacts them`,
        );
      });
    if (dropped > 0) info(`${compact.path}: ${compactedWords(dropped, superseded)} (compacted)`);
    if (reordered) info(`${compact.path}: its rows put back in input order (--order input)`);
    if (unordered)
      info(
        `${compact.path}: its rows stay out of input order: they are in more stretches of it than a compaction merges (written by a run without --order input?)`,
      );
  }
  if (!stopped && !unfinished && config.resume && config.retryFailed && config.output.kind === 'file') endRetryFailed(config.output.path, info);
  return oldFileKept;
}

/**
 * What a resume's compaction dropped: rows this run replaced, and rows an earlier one replaced but
 * left (a run killed or stopped before its own compaction), which this run must not claim.
 */
function compactedWords(dropped: number, superseded: number): string {
  const ours = Math.min(dropped, superseded);
  const earlier = dropped - ours;
  const words = [];
  if (ours > 0) words.push(`${counted(ours, 'superseded row')} replaced by this run's`);
  if (earlier > 0) words.push(`${counted(earlier, ours > 0 ? 'row' : 'superseded row')} left by an earlier run dropped`);
  return words.join(', ');
}

/**
 * A --retry-failed run that went to its end asked every failure again: the next one asks them all
 * again (see RETRY_FAILED_SINCE_KEY). Metadata that cannot be rewritten only costs that next one those.
 */
function endRetryFailed(path: string, info: (line: string) => void): void {
  try {
    const meta = readRunMeta(path);
    if (meta?.[RETRY_FAILED_SINCE_KEY] === undefined) return;
    const { [RETRY_FAILED_SINCE_KEY]: _, ...rest } = meta;
    writeRunMeta(path, rest);
  } catch (err) {
    info(
      `${metaPath(path)} still says a --retry-failed run stopped (${errorMessage(err)}): the next --retry-failed leaves out the failures this one asked again`,
    );
  }
}

/** Truncates `file` to nothing and syncs that, so that no later write reaches the disk before it. */
function emptyDurably(file: string): void {
  try {
    const fd = fs.openSync(file, 'r+');
    try {
      fs.ftruncateSync(fd, 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw new RunError(`Cannot open output file ${file}: ${errorMessage(err)}`, 'output');
  }
}

/** A live --resume into a stream (-o /dev/null, a FIFO) has no rows to read back: refused (a dry run's too). */
export function refuseStreamResume(config: Pick<CliConfig, 'resume' | 'batchApi'>, path: string): void {
  if (config.resume && !config.batchApi) throw new UsageError(`--resume needs a regular output file; ${path} is a stream`);
}
