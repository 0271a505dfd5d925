import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { addHelpSections } from './help-style.js';
import { ExitCode, RunError, UsageError } from '../errors.js';
import type { Figures, RunFigures } from '../report/report-data.js';
import { checkReportTarget, defaultReportPath, resultsFormat } from '../report/report-target.js';
import { writeReport, type ReportOutcome } from '../report/write-report.js';
import { aboveProgress, createFileProgress, type FileProgress } from '../ui/file-progress.js';
import { localeIsAscii } from '../ui/plain-text.js';
import { isInteractive } from './display-mode.js';
import { withStreams, type CliIo } from './io.js';
import { checkWritableFile } from './check-writable.js';
import { notRereadable, readProblem, unreadableReason } from './path-problem.js';
import { priceFlag } from './parse-flags.js';
import { metaPath, readRunMeta } from '../output/index.js';
import { fieldOrderOf } from './stored-csv-columns.js';
import { storedResultsFormat } from '../output/results-format.js';
import { tornRowNote, writtenNowNote } from './written-now.js';
import { onIo, parseArgv } from './commander-io.js';
import { createPriceLookup, type TokenPrice } from '../budget/prices.js';
import { pricesOf } from './open-budget.js';
import { writtenByMock } from './mock-run.js';
import { pendingBatchesNote } from './report-pending.js';
import { groupDigits } from '../util/group-digits.js';
import { runErrorExit } from './run-error-exit.js';
import { checkSummaryFitsRows, type SummaryCounts } from './summary-fits-rows.js';
import { lockPath, outputSideFiles } from '../output/side-paths.js';
import { ownFdOf } from '../util/own-fd.js';
import { counted } from '../util/group-digits.js';
import { notValidJson } from '../util/json-error-place.js';
import { openReplacingFile, type ReplacingFile, writeWhole } from './replacing-writer.js';
import { envKeyRedactor, isBug } from './internal-error.js';

const HELP = `
Examples:
  $ llm-batch report out.jsonl                  # writes out.html beside it
  $ llm-batch report out.csv -o nightly.html
  $ llm-batch report out.jsonl -o - | ssh host 'cat > run.html'   # the HTML to stdout
  $ llm-batch report out.jsonl --summary-json summary.json   # exact 429s, retries, wall time of the run
  $ llm-batch report out.jsonl --price 0.15/0.60             # the prices the run used (USD per million tokens)

The report is one HTML file with everything inline (data, charts, code): it opens from disk, can be
mailed or attached, and sends nothing anywhere. Beyond 200,000 rows (or 100 million characters of
prompt and answer text) its table holds a sample and says so; the figures and charts count every row.
`;

interface ReportFlags {
  output?: string;
  format?: 'jsonl' | 'csv';
  summaryJson?: string;
  price?: TokenPrice;
  prices?: string;
  overwrite?: boolean;
  quiet?: boolean;
}

/** `llm-batch report RESULTS [-o report.html]`: an HTML report of a results file. */
export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('llm-batch report')
    .description('Write a self-contained HTML report of a results file (JSONL or CSV): figures, latency, errors, time series, comparison, searchable rows.')
    .argument('<results>', 'a results file written by llm-batch (.jsonl or .csv)')
    .option('-o, --output <file>', 'the HTML file (default: the results file with .html); "-" for stdout')
    .option('--format <format>', 'read the results as jsonl or csv (default: what the file holds, by its first bytes, else its extension)')
    .option('--summary-json <file>', "the run's --summary-json file: requests, every 429, retries and wall time as the run counted them")
    .option(
      '--price <in/out[/cached]>',
      'price every model at IN/OUT (and CACHED input) USD per million tokens, as the run did (but those --prices names)',
      priceFlag,
    )
    .option('--prices <file>', 'a JSON file of model → price, as the run had (--price, else list prices, for models it does not name)')
    .option('--overwrite', 'replace an existing file that is not an llm-batch report')
    .option('-q, --quiet', 'print nothing on success')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError('(run llm-batch report --help for usage)')
    .allowExcessArguments(false);
  addHelpSections(program, HELP);
  const parsed = parseArgv(onIo(program, io), argv);
  if (parsed !== undefined) return parsed;
  const input = program.args[0]!;
  const flags = program.opts<ReportFlags>();
  try {
    if (flags.format !== undefined && flags.format !== 'jsonl' && flags.format !== 'csv')
      throw new UsageError(`--format must be jsonl or csv, got ${JSON.stringify(flags.format)}`);
    const unreadable = unreadableReason(input);
    if (unreadable === 'is a directory') throw new RunError(`${input} is a directory, not a results file`, 'input');
    if (unreadable) throw new RunError(`cannot read results file ${input}: ${unreadable}`, 'input');
    // Its metadata says so: its answers are plain lines, which would be refused as a JSONL line that is no row.
    if (flags.format === undefined && storedResultsFormat(input) === 'text')
      throw new RunError(`${input} is a text output (no ids or figures): llm-batch report reads the JSONL or CSV results of a run`, 'input');
    // Read twice (the figures, then the texts of the rows the table shows): a pipe's second pass would be empty.
    const once = notRereadable(input);
    if (once) throw new RunError(`cannot report ${input}: ${once}, and report reads the results twice: save it to a file first`, 'input');
    // `-o -` is stdout, as for a run and --compact: the HTML for a pipe (`| ssh host 'cat > r.html'`).
    const toStdout = flags.output === '-';
    const output = flags.output ?? defaultReportPath(input);
    // In the words a run's --output has: a path that cannot be looked up, a missing directory.
    if (!toStdout) {
      const named = flags.output ? '--output' : 'the report';
      checkWritableFile(output, named);
      checkReportTarget(
        output,
        named,
        flags.overwrite ?? false,
        [
          ['results', input],
          // A report written over one would break the next --resume, as a run's --report would.
          ...outputSideFiles(input).map(([what, file]): [string, string] => [`results’ ${what}`, file]),
          ['--summary-json', flags.summaryJson],
          ['--prices', flags.prices],
        ],
        // out.csv's and out.jsonl's reports are both out.html by default: neither replaces the other unasked.
        flags.output ? undefined : input,
      );
    }
    // Asked before the rows are read: a run that holds the output's lock writes rows this report cannot see.
    const inProgress = writtenNowNote(input, 'report');
    // That run writes its summary when it ends: any summary there is now is an earlier run's, or its
    // placeholder (read first, it was said to be a run that "never finished (killed?)").
    if (inProgress && flags.summaryJson)
      throw new RunError(
        `--summary-json ${flags.summaryJson}: ${input} is still being written by a run in progress (it holds ${lockPath(input)}), which writes its summary when it ends: report it without --summary-json, or once that run has ended`,
        'input',
      );
    const summary = flags.summaryJson ? readSummary(flags.summaryJson, input) : undefined;
    const run = summary?.figures;
    // As the run's summary priced it: a --mock run's own model at $0 (its OUT.meta.json says "baseURL": "mock").
    const lookup = pricesOf({ price: flags.price, pricesFile: flags.prices }, mockRunOf(input)) ?? createPriceLookup({});
    // The run's -m: a row of a plain run does not name the model it asked for, only the one that answered.
    const runModel = runModelOf(input);
    // Batches a --batch-api run left on the server hold rows this report cannot see (a run in progress collects its own).
    const pending = inProgress !== undefined ? undefined : pendingBatchesNote(input, summary?.resumeHint ?? null);
    // Minutes on a file of gigabytes: a line on the terminal says how far the reads are.
    const shown = showProgress(io, flags.quiet === true || (toStdout && io.stdout.isTTY === true));
    const progress = shown?.progress;
    const format = flags.format ?? resultsFormat(input);
    const meta = readRunMeta(input);
    const write = (output: string | NodeJS.WritableStream) =>
      writeReport({
        input,
        format,
        // As --compact and merge read it: a CSV escaped by its run says so in its metadata.
        escapedFormulas: meta?.['csvEscapeFormulas'] === true,
        output,
        run,
        fieldOrder: fieldOrderOf(meta, format),
        // The manifest as it is now: batches collected since the summary was written are not pending.
        ...(pending ? { batches: pending.batches } : {}),
        pricing: { lookup, runModel },
        refuseEmpty: !writtenByRun(input),
        beingWritten: inProgress !== undefined,
        ...(summary ? { checkFigures: (figures: Figures) => checkSummaryFitsRows(flags.summaryJson!, input, summary.counts, figures) } : {}),
        ...(progress ? { progress } : {}),
      });
    let outcome: ReportOutcome;
    try {
      const replacing = toStdout ? undefined : openReportFile(output, shown?.io ?? io);
      outcome = replacing ? await writeWhole(replacing, write) : await write(toStdout ? io.stdout : output);
    } finally {
      progress?.done();
    }
    // Said under -q too: the report is short of rows the run or its batches will still write.
    if (inProgress) io.stderr.write(inProgress);
    if (pending?.message) io.stderr.write(`llm-batch: ${pending.message}\n`);
    // As merge and --compact say it (not of a file a run is writing: its last row is being written).
    if (outcome.torn) io.stderr.write(tornRowNote(input));
    if (!flags.quiet) {
      const sampled = outcome.sampled ? `; the table holds a sample of ${groupDigits(outcome.tableRows)}` : '';
      io.stderr.write(
        `llm-batch: report of ${counted(outcome.rows, 'row')} written to ${toStdout ? 'stdout' : output} (${(outcome.bytes / 1e6).toFixed(1)} MB${sampled})\n`,
      );
    }
    return ExitCode.ok;
  } catch (err) {
    // `report … -o - | head`: the reader leaving is no error to report, as for a run.
    if (err instanceof RunError) return runErrorExit(err, io);
    if (isBug(err)) throw err;
    io.stderr.write(`llm-batch: cannot write the report: ${envKeyRedactor(io.env)((err as Error).message)}\n`);
    return ExitCode.usage;
  }
}

/**
 * The temp file a report to `file` is written into, opened before the first row is read and renamed
 * over `file` once the HTML is all in it; Ctrl-C, SIGTERM or a hangup meanwhile remove it and exit
 * 130, as merge's. None for a path that is no regular file (a FIFO, /dev/null): written in place.
 */
function openReportFile(file: string, io: CliIo): ReplacingFile | undefined {
  // `/dev/stdout` into a log: the log is not replaced, the page goes through the descriptor (see ownFdOf).
  if (ownFdOf(file) !== undefined) return undefined;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat && !stat.isFile() ? undefined : openReplacingFile(file, io);
}

/**
 * The status line of a report on an interactive terminal's stderr, unless `quiet` (-q, or the HTML
 * going to that terminal), and `io` with its stderr written above the line (an interrupt's last
 * words must not end up on it). Undefined elsewhere: logs and pipes get no line.
 */
function showProgress(io: CliIo, quiet: boolean): { progress: FileProgress; io: CliIo } | undefined {
  if (quiet || !isInteractive(io, io.stderr)) return undefined;
  const progress = createFileProgress(io.stderr, { columns: () => io.stderr.columns || 80, ascii: localeIsAscii(io.env) });
  return { progress, io: withStreams(io, { stderr: aboveProgress(io.stderr, progress) }) };
}

/**
 * Whether a run left its metadata beside `input`: such a file with no rows is a run that answered
 * nothing (a `--shard` that got no records exits 0) and gets its empty report; any other file with
 * no rows is refused (exit 5), since an empty export upstream must not look green in cron.
 */
function writtenByRun(input: string): boolean {
  return fs.existsSync(metaPath(input));
}

/** The input file of the run that wrote `results` (its metadata file beside it), or null (stdin, none). */
function runInputOf(results: string): string | null {
  try {
    const input = readRunMeta(results)?.['input'];
    return typeof input === 'string' && input !== '<stdin>' ? input : null;
  } catch {
    return null;
  }
}

/** The model of the run that wrote `input` (its metadata file beside it), or null. */
function runModelOf(input: string): string | null {
  try {
    const model = readRunMeta(input)?.['model'];
    return typeof model === 'string' ? model : null;
  } catch {
    // Damaged or unreadable metadata: rows are priced by the model they name.
    return null;
  }
}

/** Whether a --mock run wrote `input` (its metadata file says so); damaged metadata says nothing. */
function mockRunOf(input: string): boolean {
  try {
    return writtenByMock(input);
  } catch {
    return false;
  }
}

/**
 * The run-level figures of a `--summary-json` file, refused when it is another run's than `results`',
 * and its `resumeHint` (the command that continues the run), when it has one.
 */
function readSummary(file: string, results: string): { figures: RunFigures; counts: SummaryCounts; resumeHint: string | null } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    // A file that cannot be read in the words a run's paths have.
    throw new RunError(`--summary-json ${file}: ${readProblem(err)}`, 'input');
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    // JSON that does not parse: its line and column, as --json-schema's and --prices' say.
    throw new RunError(`--summary-json ${file}: ${notValidJson(text, err as Error)}`, 'input');
  }
  // What a run writes as it starts sending, left only if it was killed outright: no figures of it.
  if (value?.['stopped'] === 'running')
    throw new RunError(
      `--summary-json ${file} is the placeholder of a run that never finished (killed?): it holds none of the run's figures; report without --summary-json`,
      'input',
    );
  // Its figures would stand beside the rows as theirs ("requests 40", a budget banner): a summary
  // picked from another job's must not be. Names as given, so compared by file name only.
  const readFrom = runInputOf(results);
  const summarised = value?.['input'];
  if (typeof summarised === 'string' && readFrom !== null && path.basename(summarised) !== path.basename(readFrom)) {
    throw new RunError(
      `--summary-json ${file} is the summary of a run of ${summarised}, but ${results} was written from ${readFrom} (${metaPath(results)}): give the summary of the run that wrote it`,
      'input',
    );
  }
  const n = (k: string): number => {
    const v = value?.[k];
    if (typeof v !== 'number') throw new RunError(`--summary-json ${file}: "${k}" is missing or not a number (is it a --summary-json file?)`, 'input');
    return v;
  };
  const object = (k: string) => (typeof value[k] === 'object' && value[k] !== null ? (value[k] as Record<string, unknown>) : undefined);
  const cost = object('estimatedCost');
  const budget = object('budget');
  const figures: RunFigures = {
    requests: n('requests'),
    retries: n('retries'),
    // Summaries from before re-asks were counted have none.
    ...(typeof value['reasks'] === 'number' ? { reasks: value['reasks'] } : {}),
    rateLimited: n('rateLimited'),
    wallSeconds: n('wallSeconds'),
    requestsPerSecond: n('requestsPerSecond'),
    skipped: typeof value['skipped'] === 'number' ? value['skipped'] : 0,
    stopped: typeof value['stopped'] === 'string' ? value['stopped'] : null,
    ...(typeof value['notRun'] === 'number' ? { notRun: value['notRun'] } : {}),
    ...(typeof value['resumeHint'] === 'string' ? { resumeHint: value['resumeHint'] } : {}),
    rows: n('ok') + n('failed'),
    // Its resume command asks every failed prompt again, as the run did.
    ...(typeof value['resumeHint'] === 'string' && / --retry-failed(?= |$)/.test(value['resumeHint']) ? { retryFailed: true } : {}),
    costUsd: typeof cost?.['usd'] === 'number' ? cost['usd'] : null,
    ...(typeof value['attemptsCutOff'] === 'number' && value['attemptsCutOff'] > 0 ? { attemptsCutOff: value['attemptsCutOff'] } : {}),
    budget:
      typeof budget?.['capUsd'] === 'number' && typeof budget['spentUsd'] === 'number' ? { capUsd: budget['capUsd'], spentUsd: budget['spentUsd'] } : null,
    ...(typeof value['pendingBatches'] === 'number' && value['pendingBatches'] > 0 ? { pendingBatches: value['pendingBatches'] } : {}),
    ...(typeof value['unsubmittedBatches'] === 'number' && value['unsubmittedBatches'] > 0 ? { unsubmittedBatches: value['unsubmittedBatches'] } : {}),
  };
  const counts = { ok: n('ok'), failed: n('failed'), skipped: figures.skipped };
  return { figures, counts, resumeHint: typeof value['resumeHint'] === 'string' ? value['resumeHint'] : null };
}
