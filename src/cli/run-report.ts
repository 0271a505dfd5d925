import fs from 'node:fs';
import path from 'node:path';
import type { PriceLookup } from '../budget/prices.js';
import type { BatchEvent } from '../engine/events.js';
import { ExitCode, OutputClosedError, OutputWriteError } from '../errors.js';
import { createRedactor } from '../redact.js';
import { bugFirstLine, isBug } from './internal-error.js';
import { writeProblem } from '../util/path-words.js';
import { atProcessExit } from './process-exit.js';
import { openFileWriter, readRunMeta, writeEach, type RowWriter } from '../output/index.js';
import type { RunEvents } from '../report/build-timeline.js';
import { resultsFormat, STDOUT_SOURCE } from '../report/report-target.js';
import { LIST_PRICING } from '../report/row-cost.js';
import type { ResultRow } from '../types.js';
import type { RunSummary } from '../ui/summary.js';
import { apiKeyOf, type CliConfig } from './config.js';
import { COPY_FILE, makeCopyDir } from './report-copy-dir.js';
import { isStreamTarget } from './stream-target.js';
import { uncollectedWords } from './batch-end-lines.js';
import type { UncollectedBatches } from '../report/report-data.js';
import { counted } from '../util/group-digits.js';
import { writeReport } from '../report/write-report.js';
import { shellQuote } from './shell-quote.js';
import { fieldOrderOf } from './stored-csv-columns.js';

/** What writing a run's report came to: a line to say, and for a failure, what it was. */
export interface ReportMade {
  message: string;
  ok: boolean;
  /** A signal ended it (130). */
  interrupted?: boolean;
  /** A bug ended it (70). */
  bug?: boolean;
  /** Its reader left (`--report /dev/stdout | head`): 141, and nothing said, as for rows. */
  closed?: boolean;
}

/** The exit code a failed report gives a run that had none of its own: 130, 70, 141 or 2. */
export const reportFailureCode = (made: ReportMade): number =>
  made.interrupted ? ExitCode.interrupted : made.bug ? ExitCode.internal : made.closed ? ExitCode.outputClosed : ExitCode.usage;

/**
 * `--report FILE` on a run: notes when every request left and every 429 came back (rows only keep
 * their last attempt), and when the run ends, writes the report of its results. A run whose results
 * go to a JSONL or CSV file is reported from that file (earlier rows of a resumed run included);
 * otherwise the rows are copied to a temporary JSONL file as they are written.
 */
export class RunReport {
  private readonly events: RunEvents = { attempts: [], rateLimited: [] };
  private copy: { file: string; dir: string; writer: RowWriter } | undefined;
  /** The output file the rows are read back from; undefined when they are copied instead. */
  private readonly outputFile: string | undefined;
  /** Rows that started before this are an earlier run's (a resume): the report's run spans split here. */
  private readonly startedMs = Date.now();

  /** `prices`: the run's --price/--prices (or --mock's) lookup, so the report prices tokens as the summary did. */
  constructor(
    private readonly config: CliConfig & { report: string },
    private readonly prices?: PriceLookup,
  ) {
    this.outputFile = readableOutputFile(config.output);
    if (!this.outputFile) {
      const dir = makeCopyDir(config.report);
      const file = path.join(dir, COPY_FILE);
      try {
        this.copy = { file, dir, writer: openFileWriter(file, 'jsonl', { append: false }) };
      } catch (err) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      // A process that ends without the run's `finally` (a bug in a timer's callback: exit 70 at once)
      // leaves no copy either.
      atProcessExit(() => {
        if (this.copy) fs.rmSync(this.copy.dir, { recursive: true, force: true });
      });
    }
  }

  event(event: BatchEvent): void {
    if (event.type === 'attempt') this.events.attempts.push(Date.now());
    else if (event.type === 'rate-limited') this.events.rateLimited.push(Date.now());
  }

  /** The run's writer, with each row also copied for the report when it does not come from the output file. */
  tee(writer: RowWriter): RowWriter {
    const copy = this.copy;
    if (!copy) return writer;
    return {
      // The copy first: a row answered but not delivered (stdout's reader left) was still done and paid for.
      write: async (row: ResultRow) => {
        await copy.writer.write(row);
        await writer.write(row);
      },
      // Only for a writer that groups rows itself (not the answer printer, whose rows go one by one).
      ...(writer.writeMany && {
        writeMany: async (rows: readonly ResultRow[]) => {
          try {
            await writeEach(copy.writer, rows);
          } catch (err) {
            // The rows the copy kept are not in the output: none of these reached it.
            throw err instanceof OutputWriteError ? new OutputWriteError(err.message) : err;
          }
          await writeEach(writer, rows);
        },
      }),
      close: () => writer.close(),
    };
  }

  /**
   * Writes the report; returns a one-line problem instead of throwing, so a failed report never
   * costs the run's rows or its exit code's meaning. `outputKept`: an --overwrite run stopped before
   * its first row left the old file, which is not this run's.
   */
  async finish(
    summary: RunSummary,
    outputKept: boolean,
    /** `signal`: a stop that ends the report unwritten (see StopSignals.closing). */
    extra: { events?: boolean; batches?: UncollectedBatches; signal?: AbortSignal } = {},
  ): Promise<ReportMade> {
    const file = outputKept ? undefined : this.outputFile;
    try {
      if (extra.signal?.aborted) return this.interrupted(file, summary);
      await this.copy?.writer.close();
      // An output never made (an input with no prompts leaves a new -o unmade): no rows, as with none kept.
      const input = file === undefined ? this.copy?.file : fs.existsSync(file) ? file : undefined;
      if (!input) {
        const why =
          summary.stopped === null && summary.ok + summary.failed + summary.skipped === 0
            ? 'the input held no prompts'
            : 'the run stopped before its first row';
        return { ok: false, message: `no rows to report: ${why}` };
      }
      const format = file ? resultsFormat(file) : 'jsonl';
      const outcome = await writeReport({
        input,
        ...(file ? {} : { sourceName: this.config.output.kind === 'file' ? this.config.output.path : STDOUT_SOURCE }),
        format,
        escapedFormulas: file !== undefined && this.config.data.csvEscapeFormulas,
        output: this.config.report,
        signal: extra.signal,
        events: extra.events === false ? undefined : this.events,
        pricing: { lookup: this.prices ?? LIST_PRICING.lookup, runModel: this.config.model },
        // The fields in the schema's order, as the output's metadata has them (a copy has none).
        fieldOrder: file ? fieldOrderOf(readRunMeta(file), format) : undefined,
        run: {
          requests: summary.requests,
          retries: summary.retries,
          reasks: summary.reasks,
          rateLimited: summary.rateLimited,
          wallSeconds: summary.wallSeconds,
          requestsPerSecond: summary.requestsPerSecond,
          skipped: summary.skipped,
          stopped: summary.stopped,
          notRun: summary.notRun,
          resumeHint: summary.resumeHint,
          // The output file may hold earlier runs' rows before these; a copy holds only this run's.
          ...(file ? { rows: summary.ok + summary.failed } : {}),
          ...(this.config.retryFailed ? { retryFailed: true } : {}),
          startedMs: this.startedMs,
          costUsd: summary.estimatedCost?.usd ?? null,
          ...(summary.attemptsCutOff ? { attemptsCutOff: summary.attemptsCutOff } : {}),
          budget: summary.budget ?? null,
          ...(extra.batches?.pending ? { pendingBatches: extra.batches.pending } : {}),
          ...(extra.batches?.unsubmitted ? { unsubmittedBatches: extra.batches.unsubmitted } : {}),
          ...(extra.batches?.gone ? { goneBatches: extra.batches.gone } : {}),
        },
      });
      const left = extra.batches && uncollectedWords(extra.batches);
      const pending = left ? ` (${left}: it holds the rows collected so far)` : '';
      return { ok: true, message: `report of ${counted(outcome.rows, 'row')} written to ${this.config.report}${pending}` };
    } catch (err) {
      if (extra.signal?.aborted) return this.interrupted(file, summary);
      if (err instanceof OutputClosedError) return { ok: false, closed: true, message: err.message };
      const redact = createRedactor([apiKeyOf(this.config)]);
      // A bug is said as one (exit 70), not as a file that could not be written; either way the rows stay.
      if (isBug(err))
        return {
          ok: false,
          bug: true,
          message: `internal error while writing --report ${this.config.report} (please report it; the rows are kept): ${bugFirstLine(err, redact)}`,
        };
      return { ok: false, message: redact(`cannot write --report ${this.config.report}: ${writeProblem(err, this.config.report!)}`) };
    } finally {
      await this.dispose();
    }
  }

  /**
   * A report a signal ended: none written, a file there left as it was. The resume command of a
   * stopped run writes it; else, from an output file, `report` makes it.
   */
  private interrupted(file: string | undefined, summary: RunSummary): ReportMade {
    const report = this.config.report;
    const remake = file && !summary.stopped ? `; \`llm-batch report ${shellQuote(file)} -o ${shellQuote(report)}\` makes it from the rows` : '';
    return { ok: false, interrupted: true, message: `interrupted: no report written (${report} is left as it was)${remake}` };
  }

  /**
   * Removes the temporary copy of the rows, if any; safe to call again. A run that ends without its
   * report (a failed write to the output, an input that held no prompts) calls it from its `finally`,
   * so no copy is left in the temp folder whatever stopped the run.
   */
  async dispose(): Promise<void> {
    const copy = this.copy;
    if (!copy) return;
    this.copy = undefined;
    await copy.writer.close().catch(() => {});
    fs.rmSync(copy.dir, { recursive: true, force: true });
  }
}

/**
 * The output file to read a report's rows back from, if it is one: a stream target (`-o /dev/stdout`,
 * a FIFO) cannot be read back. Reading /dev/stdout on a pipe opened the pipe's own read end: the
 * report took rows meant for the reader and waited for an end that never came, holding the process.
 */
function readableOutputFile(out: CliConfig['output']): string | undefined {
  return out.kind === 'file' && out.format !== 'text' && !isStreamTarget(out.path) ? out.path : undefined;
}
