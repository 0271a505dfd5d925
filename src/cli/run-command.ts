import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, RunError, UsageError } from '../errors.js';
import { readRecords } from '../input/index.js';
import { inputOptionsFor, openInput } from './open-input.js';
import {
  acquireLock,
  assertCsvHeader,
  compactResults,
  diffRunMeta,
  formatFromPath,
  loadResumeState,
  openFileWriter,
  readRunMeta,
  repairPartialLine,
  streamWriter,
  writeRunMeta,
  type LockHandle,
  type RowWriter,
} from '../output/index.js';
import { createOpenAIComplete } from '../provider/create-openai-complete.js';
import { createMockFetch } from '../provider/mock-fetch.js';
import { createRedactor } from '../redact.js';
import { runBatch } from '../engine/run-batch.js';
import { createStats } from '../engine/stats.js';
import type { PromptRecord } from '../types.js';
import { createReporter } from './create-reporter.js';
import { buildSummary } from '../ui/summary.js';
import { requireKey, type CliConfig } from './config.js';
import { proxyFromEnv } from './proxy-env.js';
import type { CliIo } from './io.js';
import { resumeHint } from './resume-hint.js';

/** How long in-flight prompts may finish after the first Ctrl-C / SIGTERM. */
const GRACE_MS = 5000;

/** Hash of the input file, so a resume can tell that the input changed. Stdin has none. */
async function fingerprint(config: CliConfig): Promise<string | null> {
  if (config.input.kind !== 'file') return null;
  const stat = await fs.promises.stat(config.input.path);
  if (!stat.isFile()) return null;
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(config.input.path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** What identifies a run: a resume must match it (or be forced). Never holds the key. */
function describeRun(config: CliConfig, inputFingerprint: string | null): Record<string, unknown> {
  return {
    version: 1,
    input: config.input.kind === 'file' ? config.input.path : '<stdin>',
    inputFingerprint,
    inputFormat: config.inputFormat,
    template: config.template ?? null,
    system: config.system ?? null,
    promptField: config.promptField ?? null,
    idField: config.idField ?? null,
    model: config.model,
    temperature: config.temperature ?? null,
    maxTokens: config.maxTokens ?? null,
    baseURL: config.provider.kind === 'mock' ? 'mock' : config.provider.baseURL ?? 'openai',
  };
}

/** The output must not be the input under another name (a symlink or hard link): it would be clobbered. */
function refuseSameFile(config: CliConfig, output: string): void {
  if (config.input.kind !== 'file') return;
  try {
    const a = fs.statSync(config.input.path);
    const b = fs.statSync(output);
    if (a.dev === b.dev && a.ino === b.ino) {
      throw new RunError(`--output ${output} is the input file ${config.input.path} (same file on disk): choose another path`, 'usage');
    }
  } catch (err) {
    if (err instanceof RunError) throw err; // a missing output is fine
  }
}

interface OutputTarget {
  writer: RowWriter;
  lock: LockHandle | undefined;
  /** With --resume: whether a record already has a row, and whether that row is an error. */
  skip: ((record: PromptRecord) => 'done' | 'failed' | undefined) | undefined;
  /** With --overwrite of a non-empty file: replaced at the first row, or by `replace()` at the end. */
  pending?: ReplaceOnFirstRow;
}

type ReplaceOnFirstRow = RowWriter & { replace(): void; readonly replaced: boolean };

/**
 * --overwrite replaces the old results only once this run has something to put in their place: a run
 * stopped before its first row (a rejected key, Ctrl-C, a 407) leaves them as they were.
 */
function replaceOnFirstRow(open: () => RowWriter): ReplaceOnFirstRow {
  let real: RowWriter | undefined;
  const ensure = () => (real ??= open());
  return {
    write(row) {
      try {
        return ensure().write(row);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    close: () => real?.close() ?? Promise.resolve(),
    replace: () => void ensure(),
    get replaced() {
      return real !== undefined;
    },
  };
}

async function openOutput(config: CliConfig, io: CliIo, inputFingerprint: string | null, onAnswerPrinterRow: RowWriter | undefined): Promise<OutputTarget> {
  const out = config.output;
  if (out.kind === 'terminal') return { writer: onAnswerPrinterRow!, lock: undefined, skip: undefined };
  if (out.kind === 'stdout') return { writer: streamWriter(io.stdout, out.format), lock: undefined, skip: undefined };

  refuseSameFile(config, out.path);
  checkWritableFile(out.path, '--output');
  const exists = fs.existsSync(out.path) && fs.statSync(out.path).size > 0;
  if (exists && !config.resume && !config.overwrite) {
    throw new RunError(`${out.path} already exists: pass --resume to continue it, or --overwrite to replace it (nothing was changed)`, 'output');
  }
  const lock = acquireLock(out.path);
  try {
    const current = describeRun(config, inputFingerprint);
    let skip: OutputTarget['skip'];
    if (config.resume && exists && out.format !== 'text') {
      const previous = readRunMeta(out.path);
      if (previous) {
        const differences = diffRunMeta(previous, current);
        if (differences.length > 0 && !config.forceResume) {
          throw new RunError(
            `${out.path} was written by a different run (${differences.join('; ')}); refusing to mix results. Pass --force-resume to continue anyway, or write to a new file`,
            'resume',
          );
        }
      }
      if (out.format === 'csv') assertCsvHeader(out.path);
      await repairPartialLine(out.path, out.format);
      const state = await loadResumeState(out.path, out.format);
      skip = (record) => (state.succeeded.has(record.id) ? 'done' : !config.retryFailed && state.failed.has(record.id) ? 'failed' : undefined);
    }
    const open = () => {
      writeRunMeta(out.path, current);
      return openFileWriter(out.path, out.format, { append: config.resume });
    };
    if (exists && !config.resume) {
      const pending = replaceOnFirstRow(open);
      return { writer: pending, lock, skip, pending };
    }
    return { writer: open(), lock, skip };
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function runCompact(config: CliConfig, io: CliIo): Promise<number> {
  if (config.input.kind !== 'file') throw new RunError('--compact needs a results file as input, not stdin', 'usage');
  const format = formatFromPath(config.input.path) === 'csv' ? 'csv' : 'jsonl';
  if (!fs.existsSync(config.input.path)) throw new RunError(`cannot read input file ${config.input.path}: no such file`, 'input');
  const out = config.output;
  let writer: RowWriter;
  if (out.kind === 'file') {
    if (fs.existsSync(out.path) && !config.overwrite) throw new RunError(`${out.path} already exists: pass --overwrite to replace it (nothing was changed)`, 'output');
    writer = openFileWriter(out.path, out.format, { append: false });
  } else {
    writer = streamWriter(io.stdout, out.kind === 'stdout' ? out.format : format);
  }
  const result = await compactResults(config.input.path, format, writer);
  await writer.close();
  if (!config.quiet) io.stderr.write(`llm-batch: compacted ${result.rows} rows (${result.dropped} superseded rows dropped)\n`);
  return ExitCode.ok;
}

async function* filterRecords(
  records: AsyncIterable<PromptRecord>,
  skip: NonNullable<OutputTarget['skip']>,
  onSkip: (was: 'done' | 'failed') => void,
) {
  for await (const record of records) {
    const was = skip(record);
    if (was) onSkip(was);
    else yield record;
  }
}

/** The CLI's run: input → engine → output, with locking, resume, signals and the summary. */
export async function runCommand(config: CliConfig, io: CliIo): Promise<number> {
  if (config.compact) return runCompact(config, io);
  if (config.dryRun) {
    const { runDryRun } = await import('./dry-run.js');
    return runDryRun(config, io);
  }
  requireKey(config);
  if (config.summaryJson) checkWritableFile(config.summaryJson, '--summary-json');

  // Started before the input and output are opened, so the SDK loads meanwhile.
  const apiKey = config.provider.kind === 'openai' ? config.provider.apiKey : undefined;
  const proxy = config.provider.kind === 'openai' ? proxyFromEnv(config.provider.baseURL) : undefined;
  const redact = createRedactor([apiKey, ...(proxy?.secrets ?? [])]);
  const complete = createOpenAIComplete({
    apiKey: config.provider.kind === 'mock' ? 'mock-key' : apiKey,
    baseURL: config.provider.kind === 'mock' ? 'http://mock.invalid/v1' : config.provider.baseURL,
    fetch: config.provider.kind === 'mock' ? createMockFetch() : undefined,
    proxyFor: proxy?.proxyFor,
    redact,
  });

  // The display first: its spinner covers waiting for stdin and hashing a large input.
  const stats = createStats();
  const reporter = await createReporter(config, io, stats);
  let input: Awaited<ReturnType<typeof openInput>>;
  let inputFingerprint: string | null;
  try {
    input = await openInput(config, io);
    inputFingerprint = config.output.kind === 'file' ? await fingerprint(config) : null;
  } catch (err) {
    reporter.close();
    throw err;
  }
  let target: OutputTarget | undefined;
  const stop = new AbortController();
  const abort = new AbortController();
  const unlisten: Array<() => void> = [];
  let graceTimer: NodeJS.Timeout | undefined;

  try {
    target = await openOutput(config, io, inputFingerprint, reporter.answerWriter);
    const onSignal = () => {
      if (!stop.signal.aborted) {
        reporter.info(`stopping: no new prompts; waiting up to ${GRACE_MS / 1000}s for ${stats.inFlight} in flight (press Ctrl-C again to abort them)`);
        stop.abort(new Error('interrupted'));
        graceTimer = setTimeout(() => abort.abort(new Error('interrupted')), GRACE_MS);
      } else {
        abort.abort(new Error('interrupted'));
      }
    };
    unlisten.push(io.onSignal('SIGINT', onSignal), io.onSignal('SIGTERM', onSignal));

    const inputOptions = inputOptionsFor(config, input);
    let records: AsyncIterable<PromptRecord> = readRecords(input.stream, inputOptions);
    if (target.skip) {
      records = filterRecords(records, target.skip, (was) => {
        stats.skipped++;
        if (was === 'failed') stats.skippedFailed++;
      });
    }

    const rows = runBatch(records, {
      complete,
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
      order: config.order,
      stopSignal: stop.signal,
      abortSignal: abort.signal,
      stats,
      onEvent: (event) => reporter.event(event),
      deltaEvents: config.output.kind === 'terminal',
    });

    let step = await rows.next();
    let notFound = 0;
    try {
      while (!step.done) {
        const row = step.value;
        await target.writer.write(row);
        if (row.error?.type === 'input') reporter.error(row.error.message);
        if (row.error?.status === 404) notFound++;
        reporter.row(row);
        step = await rows.next();
      }
    } catch (err) {
      // The output failed (a full disk, a closed pipe): stop the engine, in-flight requests included,
      // rather than pay for answers that cannot be written.
      await rows.return(undefined as never).catch(() => {});
      throw err;
    }
    const outcome = step.value;
    // A finished run replaces the old file even with no rows (an empty input); a stopped one keeps it.
    if (!outcome.stopped) target.pending?.replace();
    const oldFileKept = target.pending !== undefined && !target.pending.replaced;
    if (oldFileKept && config.output.kind === 'file') {
      reporter.info(`${config.output.path} is left as it was: the run stopped before its first row`);
    }
    await target.writer.close();

    const resumable = outcome.stopped === 'interrupted' || outcome.stopped === 'quota';
    const next = resumable ? resumeHint(config, oldFileKept) : null;
    const summary = buildSummary(stats, performance.now(), outcome.stopped, next, config.model, reporter.usageByModel);
    if (outcome.stopped === 'proxy') {
      reporter.error(`${outcome.message}; check HTTPS_PROXY / HTTP_PROXY (host, credentials) and NO_PROXY. Stopped before sending more.`);
    } else if (outcome.stopped === 'auth') {
      reporter.error(`the server rejected the API key (${outcome.message}); check OPENAI_API_KEY and --base-url. Stopped before sending more.`);
    } else if (outcome.stopped === 'quota') {
      reporter.error(`quota exhausted: ${outcome.message?.replace(/\.+$/, '')}. Stopped admitting prompts; every answered row is kept.`);
    }
    if (notFound > 0 && stats.ok === 0 && notFound === stats.failed) {
      // Rows say 404 one by one; the likely cause is one setting.
      reporter.error(
        redact(
          `every request got HTTP 404: check --base-url (${config.provider.kind === 'openai' ? config.provider.baseURL ?? 'OpenAI' : 'mock'}; OpenAI-compatible servers usually want it to end in /v1) and the model name`,
        ),
      );
    }
    reporter.finish(summary);
    const code =
      outcome.stopped === 'auth' || outcome.stopped === 'proxy' ? ExitCode.usage
      : outcome.stopped === 'quota' ? ExitCode.stoppedEarly
      : outcome.stopped === 'interrupted' ? ExitCode.interrupted
      // A prompt left failed by an earlier run is still unanswered: exit 0 would tell cron all is well.
      : stats.failed + stats.skippedFailed > 0 ? ExitCode.someFailed
      : ExitCode.ok;
    if (config.summaryJson) {
      try {
        fs.writeFileSync(config.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
      } catch (err) {
        // Every row is written; only the summary file is missing. A stop's own code (3, 130: "resume
        // me") says more than this.
        reporter.error(`cannot write --summary-json ${config.summaryJson}: ${(err as Error).message}`);
        return code === ExitCode.ok || code === ExitCode.someFailed ? ExitCode.usage : code;
      }
    }
    return code;
  } finally {
    clearTimeout(graceTimer);
    for (const off of unlisten) off();
    reporter.close();
    target?.lock?.release();
    await input.close();
  }
}

/**
 * A file the run writes at its end must be writable before the first request is paid for: its
 * directory exists and takes files, and it is not itself a directory.
 */
function checkWritableFile(file: string, flag: string): void {
  const dir = path.dirname(path.resolve(file));
  let why: string | undefined;
  try {
    if (!fs.statSync(dir).isDirectory()) why = `${dir} is not a directory`;
    else {
      const existing = fs.statSync(file, { throwIfNoEntry: false });
      if (existing?.isDirectory()) why = 'is a directory';
      else fs.accessSync(existing ? file : dir, fs.constants.W_OK);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? `no such directory ${dir}` : code === 'EACCES' ? 'permission denied' : (err as Error).message;
  }
  if (why) throw new UsageError(`${flag} ${file}: ${why}`);
}
