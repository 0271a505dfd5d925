import { RunError } from '../errors.js';
import { checkWritableFile } from './check-writable.js';
import { requireKey, type CliConfig } from './config.js';
import type { CliIo } from './io.js';
import type { OutputTarget } from './output-target.js';
import { checkInputFile } from './check-input.js';
import { setUpStructured } from './structured-output.js';
import { withFieldColumns } from './csv-layout-for.js';
import { openBudget } from './open-budget.js';
import { refuseLiveOverPendingBatches } from './pending-batches.js';
import { ignoreLateSignal, listenForStop } from './stop-signals.js';
import { runCompact } from './compact-command.js';
import { runDryRun } from './dry-run.js';
import { writeInternalErrorSummary, writeRefusedSummary, type RunPhase, type SummarySoFar } from './refused-summary.js';
import { internalErrorLine, StoppedByBug } from './internal-error.js';
import { errnoCode } from '../util/error-message.js';
import { checkReportTarget } from '../report/report-target.js';
import { providerSettings, createStats, displaysBeforeSending, openRunInput, openOutputTarget } from './run-openers.js';
import { createReporter, sendRows, type SendHeld } from './send-rows.js';
import { interruptedAtOpen } from './interrupted-at-open.js';

/** The CLI's run, live or --batch-api; --compact and --dry-run write no summary. */
export async function runCommand(config: CliConfig, io: CliIo): Promise<number> {
  if (config.compact) return runCompact(config, io);
  if (config.dryRun) return runDryRun(config, io);
  const phase: RunPhase = { sending: false };
  // A bug in a callback no promise of the run awaits (the progress line's timer): said as one in the run.
  const offUncaught = io.onUncaught?.((bug) => io.stderr.write(internalErrorLine(stoppedByBug(config, bug, phase), io.env)));
  try {
    if (config.batchApi) return await (await import('./batch-api-command.js')).runBatchApiCommand(config, config.batchApi, io, phase);
    return await runLive(config, io, phase);
  } catch (err) {
    if (err instanceof RunError) {
      if (config.summaryJson) writeRefusedSummary(config, err, phase);
      throw err;
    }
    throw stoppedByBug(config, err, phase);
  } finally {
    offUncaught?.();
  }
}

/**
 * An error no code path expected: once the run could send, its --summary-json says so with the
 * figures so far, and its line ends with the command that sends the rest. A bug in summing up the
 * run so far leaves the first error to be told; running out of descriptors is no bug (main says it).
 */
function stoppedByBug(config: CliConfig, bug: unknown, phase: RunPhase): unknown {
  if (!phase.sending || !phase.soFar || errnoCode(bug) === 'EMFILE') return bug;
  let soFar: ReturnType<SummarySoFar>;
  try {
    soFar = phase.soFar();
  } catch {
    return bug;
  }
  writeInternalErrorSummary(config, bug, soFar);
  return new StoppedByBug(bug, soFar.resumeHint);
}

/**
 * The live run: input → engine → output, with locking, resume, signals and the summary. Every check
 * that needs no network (the input, the schema, the key, the files written, the output, its lock, a
 * resume's match and the cache) comes first, so nothing is sent for a run that is refused. The CLI's
 * own code is loaded with the command (see commands.ts); the heavy packages only some runs need
 * load on first use.
 */
async function runLive(config: CliConfig, io: CliIo, phase: RunPhase): Promise<number> {
  // The input file and the schema are checked before the key: wrong whatever else is right.
  checkInputFile(config, io.stdin);
  const structured = await setUpStructured(config, io);
  requireKey(config, io.env);
  if (config.summaryJson) checkWritableFile(config.summaryJson, '--summary-json', 'direct');
  if (config.report) {
    checkWritableFile(config.report, '--report');
    checkReportTarget(config.report, '--report', config.overwrite, []);
  }
  const { budget, prices } = openBudget(config, config.models);
  const batchState = refuseLiveOverPendingBatches(config);

  // A proxy and --trace are checked here; the SDK loads once the output and the cache are open.
  const settings = providerSettings(config, io);
  // The display first: its spinner covers waiting for stdin and hashing a large input. One that shows
  // nothing until the run sends is made once the output is open, loading its code only then.
  const stats = createStats();
  const early = displaysBeforeSending(config, io) ? await createReporter(config, io, stats) : undefined;
  const held: SendHeld = { reporter: early };
  // Listened for before the input is opened (stdin's first bytes may never come: a cron job under
  // `timeout` whose upstream stalled), and before the output's lock is taken, so that no signal can
  // leave it behind: one that comes while a resume reads a large output ends the read, and the run
  // as interrupted.
  const signals = (held.signals = listenForStop(io, stats, (line) => (held.reporter ? held.reporter.info(line) : sayEarly(config, io, line))));
  const opened = await untilStopped(openRunInput(config, io, early ?? { close: () => {} }, signals.stop), signals.stop, (late) => late.input.close()).catch(
    (err: unknown) => {
      signals.dispose();
      throw err;
    },
  );
  if (!opened) {
    // Stopped while waiting for the input: nothing read, nothing sent. Stdin's pending read ends, so node can exit.
    if (config.input.kind === 'stdin') (io.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    const reporter = (held.reporter ??= await createReporter(config, io, stats));
    try {
      return interruptedAtOpen(config, stats, reporter);
    } finally {
      reporter.close();
      signals.dispose();
    }
  }
  const { input, inputFingerprint, layout } = opened;
  let target: OutputTarget | undefined;
  try {
    // A schema's fields get CSV columns of their own, right after id (and a resume checks for them).
    const csv = withFieldColumns(config, layout, structured);
    // Rows to the bar's terminal (`-o -`) go above it: through the display's screen (rowsIo).
    target = await openOutputTarget(
      config,
      early?.rowsIo ?? io,
      inputFingerprint,
      input.format,
      early?.answerWriter,
      csv,
      structured?.fingerprint,
      signals.stop,
    ).catch((err: unknown) => {
      // Stopped while the output was opened: nothing was sent (see interruptedAtOpen).
      if (err === signals.stop.reason) return undefined;
      throw err;
    });
    if (!target) {
      const reporter = (held.reporter ??= await createReporter(config, io, stats));
      return interruptedAtOpen(config, stats, reporter);
    }
    const code = await sendRows(config, io, phase, settings, { stats, input, target, structured, budget, prices, batchState }, held);
    // Ended and said how: a signal from here changes nothing (nor says "stopping").
    ignoreLateSignal(io);
    signals.dispose();
    return code;
  } finally {
    held.reporter?.close();
    await held.complete?.close?.();
    await held.cache?.close().catch(() => {});
    // A run that threw (an output it could not write) never made its report: its copy of the rows goes too.
    await held.runReport?.dispose();
    target?.lock?.release();
    // Only once the lock is gone: a signal in the awaits above would otherwise kill the run and leave it.
    held.signals?.dispose();
    await input.close();
  }
}

/**
 * `opening`'s value, or undefined once `stop` fired first; what it opens after that is handed to
 * `late` (closed), and its failure then is dropped: the run is over.
 */
function untilStopped<T>(opening: Promise<T>, stop: AbortSignal, late: (value: T) => unknown): Promise<T | undefined> {
  if (stop.aborted) {
    opening.then(late, () => {});
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onStop = () => {
      opening.then(late, () => {});
      resolve(undefined);
    };
    stop.addEventListener('abort', onStop, { once: true });
    opening.then(
      (value) => {
        stop.removeEventListener('abort', onStop);
        if (stop.aborted) return;
        resolve(value);
      },
      (err: unknown) => {
        stop.removeEventListener('abort', onStop);
        if (!stop.aborted) reject(err);
      },
    );
  });
}

/** A line said before the run's display is made (a stop while the output is opened): as the display would, -q aside. */
function sayEarly(config: CliConfig, io: CliIo, line: string): void {
  if (!config.quiet) io.stderr.write(`llm-batch: ${line}\n`);
}
