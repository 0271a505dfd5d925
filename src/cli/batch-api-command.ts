import fs from 'node:fs';
import { MOCK_BASE_URL, runLimitField } from './chat-base-url.js';
import { createBatchClient } from '../batch/batch-client.js';
import { BatchJob, BatchRefusedError, BatchUnreachableError, OUTAGE_LIMIT_MS, OUTAGE_NOTE_MS, type BatchJobOutcome } from '../batch/batch-job.js';
import { endpointTrouble } from './diagnose-endpoint.js';
import {
  chunkDir,
  emptyState,
  heldPlace,
  isEmptyState,
  isOpen,
  manifestPath,
  openChunks,
  readManifest,
  runningOnServer,
  writeManifest,
  type Manifest,
} from '../batch/manifest.js';
import { CompactionInterruptedError, ExitCode, isNamedStop, OutputClosedError, OutputWriteError, RunError } from '../errors.js';
import { readRecords } from '../input/index.js';
import { createMockBatchFetch } from '../provider/mock-batch-fetch.js';
import { createRedactor } from '../redact.js';
import { runBatch } from '../engine/run-batch.js';
import { shardRecords } from '../input/shard.js';
import { expandMatrix } from '../input/expand-matrix.js';
import { entryAnswer, type IndexEntry } from '../batch/plan-chunks.js';
import { BUDGET_DEFAULT_MAX_TOKENS } from '../budget/run-budget.js';
import { usdFigure } from '../budget/spend-cap.js';
import { collectedCacheBody } from '../batch/request-line.js';
import { createPriceLookup, type PriceLookup } from '../budget/prices.js';
import { capUsd, exactUsd } from '../ui/number-format.js';
import { USE_NEW_FILE } from '../output/csv-file-layout.js';
import { batchWorstCase } from './cost-advice.js';
import { ModelTally } from '../ui/model-tally.js';
import { BATCH_PRICE_FACTOR } from './batch-dry-run.js';
import { createProvider } from './create-provider.js';
import { engineOptions } from './engine-options.js';
import { openBudget } from './open-budget.js';
import { openCache, type OpenedCache } from './open-cache.js';
import { answeredFromCache } from './batch-cache.js';
import { countFailure } from '../engine/build-row.js';
import { countFinish, createStats, uncountRow, type BatchStats } from '../engine/stats.js';
import type { PromptRecord, ResultRow } from '../types.js';
import { createBatchProgress } from '../ui/batch-progress.js';
import { readProgress } from '../ui/file-progress.js';
import { isInteractive, traceOnTerminal } from './display-mode.js';
import { terminalWidth } from './terminal-width.js';
import { localeIsAscii } from '../ui/plain-text.js';
import { createPlainReporter, type Reporter } from '../ui/reporter.js';
import { buildSummary, UsageTally, type RunSummary } from '../ui/summary.js';
import { apiKeyOf, inputFileOf, requireKey, type BatchApiConfig, type CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { inputOptionsFor, openInput } from './open-input.js';
import { checkInputFile } from './check-input.js';
import { proxyFromEnv } from './proxy-env.js';
import { NEW_CAP, resumeHint, withResumeCommand } from './resume-hint.js';
import { liveStopError } from './outcome.js';
import { checkWritableFile, sideNameTooLong, unwritableReason } from './check-writable.js';
import { inputErrorLines } from './input-error-lines.js';
import { isStreamTarget } from './stream-target.js';
import { openBatchReport, writeBatchReport } from './batch-report.js';
import type { RunReport } from './run-report.js';
import { announceTarget, closeOutputTarget, openOutputTarget, type OutputTarget } from './output-target.js';
import { outputFailedLine } from './output-failed-line.js';
import { holdUnrecorded, skipAnswered, withoutHandled } from './resume-skip.js';
import { fingerprint } from './run-identity.js';
import { csvLayoutFor, withFieldColumns } from './csv-layout-for.js';
import { limitRecords } from './limit-records.js';
import { emptyShardMessage, noPromptsMessage } from './empty-input.js';
import { setUpStructured } from './structured-output.js';
import { openTrace } from './trace-target.js';
import { batchList, settleKeptResults, uncollectedBatches, uncollectedCounts } from './pending-batches.js';
import { writeSummaryJson } from './write-summary-json.js';
import { markRunning, type RunPhase } from './refused-summary.js';
import { counted } from '../util/group-digits.js';
import { lostMockBatches, lostMockBatchesMessage, MOCK_BATCHES_GONE } from './mock-batches-gone.js';
import { ignoreLateSignal, listenForHangup } from './stop-signals.js';
import { pendingLine } from './batch-end-lines.js';
import { shellQuote } from './shell-quote.js';
import { budgetEnd, NO_STREAM_RESUME, resumable, streamResumeRefusal, unplannableLine } from './batch-stream-resume.js';
import { checkReportTarget } from '../report/report-target.js';
import { interruptedAtOpen } from './interrupted-at-open.js';
import { OPENAI_V1 } from '../provider/openai-url.js';
import { ReasoningLeftOut } from './reasoning-left-out.js';

function countRow(stats: BatchStats, row: ResultRow): void {
  // A line a batch ran is a request. A row of a line never run (a bad record, a cancelled batch's)
  // is none, as live; --finish-live's requests are its live engine's count.
  if (row.batch_id !== undefined && row.attempts > 0) stats.requests++;
  // A line the batch's server refused with a 429 is one the run met, as a live request's.
  if (row.batch_id !== undefined && row.error?.status === 429) stats.rateLimited++;
  countFinish(stats, row.finish_reason);
  if (row.error) {
    countFailure(stats, row.error);
  } else {
    stats.ok++;
    if (!row.usage) stats.rowsWithoutUsage++;
  }
  if (row.usage) {
    stats.promptTokens += row.usage.prompt_tokens;
    stats.completionTokens += row.usage.completion_tokens;
  }
}

/**
 * A previous run's batches: continued with --resume, abandoned with --overwrite, else a refusal.
 * Judged before the output is opened (`drop` false: refusals only) and again once the run holds it
 * (`drop`: the abandoned state removed). While the output still holds that run's results
 * (`oldResults`), its state stays, its open batches closed (their request files go), and is returned:
 * the --overwrite's plan is kept beside it until it replaces them (see Manifest.overwriting).
 */
function checkManifest(config: CliConfig, output: string, info: (line: string) => void, drop: boolean, oldResults = false): Manifest | undefined {
  const manifest = readManifest(output);
  if (!manifest) return undefined;
  // An earlier --mock run's batches ended with its process: --resume cannot collect them, nor could
  // `cancel` reach them to stop a bill there never was.
  const lost = lostMockBatches(output);
  if (lost.length > 0 && !config.overwrite) throw new RunError(lostMockBatchesMessage(output, lost), 'output');
  // And a --mock run (--force-resume past the meta's difference) could collect none of the batches a
  // server has: it would put its own beside them, and its meta over the one that says whose they are.
  const onServer = config.provider.kind === 'mock' && lost.length === 0 && config.resume ? uncollectedBatches(manifest) : [];
  if (onServer.length > 0) {
    const [n, it] = onServer.length === 1 ? ['1 batch', 'it'] : [`${onServer.length} batches`, 'them'];
    throw new RunError(
      `${manifestPath(output)} lists ${n} of an earlier run on a server, not collected yet (${batchList(onServer)}): a --mock run cannot collect ${it}; --resume with that run's --base-url`,
      'output',
    );
  }
  // A FIFO's rows cannot be read back: once its batches are collected, a resume would pay twice.
  const stream = !config.overwrite && isStreamTarget(output) ? streamResumeRefusal(output, manifest) : undefined;
  if (stream) throw new RunError(stream, 'output');
  if (config.resume) return undefined;
  const open = manifest.chunks.filter(isOpen).length;
  // Batches on the server (or possibly created: a createKey without an answer) are known only to this
  // manifest: dropping it would leave them running, billing, with no way to collect or cancel them.
  const ids = lost.length > 0 ? [] : uncollectedBatches(manifest);
  if (!config.overwrite) {
    // Not "or --overwrite" while batches run: that is refused below (it offered what it then refused).
    const over =
      ids.length > 0 ? `, or cancel them (\`llm-batch cancel ${shellQuote(output)}\`) and then --overwrite to start again` : ', or --overwrite to start again';
    throw new RunError(
      `${manifestPath(output)} holds the batches of an earlier run${open ? ` (${open} not collected yet)` : ''}: pass --resume to continue it${over}`,
      'output',
    );
  }
  if (ids.length > 0) {
    throw new RunError(
      `${manifestPath(output)} lists ${ids.length} ${ids.length === 1 ? 'batch' : 'batches'} of an earlier run not collected yet (${batchList(ids)}): ` +
        `--overwrite would lose track of them while they run and bill; collect them with --resume, or cancel them with \`llm-batch cancel ${shellQuote(output)}\`, then --overwrite`,
      'output',
    );
  }
  // Only under the output's lock: a run that still has the output (uploading, planning) would lose
  // its state to a run the lock then refuses, and pay for a batch it could no longer collect.
  if (!drop) return undefined;
  if (lost.length > 0)
    info(`dropping ${counted(lost.length, 'uncollected batch', 'uncollected batches')} of the earlier --mock run, gone with its process (--overwrite)`);
  else if (open) info(`abandoning ${open} batches of the earlier run that were never submitted (--overwrite)`);
  // Both named first: with the manifest gone, an older run's state beside a link is no longer where they are.
  const [file, dir] = [manifestPath(output), chunkDir(output)];
  const kept = oldResults ? closedState(manifest) : undefined;
  // Replaced in one write: a kill -9 leaves the old state or the closed one, never neither.
  if (kept) writeManifest(output, kept);
  else fs.rmSync(file, { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  return kept;
}

/** `state` with its open batches closed, their lines left to its run's next --resume (which plans what has no row). */
function closedState(state: Manifest): Manifest {
  return {
    ...state,
    chunks: state.chunks.map((chunk) => (isOpen(chunk) ? { ...chunk, collected: true, note: 'abandoned by an --overwrite, with its request file' } : chunk)),
  };
}

/**
 * An output the run cannot continue (its header edited, or other settings given) whose batches are
 * still on the server: "use a new output file" would leave them, paid for, to no one. Said instead:
 * they are collected into this file by a resume with the run's own settings.
 */
function withPendingBatches(err: unknown, output: string): unknown {
  if (!(err instanceof RunError) || !err.message.endsWith(` ${USE_NEW_FILE}`)) return err;
  let pending: string[];
  try {
    const manifest = readManifest(output);
    pending = manifest ? uncollectedBatches(manifest) : [];
  } catch {
    return err;
  }
  if (pending.length === 0) return err;
  const which = `${pending.length === 1 ? 'Its batch' : `Its ${pending.length} batches`} still on the server (${batchList(pending)})`;
  return new RunError(
    `${err.message.slice(0, -USE_NEW_FILE.length - 1)} ${which} ${pending.length === 1 ? 'is' : 'are'} collected into this file by a --resume with the run's own settings (and the file as the run left it); a new output file would leave ${pending.length === 1 ? 'it' : 'them'} paid for and uncollected.`,
    err.code,
  );
}

/**
 * The batches' state goes beside -o: `-o /dev/stdout` as a user puts it where nobody may write.
 * Said before anything is sent, with a way to pipe the rows that works.
 */
function checkStateWritable(output: string): void {
  // A name too long for it is the name's fault, said as a live run says it (no FIFO would help).
  const tooLong = sideNameTooLong(manifestPath(output));
  if (tooLong) throw new RunError(`--output ${output}: ${tooLong}`, 'usage');
  const why = unwritableReason(manifestPath(output));
  // A directory in its place is in the way, and nothing a FIFO would help with.
  if (why && fs.statSync(manifestPath(output), { throwIfNoEntry: false })?.isDirectory())
    throw new RunError(`--batch-api -o ${output}: the batches' state goes beside it, in ${manifestPath(output)}, which is a directory: move it away`, 'usage');
  if (why) {
    throw new RunError(
      `--batch-api -o ${output}: the batches' state goes beside it, in ${manifestPath(output)}, which cannot be written (${why}); to pipe the rows on, make a FIFO of your own (mkfifo rows.jsonl) and give -o rows.jsonl`,
      'usage',
    );
  }
}

/** The structured spec with a schema file's text in place of its name: `cancel` may run elsewhere, later. */
function storedSpec(spec: NonNullable<CliConfig['structured']>): Record<string, unknown> {
  if (spec.kind !== 'schema' || spec.source.trimStart().startsWith('{')) return { ...spec };
  return { ...spec, source: fs.readFileSync(spec.source, 'utf8') };
}

/** How long an upload in flight when a stop came may go on (as a live run's requests get before the hard stop). */
const UPLOAD_GRACE_MS = 5000;

/** `llm-batch IN -o OUT --batch-api`: the same input, rows and resume as a live run, through the Batch API. */
export async function runBatchApiCommand(config: CliConfig, batchConfig: BatchApiConfig, io: CliIo, phase: RunPhase = { sending: false }): Promise<number> {
  // As live: the input file and the schema are checked before the key; the schema goes into every
  // line as a live body has it.
  checkInputFile(config, io.stdin);
  const structured = await setUpStructured(config, io);
  requireKey(config, io.env);
  if (config.summaryJson) checkWritableFile(config.summaryJson, '--summary-json', 'direct');
  if (config.output.kind !== 'file') throw new RunError('--batch-api needs -o FILE', 'usage');
  // A file's own directory first: a missing one is said as a live run says it.
  if (!isStreamTarget(config.output.path)) checkWritableFile(config.output.path, '--output', 'direct');
  checkStateWritable(config.output.path);
  if (config.report) {
    // As live: a report that cannot be made is said before the batches are paid for.
    checkWritableFile(config.report, '--report');
    checkReportTarget(config.report, '--report', config.overwrite, []);
  }
  // Every model must have a price under --max-cost before anything is sent, as live.
  const { budget: liveBudget, prices, budgetPrices } = openBudget(config, config.models);
  const budget = liveBudget && { capUsd: liveBudget.capUsd, prices: budgetPrices ?? prices ?? createPriceLookup({}) };
  const outputPath = config.output.path;
  const mock = config.provider.kind === 'mock';
  const apiKey = apiKeyOf(config);
  const baseURL = config.provider.kind === 'openai' ? config.provider.baseURL : undefined;
  const proxy = proxyFromEnv(baseURL);
  const redact = createRedactor([apiKey, ...(proxy?.secrets ?? [])]);
  // -v / --trace log the Batch API's calls as a live run's requests (opened before anything is sent).
  const trace = openTrace(config, io);
  // Ctrl-C and SIGTERM end a Batch API call in flight too (a stalled upload or download held the run).
  // An upload gets UPLOAD_GRACE_MS (or until a second signal) to finish: its file then waits in the
  // manifest for --resume, not sent again.
  const stop = new AbortController();
  const uploadStop = new AbortController();
  /** Made once every row is written: a signal then ends the compaction and the report at once (as live: StopSignals.closing). */
  let closing: AbortController | undefined;
  stop.signal.addEventListener('abort', () => setTimeout(() => uploadStop.abort(), UPLOAD_GRACE_MS).unref(), { once: true });
  const calls = { redact, trace, signal: stop.signal, uploadSignal: uploadStop.signal, idleMs: config.idleTimeoutMs };
  const client = mock
    ? createBatchClient({ apiKey: 'mock-key', baseURL: MOCK_BASE_URL, fetch: createMockBatchFetch(), ...calls })
    : createBatchClient({
        apiKey,
        baseURL,
        ...(config.provider.kind === 'openai' ? { organization: config.provider.organization, project: config.provider.project } : {}),
        proxyFor: proxy?.proxyFor,
        ...calls,
      });
  // On a terminal its lines break between parts at its width, in ASCII where the locale says so, as a live run's.
  const reporter = createPlainReporter({
    stderr: io.stderr,
    quiet: config.quiet,
    retryFailed: config.retryFailed,
    ascii: localeIsAscii(io.env),
    ...(isInteractive(io, io.stderr) ? await terminalWidth(io) : {}),
  });
  const inputErrors = inputErrorLines(reporter);
  // -v writes its trace to stderr, and so does --trace /dev/stderr or /dev/tty: a bar would cut into it.
  const interactive = !config.quiet && !traceOnTerminal(config.trace, io) && isInteractive(io, io.stderr);
  const progress = createBatchProgress(io.stderr, interactive, {
    ascii: localeIsAscii(io.env),
  });

  const layout = await csvLayoutFor(config);
  // Listened for before the input is opened (a FIFO's writer may never come) and before the output's
  // lock is taken, as live: a signal while a resume reads a large output back ends the read and the
  // run as interrupted, the lock released (it exited 143 and left the lock, which refused a
  // replacement pod on another host for 5 minutes).
  const onSignal = () => {
    if (closing) return closing.abort(new Error('interrupted'));
    if (stop.signal.aborted) return uploadStop.abort();
    reporter.info(mock ? `stopping: ${MOCK_BATCHES_GONE}` : stoppingLine(outputPath));
    stop.abort(new Error('interrupted'));
  };
  const unlisten: Array<() => void> = [
    io.onSignal('SIGINT', onSignal),
    io.onSignal('SIGTERM', onSignal),
    listenForHangup(io, onSignal, (line) => reporter.info(line)),
  ];
  const input = await openInput(config, io, stop.signal).catch((err: unknown) => {
    if (stop.signal.aborted) return undefined;
    for (const off of unlisten) off();
    throw err;
  });
  if (!input || stop.signal.aborted) {
    // Stopped while the input was opened: nothing read, nothing sent.
    await input?.close();
    for (const off of unlisten) off();
    return interruptedAtOpen(config, createStats(), reporter);
  }
  let target: OutputTarget | undefined;
  /**
   * --overwrite with the old results still in place (nothing was asked for, no row written): its
   * --resume would be refused as another run's, and the same command plans again.
   */
  const keptOld = () => target?.pending !== undefined && !target.pending.replaced;
  let cache: OpenedCache | undefined;
  let closeLive: (() => Promise<void>) | undefined;
  /** The live engine's run-level stop (--finish-live), thrown through the batch job to end the run. */
  let liveStop: RunError | undefined;
  let runReport: RunReport | undefined;
  try {
    const inputFingerprint = await fingerprint(config);
    // Refused before the output is opened; the earlier state dropped (--overwrite) once it is held.
    checkManifest(config, outputPath, (line) => reporter.info(line), false);
    // A schema's fields get CSV columns of their own, and a resume checks for the same schema.
    const csv = withFieldColumns(config, layout, structured);
    target = await openOutputTarget(config, io, inputFingerprint, input.format, undefined, csv, structured?.fingerprint, stop.signal).catch((err: unknown) => {
      if (err === stop.signal.reason) return undefined;
      throw withPendingBatches(err, outputPath);
    });
    // Stopped while the output was opened: nothing was submitted or collected.
    if (!target) return interruptedAtOpen(config, createStats(), reporter);
    const holder = checkManifest(config, outputPath, (line) => reporter.info(line), true, target.pending !== undefined);
    // The state the plan is kept beside while the old results stand: theirs, or an empty one, which a
    // kept end removes again (see settleKeptResults).
    const besideState = target.pending ? (holder && !isEmptyState(holder) ? holder : emptyState()) : undefined;
    announceTarget(target, (line) => reporter.info(line));
    const skip = target.skip;
    // A stream output (a FIFO) cannot be read back for the report: its rows are copied as written.
    runReport = await openBatchReport(config, prices);
    const writer = runReport ? runReport.tee(target.writer) : target.writer;
    cache = await openCache(config, reporter);
    // As live: into a FIFO, nothing is submitted before its reader comes; a signal ends the wait.
    if (target.fifo) await target.fifo.waitForReader(stop.signal, (line) => reporter.info(line));

    const stats = createStats();
    const tally = new UsageTally(config.model);
    // As live: with several models the summary has a line per model (at the Batch price here).
    const modelTally = config.models.length > 1 ? new ModelTally(config.model, config.models, BATCH_PRICE_FACTOR, prices) : undefined;
    const defaults = {
      model: config.model,
      temperature: config.temperature,
      maxTokens: config.maxTokens,
      // Under --max-cost an answer needs a length cap, or its worst case has no bound (as live).
      budgetMaxTokens: budget ? BUDGET_DEFAULT_MAX_TOKENS : undefined,
      limitField: runLimitField(config),
      structured: structured?.structured,
      extraBody: config.data.params,
    };
    // As live: a CSV has no column for a reasoning model's thinking (README: CSV columns), said once at the end.
    const leftOut = new ReasoningLeftOut(config.output.format === 'csv');
    const shardTally = { others: 0 };
    const records = (handled?: (record: PromptRecord) => boolean): AsyncIterable<PromptRecord> => {
      let all = readRecords(input.stream, inputOptionsFor(config, input));
      // As live: a shard first, then --limit (records), then one record per (record, model, sample), then resume.
      shardTally.others = 0;
      if (config.shard) all = shardRecords(all, config.shard, shardTally);
      if (config.data.limit !== undefined) all = limitRecords(all, config.data.limit);
      all = expandMatrix(all, { models: config.models, repeat: config.repeat, tagged: target!.tagRows });
      // From stdin, the records it just collected show the input is the run's: they pass its gate first.
      const gate = skip?.unrecorded;
      if (gate) all = holdUnrecorded(all, gate);
      // Rows this resume collected before it planned: counted already, and in the cache now.
      if (handled) all = withoutHandled(all, handled);
      if (skip) all = skipAnswered(all, gate ? Object.assign((record: PromptRecord) => skip(record), { as: skip.as }) : skip, stats);
      // An answer already bought (live or by a batch) is a cached row now, never a line of a batch.
      return cache
        ? answeredFromCache(
            all,
            cache.cache,
            defaults,
            stats,
            async (row) => {
              try {
                await writer.write(row);
              } catch (err) {
                // Counted when it was built: a row that is not in the output is not run (as live).
                uncountRow(stats, row);
                throw err;
              }
              tally.add(row);
              modelTally?.add(row);
              leftOut.add(row);
            },
            structured?.structured.check,
            config.data.failTruncated,
          )
        : all;
    };
    // Unfinished lines (and re-asks) through the live engine with the live run's options: its limits,
    // retries, order, the cache (its answers are stored as any live answer is); the stop is ours.
    let finishLive: ((pending: AsyncIterable<PromptRecord>) => AsyncIterable<ResultRow>) | undefined;
    if (batchConfig.finishLive) {
      const { complete, viaProxy } = createProvider(config, io);
      closeLive = complete.close;
      // Our Ctrl-C stops admitting; requests in flight finish, as before.
      const signals = { stop: stop.signal, abort: new AbortController().signal, dispose: () => {} };
      finishLive = async function* (pending) {
        const live = createStats();
        try {
          const outcome = yield* runBatch(pending, {
            ...engineOptions(config, {
              complete,
              stats: live,
              signals,
              // The request side (response_format, our system message) is already in each line's body.
              structured: structured ? { check: structured.structured.check, retries: structured.structured.retries } : undefined,
              cache: cache?.cache,
            }),
            deltaEvents: false,
          });
          // A quota, key, proxy or endpoint that stopped the live engine stops the whole run, as live:
          // the batch job would otherwise read the batch again and re-ask again, for ever.
          // The batches' answers and the live ones written so far (not from the cache) came with this key.
          liveStop = liveStopError(config, outcome, viaProxy, redact, stats.ok - stats.cached);
          if (liveStop) throw liveStop;
        } finally {
          // Requests, re-asks, retries and 429s count in the summary as a live run's do: those sent
          // (a collected answer's first live request is a re-ask), not those a stop kept back.
          stats.requests += live.requests;
          stats.reasks += live.reasks;
          stats.retries += live.retries;
          stats.rateLimited += live.rateLimited;
        }
      };
    }

    const answeredAs = (entry: IndexEntry) => {
      const answer = entryAnswer(entry);
      const record = { id: answer.id, params: answer.model === undefined ? {} : { model: answer.model }, sample: answer.sample };
      return skip?.(record as PromptRecord);
    };
    const job = new BatchJob({
      client,
      output: outputPath,
      writer,
      mock,
      records,
      // A stream's rows cannot be read back: its resume knows only the manifest's batches.
      replan: !isStreamTarget(outputPath),
      runModel: target.compact?.runModel,
      answeredBefore: (entry) => answeredAs(entry) !== undefined,
      // Rows already in the output (a live resume wrote them, or a kill came before the manifest said
      // collected) count as a resume's skipped records: 10 already done is not an empty input.
      onAnsweredBefore: (entry) => {
        stats.skipped++;
        if (answeredAs(entry) === 'failed') stats.skippedFailed++;
      },
      defaults,
      storeAnswer:
        cache &&
        ((body, row) => {
          // Keyed as live: without --max-cost's own cap (and not stored when cut at it).
          const keyed = collectedCacheBody(body, row.finish_reason, defaults.limitField, config.maxTokens === undefined ? defaults.budgetMaxTokens : undefined);
          if (!keyed) return;
          return cache!.cache.putByBody(keyed, row.sample ?? 0, {
            text: row.response ?? '',
            finishReason: row.finish_reason,
            model: row.model,
            usage: row.usage,
            ...(row.tool_calls ? { toolCalls: row.tool_calls } : {}),
            ...(row.logprobs ? { logprobs: row.logprobs } : {}),
            ...(row.reasoning ? { reasoning: row.reasoning } : {}),
          });
        }),
      budget,
      rowShape: { csv, ...(config.structured ? { structured: storedSpec(config.structured) } : {}) },
      structured: structured ? { check: structured.structured.check, retries: structured.structured.retries, reaskLive: finishLive !== undefined } : undefined,
      limits: { maxLines: batchConfig.batchSize, maxBytes: batchConfig.maxBytes },
      pollMs: batchConfig.pollMs,
      wait: batchConfig.wait,
      finishLive,
      failTruncated: config.data.failTruncated,
      // --overwrite: the old results go as the run asks for its first batch, which may exist from then
      // on. Kept until its first row, they and their record outlived a stop after the submission, and
      // the printed --resume was refused as another run's. Not for --mock's batches, which no later
      // command can collect: a stop leaves the old results as a live run's does.
      onSubmitting: mock ? undefined : () => target?.pending?.replace(),
      beside: besideState,
      onRow: (row) => {
        countRow(stats, row);
        tally.add(row);
        modelTally?.add(row);
        inputErrors.row(row);
        leftOut.add(row);
      },
      info: (line) => {
        if (!config.quiet) progress.info(line);
      },
      warn: (line) => progress.info(line),
      onProgress: (p) => progress.update(p),
      signal: stop.signal,
      redact,
    });
    // --overwrite: once the old results are replaced (its first batch asked for, its first row, its
    // end), the run's plan stands alone (see BatchJob.replaced).
    target.pending?.onReplace(() => job.replaced());
    let outcome: BatchJobOutcome;
    const soFarNow = () => batchSummarySoFar(config, { stats, tally, modelTally, prices, keptOld: keptOld() });
    phase.soFar = soFarNow;
    /**
     * A stop thrown past the run's end (a quota, a rejected key or proxy, a refused batch, a live stop
     * under --finish-live) ends as a live run's stop does: the summary line (`stopped (quota): 2 ok
     * …`) and the --report of what was collected, which it skipped; then its error line. Gives `thrown` back.
     */
    const endStopped = async (err: RunError, thrown: unknown): Promise<unknown> => {
      progress.close();
      const soFar = soFarNow();
      const summary: RunSummary = {
        ...soFar,
        // As --summary-json names it (writeRefusedSummary): `unreachable`, `response_format`… too.
        stopped: isNamedStop(err.code) ? err.code : 'error',
        resumeHint: null,
      };
      if (modelTally) for (const line of modelTally.lines()) reporter.info(line);
      reporter.finish(summary);
      const batches = uncollectedCounts(soFar.pendingBatches, soFar.unsubmittedBatches, mock);
      await writeBatchReport(config, prices, runReport, { summary, batches, code: err.exitCode, empty: false, reporter, outputKept: keptOld() });
      return thrown;
    };
    phase.sending = true;
    markRunning(config);
    try {
      outcome = await job.run();
    } catch (err) {
      // The chunk being finished live stays uncollected: --resume reads it again and sends only what has no row.
      if (err === liveStop && liveStop)
        throw await endStopped(liveStop, withResumeCommand(liveStop, lostByThisRun(config).length > 0 ? null : resumeHint(config, keptOld())));
      // A rejected key or proxy, or a quota, leaves the batches' state for --resume (the same command
      // again is refused), and so does a refused batch, whose others run on: --resume collects them
      // and plans its requests again. Say so, with the command (the same one while --overwrite left
      // the old results in place).
      if (err instanceof BatchRefusedError || (err instanceof RunError && (err.code === 'auth' || err.code === 'proxy' || err.code === 'quota')))
        throw await endStopped(err, withResumeCommand(err, resumeHint(config, keptOld())));
      if (!(err instanceof BatchUnreachableError)) throw err;
      // As a live run's circuit breaker: one line naming the setting to check, exit 4, even with -q.
      const viaProxy = !mock && proxy.proxyFor(baseURL ?? OPENAI_V1) !== undefined;
      throw new RunError(
        redact(
          `the Batch API cannot be reached (${err.message}), and no batch was submitted, so the run stopped rather than wait: ${endpointTrouble(err.code, config, viaProxy)}; when that is fixed, run: ${resumeHint(config, keptOld())}`,
        ),
        'unreachable',
        ExitCode.unreachable,
      );
    } finally {
      progress.close();
      inputErrors.end();
    }
    // As a live run: no prompts at all is its own exit (a failed export upstream), the old file kept.
    const ranNothing = !outcome.interrupted && outcome.pending === 0 && !outcome.budget?.held && stats.ok + stats.failed + stats.skipped === 0;
    // A shard that got none of the input's records is done (exit 0), not an empty input.
    const empty = ranNothing && shardTally.others === 0;
    const shardLine = ranNothing ? emptyShardMessage(config, shardTally.others) : undefined;
    if (shardLine) reporter.info(shardLine);
    // As a live run: the old file replaced, superseded rows compacted away after a resume.
    closing = new AbortController();
    try {
      await closeOutputTarget(
        config,
        target,
        outcome.outputClosed ? 'output_closed' : outcome.outputFailed ? 'output_failed' : outcome.interrupted ? 'interrupted' : undefined,
        (line) => reporter.info(line),
        {
          empty,
          closing: closing.signal,
          progress: interactive ? (label, total) => readProgress(io.stderr, label, total) : undefined,
          // Lines held back by --max-cost, or batches still out (--no-wait, exit 75): the pass goes on.
          unfinished: outcome.budget?.held !== undefined || outcome.pending > 0,
        },
      );
    } catch (err) {
      // The last rows were still on their way to a reader that left, or failed as they were flushed:
      // a stop like one during the run.
      if (err instanceof OutputWriteError) outcome = { ...outcome, interrupted: true, outputFailed: err.message };
      else if (err instanceof CompactionInterruptedError) outcome = { ...outcome, interrupted: true };
      else if (!(err instanceof OutputClosedError)) throw err;
      else outcome = { ...outcome, interrupted: true, outputClosed: true };
    }
    const reasoning = leftOut.line();
    if (reasoning) reporter.info(reasoning);
    // Before the summary and the report say what is left. --mock's at the end (in `finally`), once its
    // gone batches are said.
    const stateDropped = !mock && keptOld() && settleKeptResults(outputPath, (line) => reporter.info(line));

    // As live: into a stream, which would take a second write after the first, --summary-json is
    // written once, after the report.
    const late = config.report !== undefined && !empty && config.summaryJson !== undefined && isStreamTarget(config.summaryJson);
    const { code, summary, summaryJson, error } = finishBatchRun(config, outcome, {
      stats,
      tally,
      modelTally,
      budget,
      prices,
      reporter,
      empty,
      wait: batchConfig.wait,
      writeSummary: !late,
      keptOld: keptOld(),
      stateDropped,
    });
    const made = await writeBatchReport(config, prices, runReport, {
      summary,
      batches: uncollectedCounts(outcome.pending - outcome.unsubmitted, stateDropped ? 0 : outcome.unsubmitted, mock),
      code,
      empty,
      reporter,
      quiet: outcome.outputClosed === true,
      signal: closing.signal,
      // The old results, kept: not this run's rows (as live, no report).
      outputKept: keptOld(),
    });
    // As live: a report that could not be written made the exit code 2, and the summary says so.
    const exitCode =
      (made.error === undefined && !late) || !config.summaryJson
        ? made.code
        : writeSummaryJson(config.summaryJson, summaryJson, made.code, made.error ?? error, (line) => reporter.error(line));
    // As live: ended and said how, a signal from here changes nothing.
    ignoreLateSignal(io);
    for (const off of unlisten) off();
    return exitCode;
  } finally {
    await closeLive?.();
    await cache?.close().catch(() => {});
    // An empty input or a run that threw never made the report: the copy of a stream's rows goes too.
    await runReport?.dispose();
    // Under the lock: no other run has the output meanwhile.
    if (keptOld()) settleKeptResults(outputPath, (line) => reporter.info(line));
    target?.lock?.release();
    // Only once the lock is gone: a signal in the awaits above would otherwise kill the run and leave it.
    for (const off of unlisten) off();
    await input.close();
  }
}

/**
 * Said when a signal comes: no batch is created after it, and what runs on the server at that moment
 * (from the manifest, rewritten after every step). Whether a command follows is known only at the
 * end (the batch being collected may be the last): the end line says that.
 */
function stoppingLine(output: string): string {
  let running = 0;
  try {
    const manifest = readManifest(output);
    running = manifest ? manifest.chunks.filter(runningOnServer).length : 0;
  } catch {
    // A manifest that cannot be read now is said by the run's own steps.
  }
  if (running === 0) return 'stopping: no new batch is submitted';
  return `stopping: no new batch is submitted; ${running === 1 ? '1 batch keeps' : `${running} batches keep`} running on the server`;
}

/** The end line of an --overwrite that asked for no batch: its state dropped (see settleKeptResults), none waits. */
function keptOldLine(outcome: Pick<BatchJobOutcome, 'outage'>, next: string | null): string | undefined {
  if (!next) return undefined;
  return `no batch was asked for${outcome.outage ? ` (${outcome.outage.lastError})` : ''}, and the old results are kept; to try again, run: ${next}`;
}

/** A reporter that says nothing: a run whose output's reader left ends as quietly as SIGPIPE would end it. */
function silent(reporter: Reporter): Reporter {
  const nothing = () => {};
  return { error: nothing, info: nothing, event: nothing, row: nothing, finish: nothing, close: () => reporter.close() };
}

/** Under --mock, the batches this process did not collect: they end with it, and no command can continue them. */
function lostByThisRun(config: CliConfig): string[] {
  return config.provider.kind === 'mock' && config.output.kind === 'file' ? lostMockBatches(config.output.path, true) : [];
}

/**
 * The figures of a run a run-level error stopped (a key refused, the API unreachable, a batch
 * refused): what was collected, and the batches its manifest keeps for a `--resume`.
 */
function batchSummarySoFar(
  config: CliConfig,
  run: { stats: BatchStats; tally: UsageTally; modelTally: ModelTally | undefined; prices: PriceLookup | undefined; keptOld: boolean },
): RunSummary & { pendingBatches: number; unsubmittedBatches: number } {
  const manifest = config.output.kind === 'file' ? readManifest(config.output.path) : undefined;
  const lost = lostByThisRun(config);
  // The Batch API bills half the live price: the summary and --summary-json say what the batches cost.
  const summary = buildSummary(run.stats, performance.now(), undefined, null, config.model, run.tally.byModel, run.prices, true, config.models);
  if (run.modelTally) summary.byModel = run.modelTally.figures();
  summary.input = inputFileOf(config);
  // The old results kept, the same command goes on: this run's batch state is gone with them (see
  // settleKeptResults), and this is read after the run's end.
  summary.resumeHint = lost.length > 0 ? null : run.keptOld ? resumeHint(config, true) : manifest ? resumeHint(config) : null;
  // Pending: on the server; a batch that was built and never submitted (the upload failed) is not.
  const open = manifest ? openChunks(manifest) : { submitted: [], unsubmitted: [] };
  return { ...summary, pendingBatches: open.submitted.length, unsubmittedBatches: open.unsubmitted.length };
}

/** What a finished (or stopped) batch run reports, and its exit code; `summaryJson`, what --summary-json got. */
function finishBatchRun(
  config: CliConfig,
  outcome: BatchJobOutcome,
  run: {
    stats: BatchStats;
    tally: UsageTally;
    modelTally: ModelTally | undefined;
    budget: { capUsd: number } | undefined;
    /** --price / --prices, undefined for the table. */
    prices: PriceLookup | undefined;
    reporter: Reporter;
    empty: boolean;
    /** Without --no-wait: the run waits for its batches (and gives up on an outage only after OUTAGE_LIMIT_MS). */
    wait: boolean;
    /** Writes --summary-json (false: the caller writes it, after the report). @default true */
    writeSummary?: boolean;
    /** --overwrite left the old results in place: the command that goes on is the same one (see resumeHint). */
    keptOld: boolean;
    /** And the run's batch state was dropped with them. */
    stateDropped: boolean;
  },
): {
  code: number;
  summary: RunSummary;
  summaryJson: RunSummary & { pendingBatches: number; unsubmittedBatches: number };
  /** The line that said why the run stopped or failed as a whole, as --summary-json's `error`. */
  error: string | null;
} {
  const { stats, tally, modelTally, budget, empty } = run;
  // The rows' reader left (`-o FIFO`, `head -1`): as live, nothing more is said; the files still are.
  const closed = outcome.outputClosed === true;
  const reporter = closed ? silent(run.reporter) : run.reporter;
  // The first line that says why the run stopped or failed as a whole, as --summary-json's `error`.
  let error: string | undefined;
  const fail = (line: string) => {
    error ??= line;
    reporter.error(line);
  };
  // --max-cost: `stuck`, the next request does not fit even with nothing reserved (a new cap is
  // needed); `more`, more of the input fits than this process planned (see BatchJob.planAgain): the
  // same command can plan it. Into a FIFO that already
  // delivered rows no command can (streamResumeRefusal): `unplannable`, and a stuck run names none.
  const output = config.output.kind === 'file' ? config.output.path : undefined;
  const stream = output !== undefined && isStreamTarget(output);
  const canResume = resumable(output, stream, stream ? readManifest(output!) : undefined);
  const { held, stuck, more, unplannable } = budgetEnd(outcome, canResume);
  const lost = lostByThisRun(config);
  const next =
    lost.length > 0
      ? null
      : outcome.interrupted || outcome.pending > 0 || more
        ? resumeHint(config, run.keptOld)
        : stuck && canResume
          ? resumeHint(config, run.keptOld, { newMaxCost: true })
          : null;
  const summary = buildSummary(
    stats,
    performance.now(),
    closed ? 'output_closed' : outcome.outputFailed ? 'output_failed' : outcome.interrupted ? 'interrupted' : stuck || unplannable ? 'budget' : undefined,
    stuck ? next : null,
    config.model,
    tally.byModel,
    // Given prices are list prices, as the table's: the Batch discount halves both, before rounding.
    run.prices,
    true,
    config.models,
  );
  summary.input = inputFileOf(config);
  // Submitted batches' requests are sent (and billed as they end): the line must not say "nothing sent".
  if (outcome.pending > outcome.unsubmitted) summary.pendingBatches = outcome.pending - outcome.unsubmitted;
  if (modelTally) {
    summary.byModel = modelTally.figures();
    for (const line of modelTally.lines()) reporter.info(line);
  }
  if (budget && outcome.budget) summary.budget = { capUsd: budget.capUsd, spentUsd: usdFigure(outcome.budget.spentUsd) };
  if (stuck && budget && held) {
    const spent = outcome.budget!.spentUsd;
    fail(
      `budget reached: ${exactUsd(spent)} of ${capUsd(budget.capUsd)} (the next request, ${heldPlace(held)}, ${batchWorstCase(held, budget.capUsd, config.maxTokens)}); ` +
        (!canResume
          ? `every answered row went to the FIFO's reader; ${NO_STREAM_RESUME}`
          : `every answered row is kept. The cap counts every batch of this output: to submit the rest, put a cap above ${exactUsd(spent + held.worstUsd, true)} in place of ${NEW_CAP} in the command below`),
    );
  }
  if (unplannable && held) fail(unplannableLine(output!, held));
  // As live: the failed write first, and what was written is kept for the command below.
  if (outcome.outputFailed) fail(outputFailedLine(outcome.outputFailed, next !== null, 'continue'));
  if (empty) fail(noPromptsMessage(config));
  else reporter.finish(summary);
  // An info line: under -q a cron job that runs the same line hourly mails nothing while batches wait.
  // An outage that lasted is said with --quiet too (the job said when it began to matter), and so is
  // everything after a full disk, as live says its command: the run did not go as planned.
  // So is a stop by a signal, as a live run's command is: -q still says why the run stopped, and the
  // way on (its batches keep running, and billing, on the server meanwhile).
  const lasting = outcome.outage !== undefined && outcome.outage.forMs >= OUTAGE_NOTE_MS;
  const signal = outcome.interrupted && !closed && !outcome.outputFailed;
  // A summary said under -q (a failed row: see the reporter's finish) goes with its way on: alone, a
  // mail read "0 ok, 1 failed" with exit 75 and no word of the batch still running.
  const mailed = stats.failed + stats.skippedFailed > 0;
  const say = (line: string) => (outcome.outputFailed || lasting || signal || mailed ? reporter.error(line) : reporter.info(line));
  if (lasting && outcome.outage!.forMs >= OUTAGE_LIMIT_MS && run.wait)
    fail(`stopped waiting: the Batch API has failed every call for ${Math.round(outcome.outage!.forMs / 60_000)} min (last: ${outcome.outage!.lastError})`);
  const pending = run.stateDropped && outcome.unsubmitted > 0 ? keptOldLine(outcome, next) : pendingLine(outcome, next, signal);
  if (pending) say(pending);
  if (lost.length > 0)
    say(
      `${lost.length} ${lost.length === 1 ? 'batch was' : 'batches were'} not collected and cannot be: ${MOCK_BATCHES_GONE}; the same command with --overwrite starts again`,
    );
  if (more) reporter.info(`more requests fit within --max-cost now that the batches' real cost is known; to submit them, run: ${next}`);
  const stopCode = empty
    ? ExitCode.noPrompts
    : closed
      ? ExitCode.outputClosed
      : outcome.interrupted
        ? ExitCode.interrupted
        : outcome.pending > 0
          ? ExitCode.tempFail
          : more
            ? ExitCode.tempFail
            : stuck || unplannable
              ? ExitCode.stoppedEarly
              : stats.failed + stats.skippedFailed > 0
                ? ExitCode.someFailed
                : ExitCode.ok;
  // A full disk is exit 2 as live, its batches left for --resume whatever else is pending.
  const code = outcome.outputFailed && !empty ? ExitCode.usage : stopCode;
  // `resumeHint` as a live run's file has it: the command that continues, whatever stopped the run
  // (the terminal says it in the pending line instead of the summary's).
  // Said even when the rows' reader left, as live: the file is all a script has of the run.
  // --mock's batches end with the process that made them: gone, not pending on a server (as status and the report say).
  const submitted = outcome.pending - outcome.unsubmitted;
  const gone = config.provider.kind === 'mock' ? submitted : 0;
  const summaryJson = {
    ...summary,
    resumeHint: next,
    pendingBatches: submitted - gone,
    // Dropped with the old results kept (see settleKeptResults): none waits for a --resume.
    unsubmittedBatches: run.stateDropped ? 0 : outcome.unsubmitted,
    ...(gone > 0 ? { goneBatches: gone } : {}),
  };
  const written =
    config.summaryJson && run.writeSummary !== false
      ? writeSummaryJson(config.summaryJson, summaryJson, code, error ?? null, (line) => run.reporter.error(line))
      : code;
  return { code: written, summary, summaryJson, error: error ?? null };
}
