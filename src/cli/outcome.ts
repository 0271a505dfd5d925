import type { BatchOutcome } from '../engine/run-batch.js';
import type { BatchStats } from '../engine/stats.js';
import { ExitCode, RunError, isNamedStop } from '../errors.js';
import { reportFailureCode, type ReportMade } from './run-report.js';
import type { StopReason } from '../engine/events.js';
import { buildSummary, type RunSummary, type UsageByModel } from '../ui/summary.js';
import { inputFileOf, type CliConfig } from './config.js';
import type { CliReporter } from './create-reporter.js';
import { emptyShardMessage, noPromptsMessage, ranNothing } from './empty-input.js';
import { NEW_CAP, resumeHint } from './resume-hint.js';
import { diagnoseEndpoint, proxyStopLine, streamRemedy } from './diagnose-endpoint.js';
import { countNotRun, readNotRun, unsavedNote } from './stop-report.js';
import type { RunBudget } from '../budget/run-budget.js';
import { usdFigure } from '../budget/spend-cap.js';
import type { PriceLookup } from '../budget/prices.js';
import type { ModelTally } from '../ui/model-tally.js';
import { capUsd, count, exactUsd } from '../ui/number-format.js';
import { unmatchedPricesLine } from './prices-note.js';
import { isRegionRefusal, REGION_ADVICE } from '../provider/region-refusal.js';
import { noKeyStopLine } from './no-key-stop.js';
import { overrunAdvice, worstCaseAdvice, worstChargedAdvice } from './cost-advice.js';
import { writeSummaryJson } from './write-summary-json.js';
import { isStreamTarget } from './stream-target.js';
import { outputFailedLine } from './output-failed-line.js';
import { noDescriptorsStopLine } from './too-few-files.js';
import { ignoredFormat } from '../structured/ignored-format.js';
import type { DoneRows } from './resume-skip.js';

export interface FinishedRun {
  outcome: BatchOutcome;
  notFound: number;
  /** Rows a 301/302/303 failed, and the first one's words (see explainAllRedirected). */
  redirected?: { rows: number; first: string };
  /** An --overwrite run that stopped before its first row left the old file as it was. */
  oldFileKept: boolean;
  /** Requests went through a proxy (names the culprit when connections are refused). */
  viaProxy?: boolean;
  /** --max-cost, to say what was spent against it. */
  budget?: RunBudget;
  /** --price / --prices, to price the summary's estimate. */
  prices?: PriceLookup;
  /** With several models: each one's figures. */
  modelTally?: ModelTally;
  /**
   * Tokens per model of every row the engine made (see BatchOptions.onRow): what the cost is priced
   * on, the same rows `stats` counts the tokens of, written or not. No cost without it.
   */
  usage?: UsageByModel;
  /** --shard: the input's records that went to other shards. */
  otherShards?: number;
  /** --resume: the rows of this run the output already answered, when known (see ResumeState). */
  done?: DoneRows;
}

/** `: its worst case is $0.041 (…)`: what the request that did not fit would have cost at most. */
function refusedAdvice(config: CliConfig, budget: RunBudget): string {
  return budget.refused ? `: ${worstCaseAdvice(budget.refused, budget.capUsd, config.maxTokens)}` : '';
}

/**
 * After a budget stop: where the answered rows are and how the rest is done. With an output --resume
 * continues (`resumable`), the command below, with a new cap to put in it. Otherwise no command
 * follows: answers printed on the terminal, rows sent to stdout, a FIFO or a device, or a text file
 * (which keeps no rows to read back) leave a rerun that starts from the first prompt.
 */
function budgetNext(config: CliConfig, resumable: boolean): string {
  if (resumable)
    return `every answered row is kept; --max-cost caps each invocation, so choose what the rest may spend and put it in place of ${NEW_CAP} in the command below`;
  const rerun = config.cache
    ? 'a rerun with a new --max-cost starts again from the first prompt, the answered ones coming from the response cache at no cost'
    : 'a rerun with a new --max-cost sends every prompt again';
  const { output } = config;
  // The terminal and a text file get the note on how to keep resumable rows next (see unsavedNote).
  if (output.kind === 'terminal') return `no --resume can continue answers printed on the terminal: ${rerun}`;
  if (output.kind === 'file' && output.format === 'text') return `every answered row is in ${output.path}, which no --resume can continue: ${rerun}`;
  const where = output.kind === 'stdout' ? 'stdout' : output.path;
  return `every answered row went to ${where}, which no --resume can continue: ${rerun}; with -o FILE.jsonl a stop can be resumed`;
}

/**
 * Answers cost more than was reserved for them and took the spend past the cap: said in one line,
 * with by how much, whether or not prompts were left (`more`: the run stopped admitting them).
 */
function budgetPassedLine(config: CliConfig, budget: RunBudget, more: boolean, resumable: boolean): string {
  const spent = budget.spentUsd();
  const over = `budget passed: ${exactUsd(spent)} spent of ${capUsd(budget.capUsd)}, ${exactUsd(spent - budget.capUsd, true)} over: ${overrunAdvice(budget.overrun())}`;
  return more
    ? `${over}; no prompt was sent once the spend passed the cap (requests in flight finished); ${budgetNext(config, resumable)}`
    : `${over}; nothing was left to send`;
}

/** The stop line is budgetPassedLine: the spend passed the cap and no other stop has more to say. */
function passedSaid(run: Pick<FinishedRun, 'outcome' | 'budget'>): boolean {
  return run.budget?.passed() === true && (run.outcome.stopped === 'budget' || run.outcome.stopped === undefined);
}

/** Beside another stop's line, or within the cap: by how much answers cost more than reserved, and the spend. */
function overrunLine(budget: RunBudget): string {
  return `${overrunAdvice(budget.overrun())}; spent ${exactUsd(budget.spentUsd())} of the ${capUsd(budget.capUsd)} cap`;
}

/** Why a run stopped early, in one line naming what to check; undefined for a stop that needs none (Ctrl-C). */
function stopLine(
  config: CliConfig,
  run: Pick<FinishedRun, 'outcome' | 'viaProxy' | 'budget'>,
  redact: (text: string) => string,
  resumable: boolean,
  /** Requests the server answered in this run (not from the cache). */
  served = 0,
): string | undefined {
  const { outcome } = run;
  if (outcome.stopped === 'unreachable') return redact(diagnoseEndpoint(outcome.message ?? '', config, run.viaProxy ?? false));
  if (passedSaid(run)) return budgetPassedLine(config, run.budget!, outcome.stopped === 'budget', resumable);
  if (outcome.stopped === 'budget' && run.budget)
    return `budget reached: ${exactUsd(run.budget.spentUsd())} of ${capUsd(run.budget.capUsd)} (the next prompt did not fit${refusedAdvice(config, run.budget)}); ${budgetNext(config, resumable)}`;
  if (outcome.stopped === 'proxy') return proxyStopLine(outcome.message ?? '', config);
  if (outcome.stopped === 'auth') return noKeyStopLine(config, outcome.message ?? '') ?? authStopLine(outcome.message ?? '', served);
  if (outcome.stopped === 'response_format') return responseFormatLine(config, outcome.message ?? '', resumable);
  // A file keeps what was written (a torn last line --resume repairs); a stream (/dev/full) nothing.
  if (outcome.stopped === 'output_failed') return outputFailedLine(outcome.message ?? '', resumable);
  if (outcome.stopped === 'descriptors') return noDescriptorsStopLine();
  if (outcome.stopped === 'quota') return `quota exhausted: ${outcome.message?.replace(/\.+$/, '')}. Stopped admitting prompts; every answered row is kept.`;
  return undefined;
}

/**
 * Whether --schema-in-prompt lets the rest of a run a server's refusal of response_format stopped
 * go through: a live --json or --json-schema run that sent response_format itself.
 */
function schemaInPromptHelps(config: CliConfig): boolean {
  return config.structured !== undefined && !config.structured.inPrompt && !config.batchApi;
}

/**
 * Why a server's refusal of response_format stopped the run, and the way on: --schema-in-prompt,
 * which the command below adds (`withCommand`), else the user adds it.
 */
function responseFormatLine(config: CliConfig, message: string, withCommand: boolean): string {
  // OpenAI's "Invalid schema for response_format 'x': …": the model has structured outputs; the
  // schema is what strict mode does not take (a limit the check before sending does not know).
  if (config.structured?.kind === 'schema' && !config.structured.inPrompt && !config.batchApi && /\bInvalid schema\b/i.test(message)) {
    const on = withCommand ? '--schema-in-prompt (the command below adds it)' : 'rerun with --schema-in-prompt';
    return `the server refused the schema (${message}): its strict mode does not take it as written. Change the schema and start the run again (its rows are of this schema), or go on with ${on}: the schema goes in a system message instead, without strict mode, and answers are still validated. Stopped before sending more.`;
  }
  const refused = ignoredFormat(message)
    ? `${message}; it may not support structured outputs for this model. `
    : `the server refused response_format (${message}); it may not support structured outputs for this model. `;
  const stop = 'Stopped before sending more.';
  if (!config.structured || config.batchApi) return `${refused}${stop}`;
  // Ours is not sent then: the one refused came from --param or a row.
  if (config.structured.inPrompt) return `${refused}--schema-in-prompt sends none of its own: leave out the one --param or the rows give. ${stop}`;
  const what = config.structured.kind === 'json' ? 'the request for a JSON object goes' : 'the schema goes';
  const checked = config.structured.kind === 'json' ? 'checked' : 'validated';
  return withCommand
    ? `${refused}With --schema-in-prompt ${what} in a system message instead, and answers are still ${checked}: the command below adds it. ${stop}`
    : `${refused}Rerun with --schema-in-prompt: ${what} in a system message instead, and answers are still ${checked}. ${stop}`;
}

/**
 * Why a 401 or 403 stopped the run: a rejected key, or a country or region the server does not
 * serve. A 403 after the server answered `served` requests with the same key is more likely a
 * gateway or firewall refusing some requests (a WAF's HTML page) than the key.
 */
export function authStopLine(message: string, served = 0): string {
  if (isRegionRefusal(message)) {
    return `${message}; ${REGION_ADVICE}. Stopped before sending more.`;
  }
  if (served > 0 && message.startsWith('HTTP 403')) {
    return `the server refused a request (${message}) after it answered ${count(served)} with the same API key: a gateway or firewall in front of it may refuse some requests, or the key lost access; check --base-url and OPENAI_API_KEY. Stopped before sending more.`;
  }
  return `the server rejected the API key (${message}); check OPENAI_API_KEY and --base-url. Stopped before sending more.`;
}

/**
 * A run-level stop of --batch-api's live engine (--finish-live's re-asks and unfinished lines) as
 * the error that ends the whole run: a live run's line and exit code for it, its last period left
 * for the resume command that follows. Undefined when the engine ran to the end or was interrupted
 * (the batch job hears Ctrl-C itself).
 */
export function liveStopError(
  config: CliConfig,
  outcome: BatchOutcome,
  viaProxy: boolean,
  redact: (text: string) => string,
  /** Requests the server answered in this run, by its batches or live (see stopLine). */
  served = 0,
): RunError | undefined {
  const reason = outcome.stopped;
  if (reason === undefined || reason === 'interrupted') return undefined;
  const line = stopLine(config, { outcome, viaProxy }, redact, true, served) ?? `stopped (${reason}): ${outcome.message ?? reason}`;
  return new RunError(redact(line).replace(/\.$/, ''), isNamedStop(reason) ? reason : 'usage', stopExitCode(reason));
}

/** Rows say 404 one by one; when every request got one, the likely cause is one setting. */
function explainAllNotFound(config: CliConfig, run: FinishedRun, stats: BatchStats, reporter: CliReporter, redact: (text: string) => string): void {
  if (run.notFound === 0 || stats.ok !== 0 || run.notFound !== stats.failed) return;
  const baseURL = config.provider.kind === 'openai' ? (config.provider.baseURL ?? 'OpenAI') : 'mock';
  reporter.error(
    redact(`every request got HTTP 404: check --base-url (${baseURL}; OpenAI-compatible servers usually want it to end in /v1) and the model name`),
  );
}

/** Rows say where each redirect pointed; when every request got one, --base-url is likely http:// for an https-only host. */
function explainAllRedirected(run: FinishedRun, stats: BatchStats, reporter: CliReporter, redact: (text: string) => string): void {
  if (!run.redirected || stats.ok !== 0 || run.redirected.rows !== stats.failed) return;
  reporter.error(redact(`every request was redirected: ${run.redirected.first}`));
}

/** The exit code a stop gives, whatever the rows say. */
function stopExitCode(reason: StopReason): number {
  if (reason === 'output_closed') return ExitCode.outputClosed;
  if (reason === 'auth' || reason === 'proxy' || reason === 'response_format' || reason === 'output_failed' || reason === 'descriptors') return ExitCode.usage;
  if (reason === 'quota' || reason === 'budget') return ExitCode.stoppedEarly;
  return reason === 'unreachable' ? ExitCode.unreachable : ExitCode.interrupted;
}

function exitCodeFor(outcome: BatchOutcome, stats: BatchStats, budget: RunBudget | undefined): number {
  if (outcome.stopped) return stopExitCode(outcome.stopped);
  // Spent past --max-cost (answers cost more than reserved) with nothing left to send: still the budget's code.
  if (budget?.passed()) return ExitCode.stoppedEarly;
  // A prompt left failed by an earlier run is still unanswered: exit 0 would tell cron all is well.
  return stats.failed + stats.skippedFailed > 0 ? ExitCode.someFailed : ExitCode.ok;
}

/**
 * The figures of a live run a run-level error stopped once it had sent (input that turns unreadable
 * mid-stream: bad UTF-8 or an endless line from a pipe): the rows counted so far, and the command
 * that finishes the rest once the cause is fixed. `notRun` counts the records read that the stop left
 * without a row (requests already sent finish and get theirs, as after a budget stop).
 */
export function summarySoFar(
  config: CliConfig,
  run: Pick<FinishedRun, 'oldFileKept' | 'budget' | 'prices' | 'modelTally' | 'usage'>,
  stats: BatchStats,
): RunSummary {
  const summary = buildSummary(
    stats,
    performance.now(),
    undefined,
    resumeHint(config, run.oldFileKept),
    config.model,
    run.usage,
    run.prices,
    false,
    config.models,
  );
  summary.notRun = readNotRun(stats);
  // Last on the summary line, as after every other stop: runs side by side tell their lines apart.
  summary.input = inputFileOf(config);
  if (run.modelTally) summary.byModel = run.modelTally.figures();
  if (run.budget) summary.budget = { capUsd: run.budget.capUsd, spentUsd: usdFigure(run.budget.spentUsd()) };
  return summary;
}

/** Makes the --report file from the summary; says what happened in one line. */
export type WriteRunReport = (summary: RunSummary) => Promise<ReportMade>;

/**
 * The end of a run: the explanations, the summary (terminal and --summary-json, with the exit code and
 * the line that said why the run failed), the --report and the exit code. A report that cannot be written is like a missing --summary-json: every row is there, so
 * exit 2 unless a stop's own code says more. When stdout's reader left (`| head -1`) the files are
 * still written but the terminal hears only of a file that could not be: a pipe closing is normal.
 */
export async function finishRun(
  config: CliConfig,
  run: FinishedRun,
  stats: BatchStats,
  reporter: CliReporter,
  redact: (text: string) => string,
  abort: AbortSignal,
  report?: WriteRunReport,
): Promise<number> {
  const { outcome } = run;
  const quiet = outcome.stopped === 'output_closed';
  // A rejected key or proxy too: once it is fixed, --resume sends the rest (as --batch-api's line says).
  const resumable =
    outcome.stopped === 'auth' ||
    outcome.stopped === 'proxy' ||
    outcome.stopped === 'interrupted' ||
    outcome.stopped === 'quota' ||
    outcome.stopped === 'unreachable' ||
    outcome.stopped === 'budget' ||
    outcome.stopped === 'output_failed' ||
    outcome.stopped === 'descriptors' ||
    (outcome.stopped === 'response_format' && schemaInPromptHelps(config));
  const next = resumable
    ? resumeHint(config, run.oldFileKept, {
        newMaxCost: outcome.stopped === 'budget',
        ...(outcome.stopped === 'response_format' && { addFlag: '--schema-in-prompt' }),
        ...streamRemedy(outcome),
      })
    : null;
  const summary = buildSummary(stats, performance.now(), outcome.stopped, next, config.model, run.usage, run.prices, false, config.models);
  if (outcome.stopped) {
    // The reader stopped wherever the stop found it: the file's answers past there are done all the same.
    if (run.done) {
      summary.skipped = Math.max(summary.skipped, run.done.rows);
      summary.skippedFailed = Math.max(summary.skippedFailed, run.done.failed);
    }
    summary.notRun = await countNotRun(config, stats, reporter.total, abort, summary.skipped);
  }
  summary.input = inputFileOf(config);
  if (run.modelTally) {
    summary.byModel = run.modelTally.figures();
    if (!quiet) for (const line of run.modelTally.lines()) reporter.info(line);
  }
  if (run.budget) summary.budget = { capUsd: run.budget.capUsd, spentUsd: usdFigure(run.budget.spentUsd()) };
  // Why the run stopped early, in one line naming what to check; --summary-json's `error` too.
  const stopSaid = quiet ? undefined : stopLine(config, run, redact, next !== null, stats.ok - stats.cached);
  if (!quiet) {
    if (stopSaid !== undefined) reporter.error(stopSaid);
    // Answers cost more than was reserved (the worst cases were not worst), unless the line above said so.
    if (run.budget && run.budget.overrun().answers > 0 && !passedSaid(run)) reporter.error(overrunLine(run.budget));
    // The spend counts attempts no usage priced at their worst case; the summary's estimate cannot.
    const charged = run.budget && (outcome.stopped === 'budget' || run.budget.passed()) ? run.budget.worstCharged?.() : undefined;
    const chargedLine = charged && worstChargedAdvice(charged, run.budget!.spentUsd(), config.stream);
    if (chargedLine) reporter.error(chargedLine);
    explainAllNotFound(config, run, stats, reporter, redact);
    explainAllRedirected(run, stats, reporter, redact);
    const unmatched = unmatchedPricesLine(config.pricesFile, run.prices);
    if (unmatched) reporter.info(unmatched);
  }
  const empty = ranNothing(outcome, stats, run.otherShards);
  if (!quiet && !empty && ranNothing(outcome, stats)) {
    const shardLine = emptyShardMessage(config, run.otherShards ?? 0);
    if (shardLine) reporter.info(shardLine);
  }
  // Rows that went into a stream that failed (/dev/full, a full disk under stdout) are nowhere: a
  // summary line counting them "ok" would read as kept. The error line alone, as before; the files say the rest.
  if (quiet || (outcome.stopped === 'output_failed' && next === null)) reporter.close();
  else if (empty) {
    // Instead of a green "0 ok": said even with -q, and its own exit code.
    reporter.close();
    reporter.error(noPromptsMessage(config));
  } else reporter.finish(summary);
  const unsaved = outcome.stopped && !quiet ? unsavedNote(config) : undefined;
  if (unsaved) reporter.error(unsaved);
  // --summary-json before the report, whose writing may take a while (a second Ctrl-C must not leave
  // yesterday's summary), and again when the report's failure changes the exit code; into a stream
  // (`/dev/stdout | jq`, a log it is redirected into, a FIFO), which would take both, once, after it.
  const writeSummary = (exitCode: number, error: string | null) =>
    config.summaryJson ? writeSummaryJson(config.summaryJson, summary, exitCode, error, (line) => reporter.error(line)) : exitCode;
  const ending = { code: empty ? ExitCode.noPrompts : exitCodeFor(outcome, stats, run.budget), error: empty ? noPromptsMessage(config) : (stopSaid ?? null) };
  const early = !report || config.summaryJson === undefined || !isStreamTarget(config.summaryJson);
  let code = early ? writeSummary(ending.code, ending.error) : ending.code;
  if (report) {
    const made = await report(summary);
    let said = ending;
    if (!made.ok) {
      if (!made.closed) reporter.error(made.message);
      // One a signal ended is an interrupted run's (130), as `report`'s own.
      if (code === ExitCode.ok || code === ExitCode.someFailed) said = { code: reportFailureCode(made), error: made.message };
    } else if (!empty && !quiet) reporter.info(made.message);
    if (said !== ending || !early) code = writeSummary(said.code, said.error);
  }
  return code;
}
