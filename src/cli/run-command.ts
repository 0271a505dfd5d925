import type { BatchEvent } from '../engine/events.js';
import { createStats, uncountRow } from '../engine/stats.js';
import { runBatchGroups } from '../engine/run-batch.js';
import { OutputWriteError, RunError } from '../errors.js';
import { readRecords } from '../input/index.js';
import { shardRecords } from '../input/shard.js';
import { checkWritableFile } from './check-writable.js';
import { runCompact } from './compact-command.js';
import { requireKey, type CliConfig } from './config.js';
import { createProvider } from './create-provider.js';
import { createReporter } from './create-reporter.js';
import { engineOptions } from './engine-options.js';
import type { CliIo } from './io.js';
import { checkInputFile, inputOptionsFor } from './open-input.js';
import { openRunInput } from './open-run-input.js';
import { ranNothing } from './empty-input.js';
import { finishRun, summarySoFar } from './outcome.js';
import { closeOutputTarget, openOutputTarget, type OutputTarget } from './output-target.js';
import { resumeHint, withResumeCommand } from './resume-hint.js';
import { skipAnswered } from './resume-skip.js';
import { limitRecords } from './limit-records.js';
import { concurrencyWithinFdLimit } from './fd-limit.js';
import { listenForStop, type StopSignals } from './stop-signals.js';
import { setUpStructured } from './structured-output.js';
import { writeRows } from './write-rows.js';
import type { RunReport } from './run-report.js';
import type { RunSummary } from '../ui/summary.js';
import { openCache, type OpenedCache } from './open-cache.js';
import { openBudget } from './open-budget.js';
import { expandMatrix } from '../input/expand-matrix.js';
import { ModelTally } from '../ui/model-tally.js';
import { refuseLiveOverPendingBatches } from './pending-batches.js';
import { writeRefusedSummary, type RunPhase } from './refused-summary.js';

/** The CLI's run, live or --batch-api; --compact and --dry-run write no summary. */
export async function runCommand(config: CliConfig, io: CliIo): Promise<number> {
  if (config.compact) return runCompact(config, io);
  if (config.dryRun) return (await import('./dry-run.js')).runDryRun(config, io);
  const phase: RunPhase = { sending: false };
  try {
    if (config.batchApi) return await (await import('./batch-api-command.js')).runBatchApiCommand(config, config.batchApi, io, phase);
    return await runLive(config, io, phase);
  } catch (err) {
    if (err instanceof RunError) writeRefusedSummary(config, err, phase);
    throw err;
  }
}

/** The live run: input → engine → output, with locking, resume, signals and the summary. */
async function runLive(config: CliConfig, io: CliIo, phase: RunPhase): Promise<number> {
  // The input file and the schema are checked before the key: wrong whatever else is right.
  checkInputFile(config);
  const structured = await setUpStructured(config, io);
  requireKey(config, io.env);
  if (config.summaryJson) checkWritableFile(config.summaryJson, '--summary-json');
  if (config.report) {
    checkWritableFile(config.report, '--report');
    (await import('../report/report-target.js')).checkReportTarget(config.report, '--report', config.overwrite, []);
  }
  const { budget, prices } = openBudget(config, config.models);
  refuseLiveOverPendingBatches(config);

  // Started before the input and output are opened, so the SDK loads meanwhile.
  const { complete, redact, viaProxy } = createProvider(config, io);
  // The display first: its spinner covers waiting for stdin and hashing a large input.
  const stats = createStats();
  const reporter = await createReporter(config, io, stats);
  const { input, inputFingerprint, layout } = await openRunInput(config, io, reporter);
  let target: OutputTarget | undefined;
  let signals: StopSignals | undefined;
  let cache: OpenedCache | undefined;
  let runReport: RunReport | undefined;
  try {
    // A schema's fields get CSV columns of their own, right after id (and a resume checks for them).
    const csv = structured ? { ...layout, outputColumns: structured.csvColumns } : layout;
    target = await openOutputTarget(config, io, inputFingerprint, reporter.answerWriter, csv, structured?.fingerprint);
    if (target.lock?.note) reporter.info(target.lock.note);
    if (target.resumeNote) reporter.info(target.resumeNote);
    cache = await openCache(config, (line) => reporter.info(line));
    signals = listenForStop(io, stats, (line) => reporter.info(line));
    signals.stop.addEventListener('abort', () => reporter.stopping(), { once: true });
    // Loaded only for --report: a plain run does not pay for the report's code at start-up.
    runReport = config.report ? new (await import('./run-report.js')).RunReport({ ...config, report: config.report }, prices) : undefined;
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
        `-c ${config.concurrency} lowered to ${fd.concurrency}: this process may open only ${fd.limit} files (ulimit -n); raise it (ulimit -n 4096) for more`,
      );
    }
    const onEvent = (event: BatchEvent) => {
      reporter.event(event);
      runReport?.event(event);
    };
    const rows = runBatchGroups(records, {
      ...engineOptions(config, { complete, stats, signals, onEvent, structured: structured?.structured, cache: cache?.cache, budget }),
      concurrency: fd.concurrency,
    });
    const modelTally = config.models.length > 1 ? new ModelTally(config.model, config.models, 1, prices) : undefined;
    const sent = target;
    const keptSoFar = () => sent.pending !== undefined && !sent.pending.replaced;
    phase.soFar = () => summarySoFar(config, { oldFileKept: keptSoFar(), budget, prices, modelTally }, stats, reporter);
    phase.sending = true;
    let { outcome, notFound } = await writeRows(
      rows,
      runReport ? runReport.tee(target.writer) : target.writer,
      reporter,
      modelTally && ((row) => modelTally.add(row)),
      (unwritten) => {
        for (const row of unwritten) uncountRow(stats, row);
      },
    ).catch((err: unknown) => {
      // Input that turns unreadable once sending began: its line ends with the summary's resumeHint.
      throw withResumeCommand(err, resumeHint(config, keptSoFar()));
    });
    const out = target;
    const oldFileKept = await closeOutputTarget(
      config,
      target,
      outcome.stopped,
      (line) => reporter.info(line),
      ranNothing(outcome, stats, shardTally.others),
    ).catch((err: unknown) => {
      // The last rows failed as they were flushed (-o /dev/full): a stop like one during the run.
      if (!(err instanceof OutputWriteError)) throw err;
      outcome = { stopped: 'output_failed', message: err.message };
      return out.pending !== undefined && !out.pending.replaced;
    });
    // From here the run's own summary says how it ended.
    phase.soFar = undefined;
    const opened = runReport;
    const report = opened && ((summary: RunSummary) => opened.finish(summary, oldFileKept));
    return await finishRun(
      config,
      { outcome, notFound, oldFileKept, viaProxy, budget, prices, modelTally, otherShards: shardTally.others },
      stats,
      reporter,
      redact,
      signals.abort,
      report,
    );
  } finally {
    signals?.dispose();
    reporter.close();
    await complete.close?.();
    await cache?.close().catch(() => {});
    // A run that threw (an output it could not write) never made its report: its copy of the rows goes too.
    await runReport?.dispose();
    target?.lock?.release();
    await input.close();
  }
}
