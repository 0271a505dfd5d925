import { cutOffAt } from '../finish-reason.js';
import { PRICES_AS_OF, priceFor } from '../pricing.js';
import type { ReportRow } from './report-row.js';
import { notAskedAgain } from './not-asked-again.js';
import type { Figures, RunFigures } from './report-data.js';
import { picoToUsd } from '../budget/spend-cap.js';
import { LIST_PRICING, rowCostPico, rowPrice, type ReportPricing } from './row-cost.js';
import { pricedByGiven } from '../budget/prices.js';

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The model a row asked for: its own `requested_model`, else the run's. */
const askedModel = (r: ReportRow, pricing: ReportPricing): string | null => r.requestedModel || pricing.runModel || null;

/**
 * The run's figures from its rows: counts, tokens, cost (at the run's prices when given, else list
 * prices), wall time, throughput.
 */
export function buildFigures(
  rows: readonly ReportRow[],
  superseded: number,
  pricing: ReportPricing = LIST_PRICING,
  /**
   * This invocation, when known: its start (`--report` on a run), or the wall time of its
   * `--summary-json`; rows before it are earlier runs'. After a stop, its rows and `notRun`.
   */
  run?: { startedMs?: number; wallSeconds?: number } & Pick<RunFigures, 'notRun' | 'rows' | 'retryFailed'>,
): Figures {
  // No prototype: a foreign file's error type `constructor` or `__proto__` is a type like any other.
  const failedByType: Record<string, number> = Object.create(null);
  const costByModel = new Map<string, number | null>();
  const pricedAs = new Map<string, { model: string; as: string }>();
  const intervals: Array<[number, number]> = [];
  const batches = new Set<string>();
  let batchFirst = Infinity,
    batchLast = -Infinity,
    unpricedTokens = 0,
    cachedTokens = 0,
    cachedUnknownRows = 0,
    batchRows = 0,
    byGiven = false,
    byTable = false;
  /** The model of the first failed row with no usage whose price is known (see below). */
  let unbilled: string | undefined;
  const models = new Set<string>();
  const samples = new Set<number>();
  let ok = 0,
    cached = 0,
    attempts = 0,
    retries = 0,
    rateLimitedRows = 0;
  let truncated = 0,
    truncatedFailed = 0;
  let promptTokens = 0,
    completionTokens = 0,
    rowsWithoutUsage = 0;
  const cachedAnswerTokens = { prompt: 0, completion: 0 };
  let first = Infinity,
    last = -Infinity;
  for (const r of rows) {
    if (r.errorType === null) ok++;
    else failedByType[r.errorType] = (failedByType[r.errorType] ?? 0) + 1;
    if (r.errorType === 'rate_limit' || r.errorStatus === 429) rateLimitedRows++;
    if (r.cached) cached++;
    if (cutOffAt(r.finishReason)) {
      truncated++;
      if (r.errorType !== null) truncatedFailed++;
    }
    attempts += r.attempts;
    retries += Math.max(0, r.attempts - 1);
    if (r.model !== null) models.add(r.model);
    if (r.sample !== null) samples.add(r.sample);
    if (r.promptTokens !== null || r.completionTokens !== null) {
      const p = r.promptTokens ?? 0,
        c = r.completionTokens ?? 0;
      if (r.cached) {
        // Bought by an earlier run: nothing sent, nothing spent this time (as the summary counts it),
        // but a priced model's cost is known to be $0, not unknown.
        cachedAnswerTokens.prompt += p;
        cachedAnswerTokens.completion += c;
        if (r.model !== null && !costByModel.has(r.model) && rowPrice(r, pricing)) costByModel.set(r.model, 0);
      } else {
        promptTokens += p;
        completionTokens += c;
        const usd = rowCostPico(r, pricing);
        const served = r.servedModel ?? r.model;
        const priced = usd === undefined ? undefined : rowPrice(r, pricing)?.pricedAs;
        // Which prices priced it, as the run's summary says (ui/summary.ts costOf).
        if (priced !== undefined) {
          if (pricedByGiven(pricing.lookup, priced)) byGiven = true;
          else byTable = true;
        }
        // The server named another model than the one priced (an Azure deployment, an alias): say so.
        if (priced && served && priced !== served && priced !== priceFor(served)?.priced)
          pricedAs.set(`${served}\u0000${priced}`, { model: served, as: priced });
        if (usd === undefined) unpricedTokens += p + c;
        // A failed row that kept the usage of answers it paid for names no model: the one it asked for.
        const name = r.model ?? askedModel(r, pricing);
        if (name !== null) {
          const had = costByModel.get(name);
          costByModel.set(name, usd === undefined ? (had ?? null) : (had ?? 0) + usd);
        }
        cachedTokens += Math.min(r.cachedTokens ?? 0, p);
        if (r.cachedTokensUnknown && usd !== undefined && p > 0) cachedUnknownRows++;
      }
    } else if (r.errorType === null) rowsWithoutUsage++;
    else if (unbilled === undefined && rowPrice(r, pricing)) unbilled = r.model ?? askedModel(r, pricing) ?? undefined;
    if (r.batchId) {
      batchRows++;
      batches.add(r.batchId);
      if (r.startedMs !== null && r.startedMs < batchFirst) batchFirst = r.startedMs;
      if (r.finishedMs !== null && r.finishedMs > batchLast) batchLast = r.finishedMs;
      continue;
    }
    if (r.startedMs !== null && r.startedMs < first) first = r.startedMs;
    if (r.finishedMs !== null && r.finishedMs > last) last = r.finishedMs;
    if (r.startedMs !== null && r.finishedMs !== null && r.finishedMs >= r.startedMs) intervals.push([r.startedMs, r.finishedMs]);
  }
  // Failures nothing was billed for (an HTTP 400, a timeout; they name no model) cost $0 at the price of
  // the model they asked for, as the run's summary says: a run of nothing else is $0, not of unknown cost.
  if (costByModel.size === 0 && unbilled !== undefined) costByModel.set(unbilled, 0);
  const byModel = [...costByModel].map(([model, pico]) => ({ model, usd: pico === null ? null : picoToUsd(pico) }));
  let pricedPico = 0;
  for (const pico of costByModel.values()) pricedPico += pico ?? 0;
  const cost = byModel.some((m) => m.usd !== null)
    ? {
        usd: picoToUsd(pricedPico),
        pricesAsOf: PRICES_AS_OF,
        byModel,
        unpricedTokens,
        pricesGiven: byGiven,
        ...(byGiven && byTable ? { pricesMixed: true as const } : {}),
        batchRows,
        cachedTokens,
        ...(cachedUnknownRows > 0 ? { cachedUnknownRows } : {}),
        ...(pricedAs.size > 0 ? { pricedAs: [...pricedAs.values()] } : {}),
      }
    : null;
  const liveTimes = Number.isFinite(first) && Number.isFinite(last) && last >= first;
  const batchTimes = Number.isFinite(batchFirst) && Number.isFinite(batchLast) && batchLast >= batchFirst;
  const hasTimestamps = liveTimes || batchTimes;
  const wallSeconds = liveTimes ? round((last - first) / 1000, 3) : null;
  const started = runStart(run, liveTimes ? last : undefined);
  const spans = runSpans(intervals, started === undefined ? [] : [started]);
  const activeSeconds = liveTimes ? round(spans.ms / 1000, 3) : null;
  // Throughput over the runs' own time: a resumed file's gap between runs is not in it.
  const per = (n: number) => (activeSeconds ? round(n / activeSeconds, 2) : null);
  const live = rows.length - batchRows;
  const again = notAskedAgain(rows, run);
  return {
    rows: rows.length,
    superseded,
    ok,
    failed: rows.length - ok,
    failedByType,
    cached,
    attempts,
    retries,
    rateLimitedRows,
    truncated,
    truncatedFailed,
    promptTokens,
    completionTokens,
    cachedAnswerTokens,
    rowsWithoutUsage,
    cost,
    startedAt: hasTimestamps ? new Date(Math.min(first, batchFirst)).toISOString() : null,
    finishedAt: hasTimestamps ? new Date(Math.max(last, batchLast)).toISOString() : null,
    wallSeconds,
    activeSeconds,
    runs: spans.runs,
    rowsPerSecond: live ? per(live) : null,
    tokensPerSecond: live && !batchRows ? per(promptTokens + completionTokens) : null,
    batch: batchRows
      ? {
          rows: batchRows,
          batches: batches.size,
          startedAt: batchTimes ? new Date(batchFirst).toISOString() : null,
          finishedAt: batchTimes ? new Date(batchLast).toISOString() : null,
          seconds: batchTimes ? round((batchLast - batchFirst) / 1000, 3) : null,
        }
      : null,
    models: [...models].sort(),
    samples: [...samples].sort((a, b) => a - b),
    hasTimestamps,
    ...(again ? { notAskedAgain: again } : {}),
  };
}

/**
 * When this invocation started: its summary's wall time back from the file's last answer (its
 * summary is written after its last row, so that is no later than its start: a resume's rows split
 * from the earlier runs' however short the gap), else as the run knew it. The wall time first, so
 * that `--report` on a run and `report --summary-json` of its file time it alike.
 */
function runStart(run: { startedMs?: number; wallSeconds?: number; rows?: number } | undefined, lastMs: number | undefined): number | undefined {
  // A run that wrote no row (a resume with nothing left, one stopped before its first answer): the
  // file's last answer is an earlier run's, and no start of this one splits the rows.
  if (run?.rows === 0) return undefined;
  if (run?.wallSeconds !== undefined && lastMs !== undefined) return lastMs - run.wallSeconds * 1000;
  return run?.startedMs;
}

/**
 * Nothing in flight for this long means the run had ended (a resume came later): idle gaps inside a
 * run (rate pacing, a Retry-After) are far shorter, and count as the run's time.
 */
export const RUN_GAP_MS = 5 * 60_000;

/**
 * The runs in a file's rows: its [start, end] intervals split where nothing was in flight for
 * {@link RUN_GAP_MS}, or at a known run start (`splitAt`) that falls where nothing was in flight.
 * A run split off at a known start is timed from it, not from its first row's last attempt: the
 * waits of the retries before that row are its time too (a resume whose first row was retried read
 * 12.9 s for a run of 13.3). Returns how many runs and the sum of their spans (ms).
 */
export function runSpans(intervals: Array<[number, number]>, splitAt: readonly number[] = []): { runs: number; ms: number } {
  intervals.sort((a, b) => a[0] - b[0]);
  let runs = 0,
    total = 0,
    from = Number.NaN,
    to = Number.NaN;
  for (const [s, e] of intervals) {
    // Only between runs: a start before every row would time an earlier run's rows from it.
    const at = runs === 0 ? undefined : splitAt.find((start) => start >= to && start <= s);
    if (runs === 0 || s - to > RUN_GAP_MS || at !== undefined) {
      if (runs > 0) total += to - from;
      runs++;
      from = at ?? s;
      to = e;
    } else if (e > to) to = e;
  }
  if (runs > 0) total += to - from;
  return { runs, ms: total };
}
