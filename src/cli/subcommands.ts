import { createPriceLookup } from '../budget/prices.js';
import { Command } from 'commander';
import { BatchApiError, createBatchClient, type Batch, type BatchClient } from '../batch/batch-client.js';
import { BatchJob } from '../batch/batch-job.js';
import { formatStatusLine, statusLines } from '../batch/batch-status.js';
import { IN_FLIGHT_STATUSES, isOpen, manifestPath, readManifest, type Chunk, type Manifest } from '../batch/manifest.js';
import { tokenLimitField } from '../provider/request-body.js';
import { ExitCode, OutputLockedError, RunError } from '../errors.js';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  acquireLock,
  type LockHandle,
  formatFromPath,
  metaPath,
  OUTPUT_FORMAT_KEY,
  readBackFormat,
  readRunMeta,
  type RowWriter,
  writeRunMeta,
} from '../output/index.js';
import { openCancelOutput } from './open-cancel-output.js';
import { sayingSourceLines } from './source-line-error.js';
import { MOCK_BATCHES_GONE } from './mock-batches-gone.js';
import { batchesOfMock } from './mock-run.js';
import { uncollectedNote, uncollectedOf } from './pending-batches.js';
import { mergeResults } from '../output/merge-results.js';
import { storedResultsFormat } from '../output/results-format.js';
import { mergedCsvLayout, mergeSource } from './merge-layout.js';
import { tornRowNote, writtenNowNote } from './written-now.js';
import { collectedBatchIds, nothingPendingLine, refusedLeftLine } from './collected-batches.js';
import { OUTPUT_COLUMNS_KEY, withoutStoredColumns } from './stored-csv-columns.js';
import { placeOf, readRecords } from '../input/index.js';
import { envBaseUrl, projectOf, refuseBaseUrl, resolveCliConfig, resolveOutputTrace, type CliConfig } from './config.js';
import { inputOptionsFor, openInput } from './open-input.js';
import { createRedactor } from '../redact.js';
import type { CliIo } from './io.js';
import { flushErrorLine, onIo } from './commander-io.js';
import { httpUrl, MIN_WAIT_SECONDS, seconds } from './parse-flags.js';
import { proxyFromEnv } from './proxy-env.js';
import { openTrace } from './trace-target.js';
import { recordedModels, sortedModels } from './run-models.js';
import { AnswerCoverage, type MissingAnswer } from './merge-coverage.js';
import { mergeDifferences, runModelsOf, runRepeatOf } from './merge-settings.js';
import { sameFile } from '../util/same-file.js';
import { checkApiKey, checkHeaderVariables } from './check-api-key.js';
import { styleHelp } from './help-style.js';
import { checkWritableFile } from './check-writable.js';
import { notRereadable, unreadableReason } from './path-problem.js';
import { isStreamTarget } from './stream-target.js';
import { openWholeOutput, writeWhole } from './replacing-writer.js';
import { lockReplacedOutput } from './lock-replaced-output.js';
import { count } from '../ui/number-format.js';
import { counted } from '../util/group-digits.js';
import { ReasoningLeftOut } from './reasoning-left-out.js';
import type { ResultRow } from '../types.js';
import { filesSize } from '../util/file-size.js';
import { aboveReadProgress, readProgressFor } from './read-progress-for.js';
import type { ReadProgress } from '../ui/file-progress.js';

/** `-v` / `--trace FILE`: the Batch API calls made (`#b1`…), as a --batch-api run logs them, credentials redacted. */
interface TraceFlags {
  verbose?: boolean;
  trace?: string;
}
const VERBOSE_HELP = 'show every Batch API request and raw response on stderr, as curl -v does (key redacted)';
const TRACE_HELP = 'append every Batch API request and raw response to a file (key redacted)';

function loadManifest(output: string): Manifest {
  const manifest = readManifest(output);
  if (manifest) return manifest;
  // A typo in OUT is said as report and merge say a missing file, not as a run of another kind.
  const unreadable = unreadableReason(output);
  if (unreadable === 'is a directory') throw new RunError(`${output} is a directory, not a results file`, 'usage');
  if (unreadable) throw new RunError(`cannot read results file ${output}: ${unreadable}`, 'usage');
  throw new RunError(`${manifestPath(output)} not found: ${output} was not written by an llm-batch --batch-api run`, 'usage');
}

/**
 * The server the run used (from OUT.meta.json) unless --base-url names another, refused as a run
 * refuses it (credentials, a query) before anything is sent. A URL the run stored with a secret
 * taken out (`[redacted]`) must be given again, which only matters once the server is asked.
 */
function serverFor(output: string, manifest: Manifest, baseUrlFlag: string | undefined, io: CliIo, trace: TraceFlags) {
  const meta = readRunMeta(output);
  const said = typeof meta?.['baseURL'] === 'string' && meta['baseURL'] !== 'openai' ? (meta['baseURL'] as string) : undefined;
  // A --mock run's meta beside batches the manifest says are on a server (a real --batch-api
  // --overwrite of an older llm-batch, stopped before its first row, kept it) names no server of theirs.
  const recorded = said === 'mock' && manifest.mock === false ? undefined : said;
  const apiKey = io.env.OPENAI_API_KEY?.trim() || undefined;
  const useRecorded = recorded !== undefined && !recorded.includes('[redacted]');
  // Read (and checked, as a run checks it) only when it is the server asked.
  const envURL = baseUrlFlag === undefined && !useRecorded ? envBaseUrl(io.env, apiKey) : undefined;
  const stripped = baseUrlFlag === undefined && recorded?.includes('[redacted]') && envURL === undefined;
  const [baseURL, from] =
    baseUrlFlag !== undefined ? [baseUrlFlag, '--base-url'] : useRecorded ? [recorded, `the base URL in ${metaPath(output)}`] : [envURL, 'OPENAI_BASE_URL'];
  if (baseURL !== undefined) refuseBaseUrl(baseURL, from, apiKey);
  const proxy = proxyFromEnv(baseURL);
  const redact = createRedactor([apiKey, ...(proxy?.secrets ?? [])]);
  // Opened before anything is sent, so an unwritable --trace is a usage error, as on a run.
  const write = openTrace({ trace: resolveOutputTrace(output, trace) }, io);
  return {
    baseURL,
    redact,
    client: () => {
      if (recorded === 'mock' && baseUrlFlag === undefined)
        throw new RunError(
          `${output} was written by a --mock run, and ${MOCK_BATCHES_GONE}: there is no server to ask; run it again with --overwrite`,
          'usage',
        );
      // Before the server is asked: a key a header cannot carry fails every call, and not as a rejected key.
      checkApiKey(apiKey, 'OPENAI_API_KEY');
      checkHeaderVariables(io.env);
      if (stripped)
        throw new RunError(
          `the base URL in ${metaPath(output)} had a secret in it, which is not stored (${recorded}): give the URL with --base-url or OPENAI_BASE_URL`,
          'usage',
        );
      return createBatchClient({ apiKey, baseURL, ...projectOf(io.env), proxyFor: proxy?.proxyFor, redact, trace: write });
    },
  };
}

/** `status`'s next step for a --mock run's batch not collected. */
const MOCK_GONE_NEXT = `none: ${MOCK_BATCHES_GONE}; the run's command with --overwrite starts again`;

/**
 * Fresh status and counts from the server for the batches still running, all or none. A server that
 * cannot be asked (a connection that fails, a 5xx or 429 after the client's retries) leaves the
 * manifest as saved: its failure is returned, for status to say.
 */
async function refreshRunning(manifest: Manifest, connect: () => BatchClient): Promise<string | undefined> {
  const running = manifest.chunks.filter((c) => c.batchId && IN_FLIGHT_STATUSES.has(c.status));
  if (running.length === 0) return undefined;
  const client = connect();
  const fresh: Array<[Chunk, Batch]> = [];
  try {
    for (const chunk of running) fresh.push([chunk, await client.retrieve(chunk.batchId!)]);
  } catch (err) {
    if (err instanceof BatchApiError && err.transient) return err.message;
    throw err;
  }
  for (const [chunk, batch] of fresh) {
    chunk.status = batch.status as typeof chunk.status;
    if (batch.request_counts) chunk.counts = { ...batch.request_counts };
  }
  return undefined;
}

async function status(output: string, opts: { json?: boolean; baseUrl?: string; refresh: boolean } & TraceFlags, io: CliIo): Promise<number> {
  const manifest = loadManifest(output);
  const server = serverFor(output, manifest, opts.baseUrl, io, opts);
  // Fresh counts for batches still running (the server is asked only then); the manifest itself is
  // left to the run that owns it.
  const failed = opts.refresh ? await refreshRunning(manifest, server.client) : undefined;
  // The table still comes, as --no-refresh's, so `status --json | jq .pending` gets its answer; exit 4 says it is not fresh.
  if (failed !== undefined)
    io.stderr.write(
      `llm-batch: the server could not be asked for fresh counts (${failed}): shown as ${manifestPath(output)} last saved them, as --no-refresh shows them\n`,
    );
  // A note may hold a server's words (a refusal) from a manifest written before they were redacted.
  const redact = createRedactor([io.env.OPENAI_API_KEY?.trim()]);
  // Pending: the batches on the server; those built and never submitted (an upload that failed)
  // apart, and a --mock run's, gone with its process (said per batch too).
  const { pending, unsubmitted, gone } = uncollectedOf(manifest, batchesOfMock(output, manifest));
  const lines = statusLines(manifest, Date.now(), gone > 0 ? MOCK_GONE_NEXT : undefined).map((line) => ({ ...line, next: redact(line.next) }));
  // Batches the server refused: nothing of theirs is on the server, yet their requests have no row
  // until a --resume plans them again (or cancel writes them as aborted rows).
  const refused = manifest.chunks.filter((c) => !c.collected && !isOpen(c));
  // Nothing pending: the manifest has dropped the collected batches; a script still gets an answer.
  const left = pending + unsubmitted + gone;
  const collected = left === 0 && refused.length === 0 ? await collectedBatchIds(output) : undefined;
  if (opts.json) {
    // `refreshed`: whether the running batches' counts are the server's now (not with --no-refresh, nor when it could not be asked).
    const freshness = { refreshed: opts.refresh && failed === undefined, refreshError: failed ?? null };
    const body = { output, pending, unsubmitted, gone, refused: refused.length, ...freshness, batches: lines, ...(collected ? { collected } : {}) };
    io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    for (const line of lines) io.stdout.write(`${formatStatusLine(line)}\n`);
    if (left === 0 && refused.length > 0) io.stdout.write(`${refusedLeftLine(output, refused)}\n`);
    else if (left === 0) io.stdout.write(`${nothingPendingLine(output, collected)}\n`);
  }
  return failed === undefined ? ExitCode.ok : ExitCode.unreachable;
}

/**
 * `cancel`'s last line: the rows of lines the batches had finished, apart from the aborted rows of
 * requests they never ran (it called them all "answers the batches had finished").
 */
function cancelledLine(output: string, finished: number, aborted: number): string {
  const lines = (n: number) => `${count(n)} ${n === 1 ? 'line' : 'lines'}`;
  const abortedRows = `${count(aborted)} aborted ${aborted === 1 ? 'row' : 'rows'} (requests not run; a --resume sends them)`;
  if (finished === 0 && aborted === 0) return `cancelled; no rows written to ${output}`;
  if (aborted === 0) return `cancelled; ${lines(finished)} the batches had finished written to ${output}`;
  if (finished === 0) return `cancelled; the batches had finished no line: ${abortedRows} written to ${output}`;
  return `cancelled; ${lines(finished)} the batches had finished and ${abortedRows} written to ${output}`;
}

interface CancelFlags extends TraceFlags {
  baseUrl?: string;
  poll: number;
  quiet?: boolean;
}

async function cancel(output: string, opts: CancelFlags, io: CliIo): Promise<number> {
  const manifest = loadManifest(output);
  const { client: connect, baseURL, redact } = serverFor(output, manifest, opts.baseUrl, io, opts);
  // -q: as a run's --quiet, the job's progress and the closing line go; errors are thrown, and still print.
  const say = (line: string) => {
    if (!opts.quiet) io.stderr.write(`llm-batch: ${line}\n`);
  };
  // A refused chunk is closed but uncollected: cancel writes its lines as aborted rows.
  if (!manifest.chunks.some((c) => !c.collected)) {
    say(`nothing to cancel: every batch of ${output} is collected`);
    return ExitCode.ok;
  }
  const client = connect();
  // As the run wrote it (`-o r.csv -f jsonl` is JSONL), so cancelled rows are appended in its format.
  const format = readBackFormat(output);
  let lock: LockHandle;
  try {
    lock = acquireLock(output);
  } catch (err) {
    const message = `${(err as Error).message} (stop the run that is waiting on its batches first, e.g. with Ctrl-C; then cancel)`;
    // Held by another run: "try again later" (75), as a run refused so exits; anything else as it was.
    throw err instanceof OutputLockedError ? new OutputLockedError(message) : new RunError(message, 'usage');
  }
  // Rows as the run writes them: its CSV layout, its answers checked against its schema.
  const shape = manifest.rowShape;
  let writer: RowWriter;
  try {
    writer = openCancelOutput(output, format, shape?.csv);
  } catch (err) {
    lock.release();
    throw err;
  }
  const structured = shape?.structured
    ? (await import('./structured-setup.js')).prepareStructured(shape.structured as unknown as NonNullable<CliConfig['structured']>).structured
    : undefined;
  // Ctrl-C or SIGTERM while it waits for the batches to end: it stops waiting and says what is left,
  // where node's default ended it with 130 and not a word. OUT.batch.json holds every step taken.
  const stop = new AbortController();
  const unlisten = (['SIGINT', 'SIGTERM'] as const).map((signal) => io.onSignal(signal, () => stop.abort()));
  try {
    let rows = 0;
    let answered = 0;
    const outcome = await new BatchJob({
      client,
      output,
      writer,
      records: () => {
        throw new Error('cancel does not plan');
      },
      answeredBefore: () => false,
      defaults: { model: '', temperature: undefined, maxTokens: undefined, limitField: tokenLimitField(baseURL) },
      limits: { maxLines: 1, maxBytes: 1 },
      pollMs: opts.poll * 1000,
      wait: true,
      cancel: true,
      // Answers a cancelled batch had finished are paid for: under a --max-cost run's plan they count
      // against its cap, or a later --resume spent the cap again. Each chunk is settled at the price
      // it was reserved at; the table's prices only for a plan that kept none (see BatchJob.collect).
      budget: manifest.budget ? { capUsd: Number.POSITIVE_INFINITY, prices: createPriceLookup({}) } : undefined,
      structured: structured ? { check: structured.check, retries: structured.retries, reaskLive: false } : undefined,
      onRow: (row) => {
        rows++;
        if (row.error?.type !== 'aborted') answered++;
      },
      info: say,
      signal: stop.signal,
      redact,
    }).run();
    if (stop.signal.aborted && outcome.pending > 0) {
      io.stderr.write(
        `llm-batch: interrupted: ${outcome.pending === 1 ? '1 batch is' : `${outcome.pending} batches are`} still being cancelled on the server (${rows} rows written); run \`llm-batch cancel ${output}\` again to collect what they finished\n`,
      );
      return ExitCode.interrupted;
    }
    say(cancelledLine(output, answered, rows - answered));
    return ExitCode.ok;
  } catch (err) {
    // As status: a server that cannot be reached (refused, 5xx or 429 after retries) is exit 4, not "some prompts failed".
    if (err instanceof BatchApiError && err.transient) {
      // A 503 or a 429 after the retries was an answer: the server was reached, and refused for now.
      const why = err.status === undefined ? 'the server could not be reached' : 'the server is not taking it now';
      throw new RunError(`${err.message}: ${why}; ${manifestPath(output)} keeps what is left, cancel again once it answers`, 'unreachable');
    }
    throw err;
  } finally {
    for (const off of unlisten) off();
    await writer.close();
    lock.release();
  }
}

interface MergeOptions {
  output: string;
  input?: string;
  overwrite?: boolean;
  force?: boolean;
  quiet?: boolean;
}

/**
 * The run settings of shard outputs must agree but for the shard (the models as a set, and --repeat:
 * see mergeDifferences): mixing runs would mix answers, and a shard that asked fewer would leave
 * answers out. The settings the merged file gets: the first output's, with every output's models and
 * the most samples (when --force merged outputs that differ); and how many shards are missing.
 */
function checkSameRun(
  outputs: readonly string[],
  force: boolean,
  io: CliIo,
): { meta: Record<string, unknown> | undefined; missingShards: number; withoutMeta: number } {
  let first: { file: string; meta: Record<string, unknown> } | undefined;
  const shards: string[] = [];
  let withoutMeta = 0;
  const allModels: string[] = [];
  let repeat = 1;
  for (const file of outputs) {
    const unreadable = unreadableReason(file);
    if (unreadable) throw new RunError(`cannot merge ${file}: ${unreadable}`, 'input');
    // Read twice (the last row per answer, then the rows): a pipe's second pass would be empty.
    const once = notRereadable(file);
    if (once) throw new RunError(`cannot merge ${file}: ${once}, and merge reads each output twice: save it to a file first`, 'input');
    // Its metadata says so: its answers are plain lines, which would be refused line by line as broken JSON.
    if (storedResultsFormat(file) === 'text')
      throw new RunError(`cannot merge ${file}: it is a text output (no ids to merge by); merge reads the JSONL or CSV results of runs`, 'input');
    const meta = readRunMeta(file);
    if (!meta) {
      io.stderr.write(`llm-batch: ${file} has no run metadata (${metaPath(file)}); its settings cannot be checked\n`);
      withoutMeta++;
      continue;
    }
    const { shard } = meta;
    if (typeof shard === 'string') shards.push(shard);
    allModels.push(...(runModelsOf(meta) ?? []));
    repeat = Math.max(repeat, runRepeatOf(meta));
    if (!first) {
      first = { file, meta: withoutShard(meta) };
      continue;
    }
    // Kept only when every output agrees; else a CSV made of the merged file reads them from its rows.
    if (!isDeepStrictEqual(first.meta[OUTPUT_COLUMNS_KEY], meta[OUTPUT_COLUMNS_KEY])) first.meta = withoutStoredColumns(first.meta);
    const differences = mergeDifferences(first.meta, meta);
    if (differences.length > 0 && !force) {
      throw new RunError(`${file} was written by a different run than ${first.file} (${differences.join('; ')}); pass --force to merge anyway`, 'usage');
    }
  }
  const counts = new Set(shards.map((s) => s.split('/')[1]));
  if (counts.size > 1 && !force)
    throw new RunError(`the outputs come from different shard counts (${shards.join(', ')}); pass --force to merge anyway`, 'usage');
  if (first && allModels.length > 0) first.meta['models'] = sortedModels(allModels);
  if (first && repeat > 1) first.meta['repeat'] = repeat;
  const [n] = [...counts];
  const missing = n ? Array.from({ length: Number(n) }, (_, i) => `${i + 1}/${n}`).filter((s) => !shards.includes(s)) : [];
  // An output without metadata may be one of them: its shard cannot be told (--input can check the rows).
  const among =
    withoutMeta > 0
      ? `the outputs with run metadata (${counted(withoutMeta, 'output')} without may hold ${missing.length === 1 ? 'it' : 'them'})`
      : 'the outputs';
  if (missing.length > 0) io.stderr.write(`llm-batch: shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} not among ${among}\n`);
  return { meta: first?.meta, missingShards: missing.length, withoutMeta };
}

/** Metadata without its shard: the merged file is all of them. */
function withoutShard(meta: Record<string, unknown>): Record<string, unknown> {
  const { shard: _shard, ...rest } = meta;
  return rest;
}

/**
 * Answers of `input` (read with the run's settings, asked of its models and samples) that `answered`
 * lacks: what no shard answered.
 */
async function unanswered(
  input: string,
  meta: Record<string, unknown> | undefined,
  answered: AnswerCoverage,
  io: CliIo,
): Promise<{ count: number; first: string[] }> {
  const str = (key: string) => (typeof meta?.[key] === 'string' ? (meta[key] as string) : undefined);
  const inputFormat = str('inputFormat');
  const config = resolveCliConfig(
    input,
    {
      inputFormat: inputFormat && inputFormat !== 'auto' ? (inputFormat as 'txt' | 'jsonl' | 'csv') : undefined,
      template: str('template'),
      system: str('system'),
      promptField: str('promptField'),
      idField: str('idField'),
      csvDelimiter: str('csvDelimiter'),
      // Recorded only when set (latin1): read otherwise, a Latin-1 input was refused as not UTF-8, or
      // gave every line that is not ASCII another id than its row's.
      encoding: str('encoding') === 'latin1' ? 'latin1' : undefined,
      concurrency: 1,
      timeout: 1,
      idleTimeout: 1,
      retries: 0,
      stream: false,
      order: 'completion',
      wait: true,
      output: '-',
    },
    { env: {}, stdinIsTTY: false, stdoutIsTTY: false },
    [],
  );
  const opened = await openInput(config, io);
  const result = { count: 0, first: [] as string[] };
  try {
    const options = inputOptionsFor(config, opened);
    for await (const record of readRecords(opened.stream, answered.csv ? { ...options, csvIds: true } : options)) {
      for (const missing of answered.missing(record)) {
        result.count++;
        if (result.first.length < 5) result.first.push(`${placeOf(record)} (${answerWords(missing, answered)})`);
      }
    }
  } finally {
    await opened.close();
  }
  return result;
}

/** `id s3`, or in a run of several models or samples `id s3, model "B", sample 1` (the sample only with --repeat). */
function answerWords(missing: MissingAnswer, coverage: AnswerCoverage): string {
  const model = coverage.matrix && missing.model !== undefined ? `, model ${JSON.stringify(missing.model)}` : '';
  const sample = coverage.repeat > 1 ? `, sample ${missing.sample}` : '';
  return `id ${missing.id}${model}${sample}`;
}

/** `-o -`: the outputs' own format when they agree (CSV shards stay CSV in a pipe), else JSONL. */
function stdoutFormat(outputs: readonly string[]): 'jsonl' | 'csv' {
  return outputs.every((file) => readBackFormat(file) === 'csv') ? 'csv' : 'jsonl';
}

/** Checks a merged file's path: not one of the files read (nor the --input file, `-` is stdin). */
function checkMergeTarget(outputs: readonly string[], opts: MergeOptions, stream: boolean): void {
  // In the words a run's --output has: a path that cannot be looked up, a missing directory.
  if (!stream) checkWritableFile(opts.output, '-o');
  const inputFile = opts.input !== undefined && opts.input !== '-' ? opts.input : undefined;
  // By name or on disk (a symlink or hard link): the merged file is written before all are read.
  if (outputs.some((file) => sameFile(file, opts.output))) throw new RunError(`-o ${opts.output} is one of the outputs to merge: choose another path`, 'usage');
  if (inputFile !== undefined && sameFile(inputFile, opts.output)) throw new RunError(`-o ${opts.output} is the --input file: choose another path`, 'usage');
  const settings = metaPath(opts.output);
  const clash = [...outputs, ...(inputFile !== undefined ? [inputFile] : [])].find((file) => sameFile(file, settings));
  if (clash) throw new RunError(`${clash} is the run settings file of -o ${opts.output}, which merge writes: choose another path`, 'usage');
}

async function merge(outputs: readonly string[], opts: MergeOptions, io: CliIo): Promise<number> {
  // `-o -` is stdout, as for a run and --compact: rows for a pipe, and no run settings file.
  const toStdout = opts.output === '-';
  // --input is read after the merge: a path that cannot be read is said before anything is written.
  // `-` is stdin, as a run's input (shards fed from one pipe: `zcat in.jsonl.gz | llm-batch merge … --input -`).
  const unreadableInput = opts.input === undefined || opts.input === '-' ? undefined : unreadableReason(opts.input);
  if (unreadableInput) throw new RunError(`cannot read input file ${opts.input}: ${unreadableInput}`, 'input');
  // `-o /dev/stdout`, `/dev/null`, a FIFO: a stream, as for a run's -o; never truncated, no run settings beside it.
  const stream = !toStdout && isStreamTarget(opts.output);
  if (!toStdout && !stream) refuseMergeFormat(opts.output);
  if (!toStdout) checkMergeTarget(outputs, opts, stream);
  const say = (line: string) => {
    if (!opts.quiet) io.stderr.write(`llm-batch: ${line}\n`);
  };
  // Held to the end: a file a run is writing is refused, --overwrite or not, and one being merged into refuses a run.
  const lock = toStdout || stream ? undefined : lockReplacedOutput(opts.output, say);
  try {
    return await mergeLocked(outputs, opts, io, lock);
  } finally {
    lock?.release();
  }
}

/**
 * A merged file named as another kind of file (`.json`, `.txt`, `.md`…) is refused: it would be JSONL
 * under that name. Any other name is JSONL (`.csv` is CSV), `all.jsonl.tmp` to be moved in place too.
 */
function refuseMergeFormat(output: string): void {
  const ext = path.extname(output).toLowerCase();
  if (!OTHER_FORMATS.has(ext) && formatFromPath(output) !== 'text') return;
  throw new RunError(`merge -o ${output}: merge writes .jsonl or .csv, not "${ext}"; rename the file`, 'usage');
}

/** Names of files that hold something else than JSONL or CSV rows. */
const OTHER_FORMATS = new Set(['.json', '.txt', '.text', '.md', '.html', '.htm', '.tsv', '.xml', '.yaml', '.yml', '.xlsx', '.xls', '.parquet']);

/** The merge proper; a file (not stdout or a stream) only while `lock` is held (see lockReplacedOutput). */
async function mergeLocked(outputs: readonly string[], opts: MergeOptions, io: CliIo, lock: LockHandle | undefined): Promise<number> {
  const toStdout = opts.output === '-';
  if (lock && fs.existsSync(opts.output) && !opts.overwrite)
    throw new RunError(`${opts.output} already exists: pass --overwrite to replace it (nothing was changed)`, 'output');
  const { meta, missingShards, withoutMeta } = checkSameRun(outputs, opts.force ?? false, io);
  // Even with -q: a cron merge of a shard still running would otherwise lack its later rows unsaid.
  const beingWritten = new Set<string>();
  for (const file of outputs) {
    const note = writtenNowNote(file, 'merge');
    if (note === undefined) continue;
    io.stderr.write(note);
    beingWritten.add(file);
  }
  // Likewise a --batch-api --no-wait shard whose batches are not collected yet.
  let uncollected = 0;
  for (const file of outputs) {
    const note = beingWritten.has(file) ? undefined : uncollectedNote(file);
    if (note === undefined) continue;
    io.stderr.write(note);
    uncollected++;
  }
  // The merged file's format by its name (.csv is CSV); each output is read as what it holds.
  const format = toStdout ? stdoutFormat(outputs) : formatFromPath(opts.output) === 'csv' ? 'csv' : 'jsonl';
  const given = outputs.map((file) => mergeSource(file, readBackFormat(file), format));
  const { layout: csv, sources } = format === 'csv' ? await mergedCsvLayout(given, meta) : { layout: undefined, sources: given };
  // A file is replaced only once every row is in its place: a bad line in a shard keeps the old one.
  let shown: ReadProgress | undefined;
  const output = openWholeOutput(
    toStdout ? undefined : opts.output,
    format,
    csv,
    aboveReadProgress(io, () => shown),
    lock,
  );
  const anyCsv = outputs.some((file) => readBackFormat(file) === 'csv');
  const answered = opts.input ? new AnswerCoverage(recordedModels(meta ?? {}) ?? [], runRepeatOf(meta ?? {}), anyCsv) : undefined;
  // Two passes over every file: minutes for multi-GB shards. A stream (`-o /dev/stdout`) may be the terminal.
  shown = readProgressFor(
    io,
    opts.quiet === true,
    toStdout || isStreamTarget(opts.output),
  )?.(`merging ${counted(outputs.length, 'file')}`, 2 * filesSize(outputs));
  // A merged CSV has no column for a reasoning model's thinking: said at the end, as a run writing CSV says it.
  const leftOut = new ReasoningLeftOut(format === 'csv');
  const onRow = (row: ResultRow, model: string | undefined) => {
    leftOut.add(row);
    answered?.add(row, model);
  };
  const merging = writeWhole(output, (writer) => mergeResults(sources, writer, onRow, shown?.add));
  const stats = await merging.finally(() => shown?.done());
  if (meta && lock) writeRunMeta(opts.output, { ...meta, [OUTPUT_FORMAT_KEY]: format });
  const missing = opts.input && answered ? await unanswered(opts.input, meta, answered, io) : undefined;
  // A file a run is writing ends with the row it is writing: said above, and no resume's to ask.
  for (const file of stats.torn) if (!beingWritten.has(file)) io.stderr.write(tornRowNote(file));
  // A shard missing, still being written or with batches out leaves rows out as surely as an unanswered prompt does.
  // A shard not found by its metadata is not missing when --input finds every answer in outputs without any.
  const shardsMissing = missingShards > 0 && !(missing?.count === 0 && withoutMeta >= missingShards);
  const incomplete = stats.failed > 0 || (missing?.count ?? 0) > 0 || shardsMissing || beingWritten.size > 0 || uncollected > 0;
  const reasoning = leftOut.line();
  if (reasoning && !opts.quiet) io.stderr.write(`llm-batch: ${reasoning}\n`);
  const noun = answered?.matrix ? ['answer', 'answers'] : ['id', 'ids'];
  const inputName = opts.input === '-' ? 'stdin' : opts.input;
  // -q: as a run's summary, said only when something is missing or failed (exit 1), for cron.
  if (opts.quiet && !incomplete) return ExitCode.ok;
  io.stderr.write(
    `llm-batch: merged ${counted(stats.rows, 'row')} from ${counted(outputs.length, 'file')} into ${toStdout ? 'stdout' : opts.output} (${counted(stats.dropped, 'superseded row')} dropped; ${count(stats.failed)} failed)` +
      (missing && missing.count > 0
        ? `; ${missing.count === 1 ? `1 ${noun[0]}` : `${count(missing.count)} ${noun[1]}`} of ${inputName} ${missing.count === 1 ? 'has' : 'have'} no row${missing.first.length ? `: ${missing.first.join(', ')}${missing.count > missing.first.length ? ', …' : ''}` : ''}`
        : missing
          ? `; every ${noun[0]} of ${inputName} has a row`
          : '') +
      '\n',
  );
  return incomplete ? ExitCode.someFailed : ExitCode.ok;
}

/** The line after a usage error, naming the help that has the command's flags, as the main command and `cache` say. */
const usageHint = (name: string) => `(run llm-batch ${name} --help for usage)`;

/** `llm-batch status OUT` and `llm-batch cancel OUT`: the batches of a --batch-api output. */
export async function runSubcommand(argv: readonly string[], io: CliIo): Promise<number> {
  // A parse error repeats the value it refused (`--base-url 'ftp://user:pw@host'`): onIo redacts it.
  const program = onIo(new Command('llm-batch'), io);
  // Before the commands are added: they inherit the help flag's wording.
  styleHelp(program);
  let result: Promise<number> = Promise.resolve(ExitCode.ok);
  const statusCommand = program
    .command('status')
    .showHelpAfterError(usageHint('status'))
    .description('Show one line per batch of a --batch-api output: its id, model, status, counts and age, and what the next run will do.')
    .argument('<output>', 'the results file given to -o')
    .option('--json', 'the same as JSON on stdout')
    .option('--no-refresh', 'show the manifest as saved, without asking the server')
    .option('--base-url <url>', 'the server, when not the one the run recorded', httpUrl)
    .option('-v, --verbose', VERBOSE_HELP)
    .option('--trace <file>', TRACE_HELP)
    .action((output: string, opts: { json?: boolean; baseUrl?: string; refresh: boolean } & TraceFlags) => {
      result = status(output, opts, io);
    });
  styleHelp(statusCommand, [
    'llm-batch status out.jsonl',
    'llm-batch status out.jsonl --json | jq .pending',
    'llm-batch status out.jsonl --no-refresh   # as saved, without asking the server',
  ]);
  const cancelCommand = program
    .command('cancel')
    .showHelpAfterError(usageHint('cancel'))
    .description('Cancel the pending batches of a --batch-api output; rows already collected, and the answers the batches finished, are kept.')
    .argument('<output>', 'the results file given to -o')
    .option('--base-url <url>', 'the server, when not the one the run recorded', httpUrl)
    .option('--poll <seconds>', 'seconds between checks while the batches wind down, 0.05 to 86400', seconds(MIN_WAIT_SECONDS), 5)
    .option('-v, --verbose', VERBOSE_HELP)
    .option('--trace <file>', TRACE_HELP)
    .option('-q, --quiet', 'print nothing on success (errors still print)')
    .action((output: string, opts: CancelFlags) => {
      result = cancel(output, opts, io);
    });
  styleHelp(cancelCommand, [
    'llm-batch cancel out.jsonl',
    'llm-batch cancel -q out.jsonl   # in cron: silent unless it fails',
    'llm-batch cancel out.jsonl --base-url https://my-gateway.example/v1',
  ]);
  const mergeCommand = program
    .command('merge')
    .showHelpAfterError(usageHint('merge'))
    .description(
      'Join the outputs of --shard runs (or any outputs of one run) into one file: one row per answer (id, model, sample), the last; outputs of different runs are refused.',
    )
    .argument('<outputs...>', 'results files (.jsonl or .csv)')
    .requiredOption('-o, --output <file>', 'the merged results file (.jsonl or .csv); "-" for stdout (the outputs\' format: CSV if all are .csv, else JSONL)')
    .option('--input <file>', 'the input the shards read ("-" for stdin): report the answers (id, model, sample) that no shard has (exit 1 if any)')
    .option('--overwrite', 'replace an existing -o file')
    .option('--force', 'merge outputs whose run settings differ')
    .option('-q, --quiet', 'print nothing unless rows failed, answers have no row or a run is still writing an output (errors still print)')
    .action((outputs: string[], opts: MergeOptions) => {
      result = sayingSourceLines('merge', () => merge(outputs, opts, io));
    });
  styleHelp(mergeCommand, [
    'llm-batch merge out-1.jsonl out-2.jsonl out-3.jsonl -o out.jsonl --input prompts.jsonl',
    'llm-batch merge shard-*.csv -o - | gzip > all.csv.gz',
    'llm-batch merge -q out-*.jsonl -o out.jsonl --input prompts.jsonl   # in cron: silent unless rows are missing',
  ]);
  try {
    program.parse([...argv], { from: 'user' });
  } finally {
    flushErrorLine(program);
  }
  return result;
}
