import { ReasoningLeftOut } from './reasoning-left-out.js';
import type { BatchEvent } from '../engine/events.js';
import { onAbort } from '../util/on-abort.js';
import { uncountRow, type BatchStats } from '../engine/stats.js';
import { runBatchGroups } from '../engine/run-batch.js';
import { CompactionInterruptedError, OutputAbandonedError, OutputClosedError, OutputWriteError, RunError } from '../errors.js';
import { readRecords } from '../input/index.js';
import { shardRecords } from '../input/shard.js';
import type { Complete } from '../provider/completion.js';
import type { PriceLookup } from '../budget/prices.js';
import type { RunBudget } from '../budget/run-budget.js';
import { writesCsv, type CliConfig } from './config.js';
import type { ProviderSettings } from './create-provider.js';
import { createReporter, type CliReporter } from './create-reporter.js';
import { engineOptions } from './engine-options.js';
import type { CliIo } from './io.js';
import { inputOptionsFor, type OpenedInput } from './open-input.js';
import { ranNothing } from './empty-input.js';
import { finishRun, summarySoFar } from './outcome.js';
import { announceTarget, closeOutputTarget, type OutputTarget } from './output-target.js';
import { resumeHint, withResumeCommand } from './resume-hint.js';
import { skipAnswered } from './resume-skip.js';
import { limitRecords } from './limit-records.js';
import { concurrencyWithinFdLimit, fdLimitFor } from './fd-limit.js';
import { listenForStop, type StopSignals } from './stop-signals.js';
import type { StructuredSetup } from './structured-setup.js';
import { writeRows } from './write-rows.js';
import { UsageTally, type RunSummary } from '../ui/summary.js';
import type { ResultRow } from '../types.js';
import { openCache, type OpenedCache } from './open-cache.js';
import { expandMatrix } from '../input/expand-matrix.js';
import { ModelTally } from '../ui/model-tally.js';
import { markRunning, type RunPhase } from './refused-summary.js';
import { RunReport } from './run-report.js';
import { dropUnsubmittedBatches, type SeenBatchState } from './pending-batches.js';
import { displayMode } from './display-mode.js';
import { readProgress, type ReadProgressFactory } from '../ui/file-progress.js';

/** run-command.ts makes a display that shows before the output is open from here, with the rest of the run's code. */
export { createReporter };

/** What the run holds open as it sends; run-command.ts releases it, in its order, however the run ends. */
export interface SendHeld {
  reporter?: CliReporter | undefined;
  complete?: Complete;
  signals?: StopSignals;
  cache?: OpenedCache | undefined;
  runReport?: RunReport | undefined;
}

/** What run-command.ts opened and checked before the run's own code loaded. */
export interface Opened {
  stats: BatchStats;
  input: OpenedInput;
  target: OutputTarget;
  structured: StructuredSetup | undefined;
  budget: RunBudget | undefined;
  prices: PriceLookup | undefined;
  /** The output's batch state as judged before the run took the output (refuseLiveOverPendingBatches). */
  batchState: SeenBatchState;
}

/**
 * The live run once its output is open: the display (unless made earlier), the cache (a refusal of
 * its own, still before the SDK loads), the signals, the engine, the rows and the summary.
 */
export async function sendRows(config: CliConfig, io: CliIo, phase: RunPhase, settings: ProviderSettings, opened: Opened, held: SendHeld): Promise<number> {
  const { redact, viaProxy } = settings;
  const { stats, input, target, structured, budget, prices } = opened;
  const reporter = (held.reporter ??= await createReporter(config, io, stats));
  announceTarget(target, (line) => reporter.info(line));
  // A part --max-cost cannot bound (an image for a model of no known vision pricing) is said once per model.
  if (budget) budget.say = (line) => reporter.info(line);
  const cache = (held.cache = await openCache(config, reporter));
  // Batches an earlier --batch-api run built and never submitted: this run sends their prompts.
  dropUnsubmittedBatches(config, (line) => reporter.info(line), opened.batchState);
  // Nothing more refuses the run before it sends: the SDK loads from here (in the background).
  const complete = (held.complete = settings.start());
  // Listened for since before the output was locked (run-command.ts): a stop may have come since.
  const signals = (held.signals ??= listenForStop(io, stats, (line) => reporter.info(line)));
  onAbort(signals.stop, () => reporter.stopping());
  // Rows that could go nowhere are not paid for: into a FIFO, nothing is sent before its reader comes.
  if (target.fifo) await target.fifo.waitForReader(signals.stop, (line) => reporter.info(line));
  const runReport = (held.runReport = config.report ? new RunReport({ ...config, report: config.report }, prices) : undefined);
  let records = readRecords(input.stream, inputOptionsFor(config, input));
  // A shard first (every model and sample of a record lands in the same shard); --limit then samples the shard's
  // own records, before each becomes one request per model and sample (--limit counts records, as --dry-run does).
  const shardTally = { others: 0 };
  if (config.shard) records = shardRecords(records, config.shard, shardTally);
  if (config.data.limit !== undefined) records = limitRecords(records, config.data.limit);
  records = expandMatrix(records, { models: config.models, repeat: config.repeat, tagged: target.tagRows });
  if (target.skip) records = skipAnswered(records, target.skip, stats);
  // EMFILE would fail prompts for a local reason: stay within `ulimit -n`, and say so once.
  const fd = concurrencyWithinFdLimit(config.concurrency);
  if (fd.limit !== undefined) {
    reporter.info(
      `-c ${config.concurrency} lowered to ${fd.concurrency}: this process may open only ${fd.limit} files (ulimit -n); raise it (ulimit -n ${fdLimitFor(config.concurrency)}) for all of -c`,
    );
  }
  const onEvent = (event: BatchEvent) => {
    reporter.event(event);
    runReport?.event(event);
  };
  // Tallied as the engine makes each row, as it counts the row's tokens in `stats`: the cost is priced
  // on the same answers, those whose rows stdout's reader left before they were written included.
  const usage = new UsageTally(config.model);
  const modelTally = config.models.length > 1 ? new ModelTally(config.model, config.models, 1, prices) : undefined;
  // A CSV has no column for a reasoning model's thinking (README: CSV columns): said once, at the end.
  const leftOut = new ReasoningLeftOut(writesCsv(config));
  const onRow = (row: ResultRow, model?: string) => {
    usage.add(row, model);
    modelTally?.add(row);
    leftOut.add(row);
  };
  // A row that never reached the output (its write failed, or the output failed before its turn):
  // the counts are the rows the output holds, the row is among those not run. Its tokens stay, paid for.
  const unwritten = (row: ResultRow) => {
    uncountRow(stats, row);
    modelTally?.uncount(row);
  };
  const rows = runBatchGroups(records, {
    ...engineOptions(config, { complete, stats, signals, onEvent, structured: structured?.structured, cache: cache?.cache, budget }),
    concurrency: fd.concurrency,
    onRow,
    onDropped: unwritten,
  });
  // From the hard stop on the output waits for no reader (`| less` not scrolled): what it has not taken is given up.
  onAbort(signals.abort, () => target.writer.stopWaiting?.());
  const keptSoFar = () => target.pending !== undefined && !target.pending.replaced;
  const soFarParts = () => ({ oldFileKept: keptSoFar(), budget, prices, modelTally, usage: usage.byModel });
  phase.soFar = () => summarySoFar(config, soFarParts(), stats);
  phase.sending = true;
  markRunning(config);
  let { outcome, notFound, redirected } = await writeRows(rows, runReport ? runReport.tee(target.writer) : target.writer, reporter, (rows) => {
    for (const row of rows) unwritten(row);
  }).catch((err: unknown) => {
    // Input that turns unreadable once sending began: its line ends with the summary's resumeHint.
    const stopped = withResumeCommand(err, resumeHint(config, keptSoFar()));
    // As after every other stop, the summary line says what was answered and what was not:
    // `stopped (error): …`, as --summary-json's `"stopped": "error"`. The error line that follows
    // names the cause and ends with the command, so the summary does not repeat it. Not for an input
    // refused at its first bytes (a ZIP, a binary file), nothing read or sent: that is no run stopped.
    const begun = stats.read + stats.requests + stats.ok + stats.failed + stats.skipped > 0;
    if (stopped instanceof RunError && !(stopped instanceof OutputClosedError) && begun) {
      if (modelTally) for (const line of modelTally.lines()) reporter.info(line);
      reporter.finish({ ...summarySoFar(config, soFarParts(), stats), stopped: 'error', resumeHint: null });
    }
    throw stopped;
  });
  // A signal the prompts in flight outlived: the engine says every record got its row (a library
  // caller's stop then asked nothing of it), but the CLI was told to stop: interrupted, exit 130, no
  // closing work (README: Crash safety).
  if (!outcome.stopped && signals.stop.aborted) outcome = { stopped: 'interrupted', message: 'interrupted' };
  // Nothing was read: a Ctrl-C that ended the input too (`sleep 30 | llm-batch` on a terminal, whose
  // writer got the same signal) may be handled just after the input's end, in the same turn of the
  // loop. It ends the run as interrupted, not as an empty input.
  let empty = ranNothing(outcome, stats, shardTally.others);
  if (empty && !signals.stop.aborted) await new Promise((resolve) => setImmediate(resolve));
  if (empty && signals.stop.aborted) {
    outcome = { stopped: 'interrupted', message: 'interrupted' };
    empty = false;
  }
  // The engine is done: a signal from here ends the compaction and the report at once (see StopSignals.closing).
  const closing = signals.closing();
  // A resume's compaction shows its progress where the bar was: the bar has nothing more to count.
  const progress: ReadProgressFactory | undefined = displayMode(config, io).interactive
    ? (label, total) => {
        reporter.close();
        return readProgress(io.stderr, label, total);
      }
    : undefined;
  const info = (line: string) => reporter.info(line);
  const oldFileKept = await closeOutputTarget(config, target, outcome.stopped, info, { empty, closing, progress }).catch((err: unknown) => {
    // The last rows failed as they were flushed (-o /dev/full), or the hard stop gave up on them (or
    // on the compaction): a stop like one during the run.
    if (err instanceof OutputAbandonedError || err instanceof CompactionInterruptedError) outcome = { stopped: 'interrupted', message: err.message };
    else if (err instanceof OutputWriteError) outcome = { stopped: 'output_failed', message: err.message };
    else throw err;
    return keptSoFar();
  });
  const reasoning = leftOut.line();
  if (reasoning) info(reasoning);
  // From here the run's own summary says how it ended.
  phase.summing = true;
  // A Ctrl-C on `llm-batch | jq` closes the pipe too (the terminal signals the whole pipeline): the
  // user interrupted, and hears so (exit 130 and the summary), not of a reader that left (141, quiet).
  if (outcome.stopped === 'output_closed' && signals.stop.aborted) outcome = { stopped: 'interrupted', message: 'interrupted' };
  const report = runReport && ((summary: RunSummary) => runReport.finish(summary, oldFileKept, { signal: closing }));
  return await finishRun(
    config,
    {
      outcome,
      notFound,
      redirected,
      oldFileKept,
      viaProxy,
      budget,
      prices,
      modelTally,
      usage: usage.byModel,
      otherShards: shardTally.others,
      done: target.done,
    },
    stats,
    reporter,
    redact,
    signals.abort,
    report,
  );
}
