import { writeWholeFile } from '../util/own-fd.js';
import { createStats } from '../engine/stats.js';
import fs from 'node:fs';
import { ExitCode, isNamedStop, OutputLockedError, type NamedStop, type RunError } from '../errors.js';
import { internalErrorMessage } from './internal-error.js';
import { buildSummary, type RunSummary } from '../ui/summary.js';
import { apiKeyOf, inputFileOf, type CliConfig } from './config.js';
import { createKeyRedactor } from '../redact.js';
import { isStreamTarget } from './stream-target.js';

/** A summary of the run so far: its figures, `resumeHint` and, for --batch-api, `pendingBatches`. */
export type SummarySoFar = () => RunSummary & { pendingBatches?: number };

/** Set once the run may send: a refusal before then replaces --summary-json with one that says so. */
export interface RunPhase {
  sending: boolean;
  /** Once sending: what a run-level error that stops the run, or a bug, writes as its figures. */
  soFar?: SummarySoFar;
  /**
   * The run makes its own summary (it ended in order): a run-level error from here has its say in
   * it, and writes no other; a bug, which may come before that summary is written, still does.
   */
  summing?: boolean;
}

/** --summary-json of a run refused before anything was sent: its figures are all zero, and it says why. */
export type RefusedSummary = Omit<RunSummary, 'stopped'> & { stopped: 'refused'; error: string; exitCode: number };

/**
 * Why a run-level error stopped a run once it could send: as a live run's stop says it where one
 * exists (`auth`, `proxy`, `quota`, `unreachable`, `response_format`), else `error` (a batch the server
 * refused, a 404…); `internal_error` for an error no code path expected (a bug).
 */
export type ErrorStop = NamedStop | 'error' | 'internal_error';

/** --summary-json of a run a run-level error stopped once it could send: the figures so far, and why. */
export type ErrorSummary = Omit<RunSummary, 'stopped'> & { stopped: ErrorStop; error: string; exitCode: number; pendingBatches?: number };

function errorStop(err: RunError): ErrorStop {
  return isNamedStop(err.code) ? err.code : 'error';
}

/**
 * Replaces --summary-json when a run-level error ends the run: before anything is sent (lock held,
 * output exists, an input or key that will not do) as `"stopped": "refused"` with every count zero;
 * once it could send (a key refused on the first upload, the Batch API unreachable, a batch refused;
 * live, input from a pipe that turns unreadable) with the figures so far and the stop's reason. A
 * cron wrapper's `jq .failed s.json` then reads this invocation, not yesterday's figures, and
 * `.stopped`, `.error` and `.exitCode` say what happened.
 * Replacing is safe: the path passed the same checks as at the end of a run (an earlier summary, or
 * a new file), and a refusal about the path itself fails here too, silently: its own line said it.
 */
export function writeRefusedSummary(config: CliConfig, err: RunError, phase: RunPhase = { sending: false }): void {
  if (!config.summaryJson) return;
  // The run holding the output wrote that it is running: its summary, which this refusal must not replace.
  if (err instanceof OutputLockedError && saysRunning(config.summaryJson)) return;
  // Sent, but no figures to say: the run had ended in order, and its own summary says how.
  const soFar = phase.sending && !phase.summing ? phase.soFar : undefined;
  if (phase.sending && !soFar) return;
  const apiKey = apiKeyOf(config);
  const input = inputFileOf(config);
  writeSummaryQuietly(
    config.summaryJson,
    soFar
      ? { ...soFar(), input, stopped: errorStop(err), error: createKeyRedactor(apiKey)(err.message), exitCode: err.exitCode }
      : refusedSummary(err, apiKey, input, config.model),
  );
}

/**
 * Replaces the `"running"` --summary-json when an error no code path expected (a bug) ends a run once
 * it could send: the figures so far, as a run-level error's, `"stopped": "internal_error"` and exit
 * 70, not the placeholder of a run still going. Only when the summary so far can be made: a bug in
 * making it leaves the placeholder, and the error's own line says what happened.
 */
export function writeInternalErrorSummary(config: CliConfig, bug: unknown, soFar: ReturnType<SummarySoFar>): void {
  if (!config.summaryJson) return;
  const apiKey = apiKeyOf(config);
  const error = internalErrorMessage(bug, createKeyRedactor(apiKey));
  writeSummaryQuietly(config.summaryJson, { ...soFar, input: inputFileOf(config), stopped: 'internal_error', error, exitCode: ExitCode.internal });
}

/** `"stopped": "refused"`, every count zero, and why (the key taken out of it). */
export function refusedSummary(err: RunError, apiKey: string | undefined, input: string | null, model: string | undefined): RefusedSummary {
  const error = createKeyRedactor(apiKey)(err.message);
  return { ...zeroFigures(model), input, stopped: 'refused', error, exitCode: err.exitCode };
}

/** A summary's figures before anything was sent: every count zero. */
const zeroFigures = (model: string | undefined): RunSummary => buildSummary(createStats(), performance.now(), undefined, null, model);

/** --summary-json while the run sends: replaced by its own at the end, left by a kill -9. */
export type RunningSummary = Omit<RunSummary, 'stopped'> & { stopped: 'running'; error: null; exitCode: null };

/**
 * Replaces --summary-json, as the run starts sending, with one that says it is running (every count
 * zero, `exitCode` null): a run killed outright (kill -9, the OOM killer, `timeout -s KILL`) writes
 * no summary of its own, and a cron wrapper read the day before's `"exitCode": 0` as this run's. Not
 * into a stream (a FIFO, /dev/stdout): that takes the run's own summary as its one write.
 */
export function markRunning(config: CliConfig): void {
  if (!config.summaryJson || isStreamTarget(config.summaryJson)) return;
  writeSummaryQuietly(config.summaryJson, { ...zeroFigures(config.model), input: inputFileOf(config), stopped: 'running', error: null, exitCode: null });
}

/**
 * Writes a refusal's summary; one that cannot be written (the refusal's reason, a full disk) adds
 * nothing to the refusal's own line. What a failed write left (a full disk: an empty file, or part of
 * one) is removed: `jq .failed` of an empty file printed nothing and exited 0.
 */
export function writeSummaryQuietly(file: string, summary: RefusedSummary | ErrorSummary | RunningSummary, write = writeWholeFile): void {
  try {
    write(file, `${JSON.stringify(summary, null, 2)}\n`);
  } catch {
    // The error is the news.
    if (!isStreamTarget(file)) removeTorn(file);
  }
}

/** Removes `file` when it reads as no whole JSON (a write cut short); one it cannot read is left alone. */
function removeTorn(file: string): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  if (readJson(text) === undefined) fs.rmSync(file, { force: true });
}

/** Text's JSON; undefined when it is no whole JSON (torn). */
function readJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether the summary file says a run is running (markRunning's). */
function saysRunning(file: string): boolean {
  try {
    return (readJson(fs.readFileSync(file, 'utf8')) as { stopped?: unknown } | undefined)?.stopped === 'running';
  } catch {
    return false;
  }
}
