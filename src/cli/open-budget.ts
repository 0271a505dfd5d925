import { UsageError } from '../errors.js';
import { createPriceLookup, readPricesFile, type PriceLookup, type TokenPrice } from '../budget/prices.js';
import { flagFileText } from './flag-file.js';
import { createRunBudget, type RunBudget } from '../budget/run-budget.js';
import type { CliConfig } from './config.js';

/**
 * The `--max-cost` budget (and the --price/--prices lookup, when given, or --mock's; `budgetPrices`,
 * what the budget prices with), or undefined without it. Every model the run names must have a price
 * before anything is sent: a budget that cannot price an answer cannot hold.
 */
export function openBudget(
  config: CliConfig,
  models: readonly string[],
): { budget: RunBudget | undefined; prices: PriceLookup | undefined; budgetPrices?: PriceLookup } {
  const prices = runPrices(config);
  const lookup = budgetPrices(config, models, prices);
  if (config.maxCost === undefined || !lookup) return { budget: undefined, prices };
  return { budget: createRunBudget({ capUsd: config.maxCost, prices: lookup }), prices, budgetPrices: lookup };
}

/**
 * What `--max-cost` prices answers with (the run's prices, else the table), or undefined without
 * it; a model the run names with no price is a usage error, for the run and its --dry-run alike.
 */
export function budgetPrices(config: CliConfig, models: readonly string[], prices = runPrices(config)): PriceLookup | undefined {
  if (config.maxCost === undefined) return undefined;
  const lookup = prices ?? createPriceLookup({});
  for (const model of models) {
    if (!lookup(model)) {
      throw new UsageError(`--max-cost: no price known for model ${model}; give --price IN/OUT (USD per million tokens) or a --prices file`);
    }
  }
  return lookup;
}

/**
 * The run's prices for the summary, the report and the dry run's estimate: --price/--prices over the
 * table, and under --mock its free model (a mock run costs $0.00 whether or not --max-cost is set);
 * undefined for the table alone.
 */
export function runPrices(config: Pick<CliConfig, 'price' | 'pricesFile' | 'provider'>): PriceLookup | undefined {
  return pricesOf(config, config.provider.kind === 'mock');
}

/**
 * runPrices for what a run's flags were (`llm-batch report` has its own --price/--prices) and whether
 * it was a --mock one (for `report`, as OUT.meta.json records it).
 */
export function pricesOf(flags: Pick<CliConfig, 'price' | 'pricesFile'>, mock: boolean): PriceLookup | undefined {
  const file = flags.pricesFile !== undefined ? readPricesFile(flags.pricesFile, (file) => flagFileText(`--prices ${file}`, file)) : undefined;
  const given = flags.price || file ? createPriceLookup({ price: flags.price, file }) : undefined;
  return mock ? freeMockModel(given) : given;
}

/** The model `--mock` answers as when no -m names one (config.ts). */
const MOCK_MODEL = 'mock-model';
const FREE: TokenPrice = { input: 0, output: 0 };

/**
 * `--mock`'s own model costs nothing, so `--mock --max-cost` tries a budget offline without a
 * --price, and a mock run's summary says $0.00; a price given for it still wins. `--mock -m gpt-4o`
 * is priced as gpt-4o, as before. Without --price/--prices (`given` undefined) the lookup has no
 * `given` of its own: the summary and the report then say list prices, not "the given" ones.
 */
function freeMockModel(given: PriceLookup | undefined): PriceLookup {
  const lookup = given ?? createPriceLookup({});
  return Object.assign(
    (model: string) => lookup(model) ?? (model === MOCK_MODEL ? FREE : undefined),
    given?.given ? { given: given.given } : {},
    given?.missed ? { missed: given.missed } : {},
  );
}
