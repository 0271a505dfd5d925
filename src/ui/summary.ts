import { PRICES_AS_OF, priceFor } from '../pricing.js';
import { answerPrice, askedModel } from '../budget/answer-price.js';
import { billedUsd, createPriceLookup, pricedByGiven, type PriceLookup } from '../budget/prices.js';
import { usdFigure } from '../budget/spend-cap.js';
import type { BatchStats } from '../engine/stats.js';
import type { StopReason } from '../engine/events.js';
import type { ResultRow, Usage } from '../types.js';
import { cutOffAt } from '../finish-reason.js';
import { count, duration, rate, usd } from './number-format.js';
import type { ModelFigures } from './model-tally.js';
import { sanitize, sanitizeName } from '../util/sanitize.js';

/** Cost of one model's tokens at list prices; `usd` is null for a model with no known price. */
export interface ModelCost {
  /** The model the server reported. */
  model: string;
  /** The model asked for, when the server reported another name (an Azure deployment, an alias). */
  requestedModel?: string;
  /**
   * The name whose price was used: the model asked for or the reported one when --price/--prices
   * price it, else the price-table entry (`gpt-4o` for `gpt-4o-2024-08-06`); null when unpriced.
   */
  pricedAs: string | null;
  promptTokens: number;
  completionTokens: number;
  usd: number | null;
}

/** Token counts times list prices (`src/pricing.ts`): an estimate, never a bill. */
export interface CostEstimate {
  /** Sum over the models with a known price. */
  usd: number;
  estimate: true;
  /** Date of the price table. */
  pricesAsOf: string;
  byModel: ModelCost[];
  /** Tokens of models with no known price (not in `usd`). */
  unpricedTokens: number;
  /** Priced by --price / --prices (the table only where they say nothing): some answer was. */
  pricesGiven?: true;
  /** With pricesGiven: other answers were priced by the table (a --prices file that names only some models). */
  pricesMixed?: true;
  /** Some answers reported no usage, or attempts were cut off: their cost is not in `usd`, which is then a lower bound. */
  atLeast?: true;
}

/** End-of-run figures; also what `--summary-json` writes. */
export interface RunSummary {
  ok: number;
  failed: number;
  failedByType: Record<string, number>;
  skipped: number;
  /** Of `ok`, answers taken from the response cache: no request, no tokens, no cost. */
  fromCache: number;
  /** Of `skipped`, records whose last row in the output is an error: still unanswered. */
  skippedFailed: number;
  requests: number;
  retries: number;
  /** Answers asked again because they were invalid (each is one more attempt and request). */
  reasks: number;
  rateLimited: number;
  promptTokens: number;
  completionTokens: number;
  /** Answered rows whose server reported no usage (their tokens are not in the totals). */
  rowsWithoutUsage: number;
  /** Attempts cut off after they were sent (a reset stream, a timeout, a stop): maybe billed, never priced. */
  attemptsCutOff: number;
  /**
   * Answers cut off at the token limit (finish_reason "length") or at the model's context length
   * (Mistral's "model_length"): in `ok`, or in `failed` with --fail-truncated.
   */
  truncated: number;
  /** Of `truncated`, those cut at the model's context length: a higher --max-tokens does not mend them. */
  truncatedAtContext: number;
  /** Answers the server's content filter stopped (finish_reason "content_filter"), partial or empty: in `ok` (in `failed` under a schema). */
  contentFiltered: number;
  /** The run's model (rows may name others; see `estimatedCost.byModel`). */
  model: string | null;
  estimatedCost: CostEstimate | null;
  wallSeconds: number;
  requestsPerSecond: number;
  /** Prompt + completion tokens per second of wall time. */
  tokensPerSecond: number;
  /** Why the run stopped early; `error` for a run-level error once it could send (a bad byte mid-input). */
  stopped: StopReason | 'error' | null;
  /**
   * After a stop: input records that got no row (never sent, or cut off in flight), when the
   * input's size is known (a file); null otherwise.
   */
  notRun: number | null;
  /** The input file as given (null for stdin): runs side by side in one log or terminal tell theirs apart. */
  input: string | null;
  resumeHint: string | null;
  /** With --max-cost: the cap and what was spent against it (usage at the prices the budget used). */
  budget?: { capUsd: number; spentUsd: number };
  /** With several models: each one's counts, tokens and estimated cost. */
  byModel?: ModelFigures[];
  /** --batch-api: batches of the output on the server, not collected (their requests are sent, and billed as they end). */
  pendingBatches?: number;
}

/** Token usage of one (model asked for, model the server reported) pair, gathered from result rows. */
export interface ModelUsage {
  /** The model the server reported (`model` of the rows). */
  model: string;
  /** The rows' `requested_model`; null when they have none (`costOf` finds what they asked for). */
  requestedModel: string | null;
  usage: Usage;
}

/** Usage per (model asked for, model reported). */
export type UsageByModel = ReadonlyMap<string, ModelUsage>;

/**
 * Collects `UsageByModel` from rows (a row may override the run's model, and servers name dated
 * snapshots or the model behind a deployment). `runModel`: what a row that names no model asked for.
 */
export class UsageTally {
  private readonly tally = new Map<string, ModelUsage>();

  constructor(private readonly runModel?: string) {}

  /** `asked`: the model the request was sent for, when the engine says (see BatchOptions.onRow). */
  add(row: ResultRow, asked?: string): void {
    // A cached answer was paid for by an earlier run.
    if (!row.usage || row.cached) return;
    // A JSONL row's own model is priced as that model, as --max-cost and --dry-run price it, also when
    // the table has no price for it: taken for the run's model, it was billed at that model's price.
    const requestedModel = row.requested_model || (asked && asked !== this.runModel ? asked : null);
    // A failed row that keeps the usage of answers it paid for (a re-ask that failed) names no model: the one asked for.
    const model = row.model ?? requestedModel ?? this.runModel;
    if (!model) return;
    const key = `${requestedModel ?? ''}\u0000${model}`;
    let entry = this.tally.get(key);
    if (!entry) {
      entry = { model, requestedModel, usage: { prompt_tokens: 0, completion_tokens: 0 } };
      this.tally.set(key, entry);
    }
    entry.usage.prompt_tokens += row.usage.prompt_tokens;
    entry.usage.completion_tokens += row.usage.completion_tokens;
    if (row.usage.cached_tokens) entry.usage.cached_tokens = (entry.usage.cached_tokens ?? 0) + row.usage.cached_tokens;
  }

  get byModel(): UsageByModel {
    return this.tally;
  }
}

const tablePrices = createPriceLookup({});

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * The cost of the run's tokens. Per model when rows were tallied (`usageByModel`), else all of the
 * run's tokens at `model`'s price. Null when no token has a known price.
 */
export function costOf(
  stats: Pick<BatchStats, 'promptTokens' | 'completionTokens'>,
  model?: string,
  usageByModel?: UsageByModel,
  /**
   * --price / --prices over the table (the table is the fallback inside it); the table alone when
   * undefined. Prices are "given" when it has `given` (--mock's free model alone has none).
   */
  priceOf?: PriceLookup,
  /** Billed at the Batch API's discount, before any rounding: halving a rounded total rounded twice. */
  batch = false,
  /** The run's models (`-m A,B`): with no usage from any answer, each is listed at its (zero) tokens, not the first alone. */
  models: readonly string[] = model ? [model] : [],
): CostEstimate | null {
  const lookup = priceOf ?? tablePrices;
  const zero = { prompt_tokens: 0, completion_tokens: 0 };
  const entries: ModelUsage[] =
    usageByModel && usageByModel.size > 0
      ? [...usageByModel.values()]
      : models.map((name, i) => ({
          model: name,
          requestedModel: name,
          usage: i === 0 ? { prompt_tokens: stats.promptTokens, completion_tokens: stats.completionTokens } : zero,
        }));
  let total = 0;
  let unpricedTokens = 0;
  let anyPriced = false;
  let byGiven = false;
  let byTable = false;
  const byModel = entries.map(({ model: name, requestedModel: own, usage }): ModelCost => {
    const requestedModel = askedModel(lookup, own, name, model);
    const priced = answerPrice(lookup, requestedModel, name);
    // The budget's formula: cached prompt tokens at their own price.
    const cost = priced ? billedUsd(priced.price, usage, batch) : undefined;
    if (cost === undefined) unpricedTokens += usage.prompt_tokens + usage.completion_tokens;
    else {
      anyPriced = true;
      total += cost;
      if (pricedByGiven(lookup, priced!.pricedAs)) byGiven = true;
      else byTable = true;
    }
    return {
      model: name,
      ...(requestedModel !== null && requestedModel !== name ? { requestedModel } : {}),
      pricedAs: priced?.pricedAs ?? null,
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
      usd: cost === undefined ? null : usdFigure(cost),
    };
  });
  if (!anyPriced) return null;
  const given = byGiven ? { pricesGiven: true as const, ...(byTable ? { pricesMixed: true as const } : {}) } : {};
  return { usd: usdFigure(total), estimate: true, pricesAsOf: PRICES_AS_OF, byModel, unpricedTokens, ...given };
}

/**
 * An estimate that misses answers without usage, or attempts cut off (billed for what was generated),
 * is a lower bound: said, so it is not read as the spend.
 */
const withUnknownCost = (cost: CostEstimate | null, stats: Pick<BatchStats, 'rowsWithoutUsage' | 'attemptsCutOff'>): CostEstimate | null =>
  cost && stats.rowsWithoutUsage + stats.attemptsCutOff > 0 ? { ...cost, atLeast: true } : cost;

/**
 * `model` (the run's model) and `usageByModel` (from the reporter's row tally) are optional: without
 * them the summary has no cost.
 */
export function buildSummary(
  stats: BatchStats,
  now: number,
  stopped: StopReason | undefined,
  resumeHint: string | null,
  model?: string,
  usageByModel?: UsageByModel,
  priceOf?: PriceLookup,
  /** --batch-api: costs at the Batch discount (see costOf). */
  batch = false,
  /** The run's models, when several (see costOf). */
  models?: readonly string[],
): RunSummary {
  const wallSeconds = Math.max(0, (now - stats.startedAt) / 1000);
  const tokens = stats.promptTokens + stats.completionTokens;
  return {
    ok: stats.ok,
    failed: stats.failed,
    failedByType: { ...stats.failedByType } as Record<string, number>,
    skipped: stats.skipped,
    fromCache: stats.cached,
    skippedFailed: stats.skippedFailed,
    requests: stats.requests,
    retries: stats.retries,
    reasks: stats.reasks,
    rateLimited: stats.rateLimited,
    promptTokens: stats.promptTokens,
    completionTokens: stats.completionTokens,
    rowsWithoutUsage: stats.rowsWithoutUsage,
    attemptsCutOff: stats.attemptsCutOff,
    truncated: stats.truncated,
    truncatedAtContext: stats.truncatedAtContext,
    contentFiltered: stats.filtered,
    model: model ?? null,
    estimatedCost: withUnknownCost(costOf(stats, model, usageByModel, priceOf, batch, models), stats),
    wallSeconds: round(wallSeconds, 3),
    requestsPerSecond: wallSeconds > 0 ? round(stats.requests / wallSeconds, 2) : 0,
    tokensPerSecond: wallSeconds > 0 ? round(tokens / wallSeconds, 1) : 0,
    stopped: stopped ?? null,
    notRun: null,
    input: null,
    resumeHint,
  };
}

/** ` (answers of gpt-4o-mini-2024-07-18 priced as my-deploy)`: the server named another model than the one priced. */
function pricedByRequest(cost: CostEstimate): string {
  const pairs = cost.byModel.filter((m) => m.pricedAs !== null && m.pricedAs !== m.model && m.pricedAs !== priceFor(m.model)?.priced);
  if (pairs.length === 0) return '';
  const shown = pairs.slice(0, 2).map((m) => `${m.model} priced as ${m.pricedAs}`);
  return ` (answers of ${shown.join(', ')}${pairs.length > 2 ? ` and ${pairs.length - 2} more` : ''})`;
}

/**
 * `, 3 truncated at the token limit`. Answers cut at the model's context length are said as such: the
 * token limit (what --max-tokens raises) did not cut them.
 */
function truncatedPart(s: RunSummary): string {
  const atContext = s.truncatedAtContext;
  const atLimit = s.truncated - atContext;
  if (atContext === 0) return `, ${count(s.truncated)} truncated at ${cutOffAt('length')}`;
  if (atLimit === 0) return `, ${count(s.truncated)} truncated at ${cutOffAt('model_length')}`;
  return `, ${count(s.truncated)} truncated (${count(atLimit)} at ${cutOffAt('length')}, ${count(atContext)} at ${cutOffAt('model_length')})`;
}

export interface SummaryStyle {
  ok?: (s: string) => string;
  failed?: (s: string) => string;
}

/**
 * One line: `98 ok, 2 failed (timeout 1, http 1), 14 retries, 3 × 429 · 1,234 tokens in / 567 out ·
 * est. $0.0012 at 2026-03-01 prices · 12.3s · 8.1 req/s, 145 tokens/s`.
 */
export function formatSummaryLine(
  s: RunSummary,
  style: SummaryStyle = {},
  /** `retryFailed`: a --retry-failed run, whose failed rows skipped are its own pass's (see ReporterOptions). */
  run: { retryFailed?: boolean } = {},
): string {
  const them = s.skippedFailed === 1 ? 'it' : 'them';
  const skippedFailed = !s.skippedFailed
    ? ''
    : run.retryFailed
      ? ` (${count(s.skippedFailed)} of them failed earlier in this --retry-failed pass; the next pass asks ${them} again)`
      : ` (${count(s.skippedFailed)} of them failed; --retry-failed re-runs ${them})`;
  const failedDetail = Object.entries(s.failedByType)
    .filter(([, n]) => n > 0)
    .map(([type, n]) => `${type} ${count(n)}`)
    .join(', ');
  const okText = `${count(s.ok)} ok`;
  const failedText = `${count(s.failed)} failed${failedDetail ? ` (${failedDetail})` : ''}`;
  // A stopped run says so first: "2 ok, 0 failed" alone reads like a finished batch.
  const stopped = s.stopped === 'interrupted' ? 'interrupted: ' : s.stopped ? `stopped (${s.stopped}): ` : '';
  const parts = [
    `${stopped}${style.ok && s.ok > 0 ? style.ok(okText) : okText}${s.fromCache ? ` (${count(s.fromCache)} from cache)` : ''}, ${style.failed && s.failed > 0 ? style.failed(failedText) : failedText}` +
      (s.notRun ? `, ${count(s.notRun)} not run` : s.stopped && s.notRun === null ? ', the rest not run' : '') +
      (s.skipped ? `, ${count(s.skipped)} already done` : '') +
      skippedFailed +
      (s.truncated && !s.failedByType['truncated'] ? truncatedPart(s) : '') +
      (s.contentFiltered ? `, ${count(s.contentFiltered)} stopped by the content filter` : '') +
      (s.retries ? `, ${count(s.retries)} ${s.retries === 1 ? 'retry' : 'retries'}` : '') +
      (s.reasks ? `, ${count(s.reasks)} re-asked (invalid output)` : '') +
      (s.rateLimited ? `, ${count(s.rateLimited)} × 429` : ''),
  ];
  // Every answer from the cache: token counts, cost and rates of nothing sent mean nothing.
  const nothingSent = s.requests === 0 && s.fromCache > 0 && s.promptTokens + s.completionTokens === 0 && !s.pendingBatches;
  if (nothingSent) parts.push('nothing sent, nothing spent');
  else {
    const unpriced = [
      s.rowsWithoutUsage ? `${count(s.rowsWithoutUsage)} ${s.rowsWithoutUsage === 1 ? 'answer' : 'answers'} without usage` : '',
      s.attemptsCutOff ? `${count(s.attemptsCutOff)} ${s.attemptsCutOff === 1 ? 'attempt' : 'attempts'} cut off` : '',
    ].filter(Boolean);
    parts.push(`${count(s.promptTokens)} tokens in / ${count(s.completionTokens)} out${unpriced.length ? ` (${unpriced.join(', ')})` : ''}`);
  }
  const cost = nothingSent ? null : s.estimatedCost;
  // No answer reported usage: "$0.00" would read as the spend (the budget charged their worst case).
  if (cost?.atLeast && s.promptTokens + s.completionTokens === 0) parts.push('cost unknown (no usage reported)');
  else if (cost) {
    parts.push(
      // The served model's name is the server's: shown, not executed.
      `est. ${cost.atLeast ? '≥ ' : ''}${usd(cost.usd)} at ${cost.pricesGiven ? (cost.pricesMixed ? `the given and ${cost.pricesAsOf}` : 'the given') : cost.pricesAsOf} prices${sanitize(pricedByRequest(cost))}${cost.unpricedTokens ? ` (+${count(cost.unpricedTokens)} tokens of unpriced models)` : ''}`,
    );
  }
  parts.push(duration(s.wallSeconds, true));
  if (!nothingSent) parts.push(`${rate(s.requestsPerSecond)} req/s, ${count(s.tokensPerSecond)} tokens/s`);
  // A file name may hold escape sequences or bidirectional controls: shown, not executed.
  if (s.input) parts.push(sanitizeName(s.input));
  return parts.join(' · ');
}
