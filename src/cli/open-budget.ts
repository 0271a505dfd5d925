import { UsageError } from '../errors.js';
import { createPriceLookup, readPricesFile, type PriceLookup, type TokenPrice } from '../budget/prices.js';
import { createRunBudget, type RunBudget } from '../budget/run-budget.js';
import type { CliConfig } from './config.js';

/**
 * The `--max-cost` budget (and the --price/--prices lookup, when given; `budgetPrices`, what the budget
 * prices with), or undefined without it. Every model the run names must have a price
 * before anything is sent: a budget that cannot price an answer cannot hold.
 */
export function openBudget(
  config: CliConfig,
  models: readonly string[],
): { budget: RunBudget | undefined; prices: PriceLookup | undefined; budgetPrices?: PriceLookup } {
  const file = config.pricesFile !== undefined ? readPricesFile(config.pricesFile) : undefined;
  // Given prices also price the summary's estimate; without them it uses the table as before.
  const prices = config.price || file ? createPriceLookup({ price: config.price, file }) : undefined;
  if (config.maxCost === undefined) return { budget: undefined, prices };
  const table = prices ?? createPriceLookup({});
  const lookup = config.provider.kind === 'mock' ? freeMockModel(table) : table;
  for (const model of models) {
    if (!lookup(model)) {
      throw new UsageError(`--max-cost: no price known for model ${model}; give --price IN/OUT (USD per million tokens) or a --prices file`);
    }
  }
  return { budget: createRunBudget({ capUsd: config.maxCost, prices: lookup }), prices, budgetPrices: lookup };
}

/** The model `--mock` answers as when no -m names one (config.ts). */
const MOCK_MODEL = 'mock-model';
const FREE: TokenPrice = { input: 0, output: 0 };

/**
 * `--mock`'s own model costs nothing, so `--mock --max-cost` tries a budget offline without a
 * --price; a price given for it still wins. `--mock -m gpt-4o` is priced as gpt-4o, as before.
 */
function freeMockModel(lookup: PriceLookup): PriceLookup {
  return Object.assign((model: string) => lookup(model) ?? (model === MOCK_MODEL ? FREE : undefined), lookup.given ? { given: lookup.given } : {});
}
