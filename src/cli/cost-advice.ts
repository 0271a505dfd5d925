import { BUDGET_DEFAULT_MAX_TOKENS } from '../budget/run-budget.js';
import { count, exactUsd } from '../ui/number-format.js';

/** A request that did not fit under --max-cost: its worst case and, when known, the answer limit it assumed. */
export interface RefusedWorstCase {
  worstUsd: number;
  maxTokens?: number;
  /** The prediction's tokens (Predicted Outputs) it assumed billed as answer tokens besides. */
  predictionTokens?: number;
  /** What its prompt alone is reserved at: when that is above the cap, the answer limit is not what to change. */
  promptUsd?: number;
}

/**
 * The request's limit came from its row's own `max_tokens`: it is neither --max-tokens nor the default
 * --max-cost assumes without it. The row's value wins over the flag, so a lower --max-tokens changes nothing.
 */
function rowsOwnLimit(request: RefusedWorstCase, maxTokensFlag: number | undefined): boolean {
  const limit = request.maxTokens;
  return limit !== undefined && limit !== maxTokensFlag && (maxTokensFlag !== undefined || limit !== BUDGET_DEFAULT_MAX_TOKENS);
}

/** The answer limit a worst case assumed, naming the default one (the usual cause of a surprise). */
function assumedLimit(request: RefusedWorstCase, maxTokensFlag: number | undefined): string {
  const limit = request.maxTokens ?? maxTokensFlag;
  if (limit === undefined) return `its answer limit: ${count(BUDGET_DEFAULT_MAX_TOKENS)} tokens under --max-cost unless --max-tokens or the row sets one`;
  if (maxTokensFlag === undefined && limit === BUDGET_DEFAULT_MAX_TOKENS)
    return `${count(limit)} answer tokens, the limit --max-cost sets when --max-tokens is not given`;
  if (rowsOwnLimit(request, maxTokensFlag)) return `${count(limit)} answer tokens, the row's own max_tokens`;
  return `${count(limit)} answer tokens`;
}

/** When one request's worst case alone is above the cap, no cap below it will ever send it: say what to change. */
function overCap(request: RefusedWorstCase, capUsd: number, maxTokensFlag: number | undefined): string {
  if (request.worstUsd <= capUsd) return '';
  // A prompt of 8,000 words under --max-tokens 10 was told to give "a lower --max-tokens".
  if (request.promptUsd !== undefined && request.promptUsd > capUsd) {
    return `, more than the whole cap, its prompt alone up to ${exactUsd(request.promptUsd, true)} (as many tokens as its UTF-8 bytes, at most): give a cap above ${exactUsd(request.worstUsd, true)} or a shorter prompt`;
  }
  const lower = rowsOwnLimit(request, maxTokensFlag) ? 'a lower max_tokens in the row (it wins over --max-tokens)' : 'a lower --max-tokens';
  return `, more than the whole cap: give ${lower} or a cap above ${exactUsd(request.worstUsd, true)}`;
}

/** The prediction's share of a worst case, when the request has one. */
function predicted(request: RefusedWorstCase): string {
  return request.predictionTokens ? `, plus up to ${count(request.predictionTokens)} predicted tokens billed as answer tokens when unused` : '';
}

/** Live: `its worst case is $0.0411 (its prompt plus 4,096 answer tokens, …), more than the whole cap: …`. */
export function worstCaseAdvice(request: RefusedWorstCase, capUsd: number, maxTokensFlag: number | undefined): string {
  return `its worst case is ${exactUsd(request.worstUsd, true)} (its prompt plus ${assumedLimit(request, maxTokensFlag)}${predicted(request)})${overCap(request, capUsd, maxTokensFlag)}`;
}

/** Batch API: `may cost up to $Z at the Batch price`, and what to change when that is above the whole cap. */
export function batchWorstCase(request: RefusedWorstCase, capUsd: number, maxTokensFlag: number | undefined): string {
  const tail = request.worstUsd > capUsd ? ` (its prompt plus ${assumedLimit(request, maxTokensFlag)})${overCap(request, capUsd, maxTokensFlag)}` : '';
  return `may cost up to ${exactUsd(request.worstUsd, true)} at the Batch price${tail}`;
}

/** What answers cost beyond their reservations under --max-cost: how many, and the excess summed. */
export interface Overrun {
  answers: number;
  usd: number;
}

/**
 * `usage exceeded what was reserved by $2.95 (1 answer billed beyond its worst case: …)`: one line
 * for the whole run, however many answers overran.
 */
export function overrunAdvice(overrun: Overrun): string {
  const answers = overrun.answers === 1 ? '1 answer billed beyond its worst case' : `${count(overrun.answers)} answers billed beyond their worst case`;
  return `usage exceeded what was reserved by ${exactUsd(overrun.usd, true)} (${answers}: a server that ignores max_tokens, a part with no known token bound, or an answer under a model name priced higher)`;
}

/**
 * `$0.0096 of the $0.0096 spent is the worst case charged for 4 answers without usage; --no-stream
 * answers carry usage`: after a budget stop, why the spend is above the summary's estimate (which
 * cannot price answers no usage came with). Undefined when every attempt was priced by its usage.
 */
export function worstChargedAdvice(charged: { noUsage: number; cut: number; usd: number }, spentUsd: number, streamed: boolean): string | undefined {
  if (charged.noUsage + charged.cut === 0) return undefined;
  const what = [
    charged.noUsage ? `${count(charged.noUsage)} ${charged.noUsage === 1 ? 'answer' : 'answers'} without usage` : '',
    charged.cut ? `${count(charged.cut)} cut-off ${charged.cut === 1 ? 'attempt' : 'attempts'}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const advice = charged.noUsage && streamed ? '; --no-stream answers carry usage, for a closer budget' : '';
  return `${exactUsd(charged.usd)} of the ${exactUsd(spentUsd)} spent is the worst case charged for ${what}${advice}`;
}
