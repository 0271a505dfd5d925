import fs from 'node:fs';
import { createBatchClient } from '../batch/batch-client.js';
import { BatchJob, type BatchJobOutcome } from '../batch/batch-job.js';
import { chunkDir, isOpen, manifestPath, readManifest } from '../batch/manifest.js';
import { ExitCode, RunError } from '../errors.js';
import { readRecords } from '../input/index.js';
import { createOpenAIComplete } from '../provider/create-openai-complete.js';
import { createMockBatchFetch } from '../provider/mock-batch-fetch.js';
import { createMockFetch } from '../provider/mock-fetch.js';
import { tokenLimitField } from '../provider/request-body.js';
import { createRedactor } from '../redact.js';
import { runBatch } from '../engine/run-batch.js';
import { shardRecords } from '../input/shard.js';
import { createStats, type BatchStats } from '../engine/stats.js';
import type { PromptRecord, ResultRow } from '../types.js';
import { createBatchProgress } from '../ui/batch-progress.js';
import { isInteractive } from './create-reporter.js';
import { createPlainReporter } from '../ui/reporter.js';
import { buildSummary, UsageTally, type RunSummary } from '../ui/summary.js';
import { requireKey, type BatchApiConfig, type CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { inputOptionsFor, openInput } from './open-input.js';
import { proxyFromEnv } from './proxy-env.js';
import { resumeHint } from './resume-hint.js';
import { checkWritableFile } from './check-writable.js';
import { closeOutputTarget, openOutputTarget, type OutputTarget } from './output-target.js';
import { skipAnswered } from './resume-skip.js';
import { fingerprint } from './run-identity.js';
import { csvLayoutFor } from './csv-layout-for.js';
import { limitRecords } from './limit-records.js';
import { noPromptsMessage } from './empty-input.js';
import { setUpStructured } from './structured-output.js';

/** Exit status while batches are still pending (EX_TEMPFAIL: "try again later", what cron loops wait for). */
export const EXIT_PENDING = 75;

function countRow(stats: BatchStats, row: ResultRow): void {
  stats.requests++;
  if (row.error) {
    stats.failed++;
    stats.failedByType[row.error.type] = (stats.failedByType[row.error.type] ?? 0) + 1;
  } else {
    stats.ok++;
    if (!row.usage) stats.rowsWithoutUsage++;
  }
  if (row.usage) {
    stats.promptTokens += row.usage.prompt_tokens;
    stats.completionTokens += row.usage.completion_tokens;
  }
}

/** The Batch API bills half the live price: the summary and --summary-json say what the batches cost. */
export function atBatchPrice(summary: RunSummary): RunSummary {
  const cost = summary.estimatedCost;
  if (!cost) return summary;
  const half = (x: number) => Math.round((x / 2) * 1e6) / 1e6;
  return {
    ...summary,
    estimatedCost: { ...cost, usd: half(cost.usd), byModel: cost.byModel.map((m) => ({ ...m, usd: m.usd === null ? null : half(m.usd) })) },
  };
}

/** A previous run's batches: continued with --resume, abandoned with --overwrite, else a refusal. */
function checkManifest(config: CliConfig, output: string, info: (line: string) => void): void {
  const manifest = readManifest(output);
  if (!manifest || config.resume) return;
  const open = manifest.chunks.filter(isOpen).length;
  if (!config.overwrite) {
    throw new RunError(
      `${manifestPath(output)} holds the batches of an earlier run${open ? ` (${open} not collected yet)` : ''}: pass --resume to continue it, or --overwrite to start again`,
      'output',
    );
  }
  if (open) info(`abandoning ${open} uncollected batches of the earlier run (--overwrite); they still run and bill on the server unless cancelled`);
  fs.rmSync(manifestPath(output), { force: true });
  fs.rmSync(chunkDir(output), { recursive: true, force: true });
}

/** The structured spec with a schema file's text in place of its name: `cancel` may run elsewhere, later. */
function storedSpec(spec: NonNullable<CliConfig['structured']>): Record<string, unknown> {
  if (spec.kind !== 'schema' || spec.source.trimStart().startsWith('{')) return { ...spec };
  return { ...spec, source: fs.readFileSync(spec.source, 'utf8') };
}

/** `llm-batch IN -o OUT --batch-api`: the same input, rows and resume as a live run, through the Batch API. */
export async function runBatchApiCommand(config: CliConfig, batchConfig: BatchApiConfig, io: CliIo): Promise<number> {
  // As live: the schema is checked before the key, and goes into every line as a live body has it.
  const structured = await setUpStructured(config, io);
  requireKey(config);
  if (config.summaryJson) checkWritableFile(config.summaryJson, '--summary-json');
  if (config.output.kind !== 'file') throw new RunError('--batch-api needs -o FILE', 'usage');
  const outputPath = config.output.path;
  const mock = config.provider.kind === 'mock';
  const apiKey = config.provider.kind === 'openai' ? config.provider.apiKey : undefined;
  const baseURL = config.provider.kind === 'openai' ? config.provider.baseURL : undefined;
  const proxy = proxyFromEnv(baseURL);
  const redact = createRedactor([apiKey, ...(proxy?.secrets ?? [])]);
  const client = mock
    ? createBatchClient({ apiKey: 'mock-key', baseURL: 'http://mock.invalid/v1', fetch: createMockBatchFetch(), redact })
    : createBatchClient({ apiKey, baseURL, proxyFor: proxy?.proxyFor, redact });
  const reporter = createPlainReporter({ stderr: io.stderr, quiet: config.quiet });
  const progress = createBatchProgress(io.stderr, !config.quiet && isInteractive(io, io.stderr));

  const layout = await csvLayoutFor(config);
  const input = await openInput(config, io);
  let target: OutputTarget | undefined;
  const stop = new AbortController();
  const unlisten: Array<() => void> = [];
  try {
    const inputFingerprint = await fingerprint(config);
    checkManifest(config, outputPath, (line) => reporter.info(line));
    // A schema's fields get CSV columns of their own, and a resume checks for the same schema.
    const csv = structured ? { ...layout, outputColumns: structured.csvColumns } : layout;
    target = await openOutputTarget(config, io, inputFingerprint, undefined, csv, structured?.fingerprint);
    const skip = target.skip;
    const onSignal = () => {
      reporter.info('stopping: batches keep running on the server; the command below continues');
      stop.abort(new Error('interrupted'));
    };
    unlisten.push(io.onSignal('SIGINT', onSignal), io.onSignal('SIGTERM', onSignal));

    const stats = createStats();
    const tally = new UsageTally();
    const records = (): AsyncIterable<PromptRecord> => {
      let all = readRecords(input.stream, inputOptionsFor(config, input));
      if (config.shard) all = shardRecords(all, config.shard);
      if (config.data.limit !== undefined) all = limitRecords(all, config.data.limit);
      return skip ? skipAnswered(all, skip, stats) : all;
    };
    const finishLive = batchConfig.finishLive
      ? (pending: AsyncIterable<PromptRecord>) =>
          runBatch(pending, {
            complete: createOpenAIComplete({ apiKey, baseURL, fetch: mock ? createMockFetch() : undefined, proxyFor: proxy?.proxyFor, redact }),
            model: config.model,
            temperature: config.temperature,
            maxTokens: config.maxTokens,
            stream: config.stream,
            concurrency: config.concurrency,
            rpm: config.rpm,
            tpm: config.tpm,
            timeoutMs: config.timeoutMs,
            idleTimeoutMs: config.idleTimeoutMs,
            retries: config.retries,
            extraBody: config.data.params,
            failTruncated: config.data.failTruncated,
            stopSignal: stop.signal,
            deltaEvents: false,
            // Re-asks of the live conversation count in the summary as a live run's do.
            onEvent: (event) => {
              if (event.type === 'reask') stats.reasks++;
            },
            // The request side (response_format, our system message) is already in each line's body.
            structured: structured ? { check: structured.structured.check, retries: structured.structured.retries } : undefined,
          })
      : undefined;

    const job = new BatchJob({
      client,
      output: outputPath,
      writer: target.writer,
      records,
      answeredBefore: (id) => skip?.({ id } as PromptRecord) !== undefined,
      defaults: {
        model: config.model,
        temperature: config.temperature,
        maxTokens: config.maxTokens,
        limitField: tokenLimitField(baseURL),
        structured: structured?.structured,
        extraBody: config.data.params,
      },
      rowShape: { csv, ...(config.structured ? { structured: storedSpec(config.structured) } : {}) },
      structured: structured ? { check: structured.structured.check, retries: structured.structured.retries, reaskLive: finishLive !== undefined } : undefined,
      limits: { maxLines: batchConfig.batchSize, maxBytes: batchConfig.maxBytes },
      pollMs: batchConfig.pollMs,
      wait: batchConfig.wait,
      finishLive,
      onReasks: (n) => {
        stats.reasks += n;
      },
      onRow: (row) => {
        countRow(stats, row);
        tally.add(row);
        if (row.error?.type === 'input') reporter.error(row.error.message);
      },
      info: (line) => {
        if (!config.quiet) progress.info(line);
      },
      onProgress: (p) => progress.update(p),
      signal: stop.signal,
    });
    let outcome: BatchJobOutcome;
    try {
      outcome = await job.run();
    } finally {
      progress.close();
    }
    // As a live run: no prompts at all is its own exit (a failed export upstream), the old file kept.
    const empty = !outcome.interrupted && outcome.pending === 0 && stats.ok + stats.failed + stats.skipped === 0;
    // As a live run: the old file replaced, superseded rows compacted away after a resume.
    await closeOutputTarget(config, target, outcome.interrupted ? 'interrupted' : undefined, (line) => reporter.info(line), empty);

    const next = outcome.pending > 0 ? resumeHint(config) : null;
    const summary = atBatchPrice(buildSummary(stats, performance.now(), outcome.interrupted ? 'interrupted' : undefined, null, config.model, tally.byModel));
    if (empty) reporter.error(noPromptsMessage(config));
    else reporter.finish(summary);
    // An info line: under -q a cron job that runs the same line hourly mails nothing while batches wait.
    if (next) reporter.info(`${outcome.pending} ${outcome.pending === 1 ? 'batch is' : 'batches are'} still pending; to continue, run: ${next}`);
    const code = empty
      ? ExitCode.noPrompts
      : outcome.interrupted
        ? ExitCode.interrupted
        : outcome.pending > 0
          ? EXIT_PENDING
          : stats.failed + stats.skippedFailed > 0
            ? ExitCode.someFailed
            : ExitCode.ok;
    if (config.summaryJson)
      fs.writeFileSync(config.summaryJson, `${JSON.stringify({ ...summary, resumeCommand: next, pendingBatches: outcome.pending }, null, 2)}\n`);
    return code;
  } finally {
    for (const off of unlisten) off();
    target?.lock?.release();
    await input.close();
  }
}
