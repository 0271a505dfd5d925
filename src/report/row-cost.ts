import { answerPrice, askedModel, type AnswerPrice } from '../budget/answer-price.js';
import { billedPico, createPriceLookup, type PriceLookup } from '../budget/prices.js';
import type { ReportRow } from './report-row.js';

/** How the report prices tokens: the run's own prices (--price, --prices) or the dated table. */
export interface ReportPricing {
  /** --price / --prices over the table (see pricedByGiven), or the table alone. */
  lookup: PriceLookup;
  /** The run's model (`-m`, from the run's metadata): what a row without `requested_model` asked for. */
  runModel?: string | null;
}

export const LIST_PRICING: ReportPricing = { lookup: createPriceLookup({}) };

/**
 * What the provider billed for a row, in picodollars, as the run's summary and budget count it: cached
 * prompt tokens at the cached price, Batch API rows (they carry `batch_id`) at the Batch price, a
 * cached answer nothing. Undefined when the model has no known price.
 */
export function rowCostPico(r: ReportRow, pricing: ReportPricing): number | undefined {
  if (r.cached) return 0;
  const priced = rowPrice(r, pricing);
  if (!priced) return undefined;
  const usage = { prompt_tokens: r.promptTokens ?? 0, completion_tokens: r.completionTokens ?? 0, cached_tokens: r.cachedTokens ?? 0 };
  return billedPico(priced.price, usage, Boolean(r.batchId));
}

/** A row's price as the run's summary and budget find it: by the model asked for when the given prices name it. */
export function rowPrice(r: ReportRow, pricing: ReportPricing): AnswerPrice | undefined {
  const reported = r.servedModel !== undefined ? r.servedModel : r.model;
  const asked = askedModel(pricing.lookup, r.requestedModel, reported, pricing.runModel) ?? (r.servedModel === undefined ? r.model : null);
  return answerPrice(pricing.lookup, asked, reported);
}
