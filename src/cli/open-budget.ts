import { UsageError } from '../errors.js';
import { createPriceLookup, readPricesFile, type PriceLookup } from '../budget/prices.js';
import { createRunBudget, type RunBudget } from '../budget/run-budget.js';
import type { CliConfig } from './config.js';

/**
 * The `--max-cost` budget (and the --price/--prices lookup, when given), or undefined without it. Every model the run names must have a price
 * before anything is sent: a budget that cannot price an answer cannot hold.
 */
export function openBudget(config: CliConfig, models: readonly string[]): { budget: RunBudget | undefined; prices: PriceLookup | undefined } {
  const file = config.pricesFile !== undefined ? readPricesFile(config.pricesFile) : undefined;
  // Given prices also price the summary's estimate; without them it uses the table as before.
  const prices = config.price || file ? createPriceLookup({ price: config.price, file }) : undefined;
  if (config.maxCost === undefined) return { budget: undefined, prices };
  const lookup = prices ?? createPriceLookup({});
  for (const model of models) {
    if (!lookup(model)) {
      throw new UsageError(`--max-cost: no price known for model ${model}; give --price IN/OUT (USD per million tokens) or a --prices file`);
    }
  }
  return { budget: createRunBudget({ capUsd: config.maxCost, prices: lookup }), prices };
}
