/**
 * List prices of common OpenAI models, to turn token counts into an estimated cost.
 *
 * USD per 1 million tokens, standard (non-Batch-API) tier, text tokens, as listed on
 * https://openai.com/api/pricing on the date below. These are ESTIMATES: prices change, cached input
 * is billed lower, the Batch API halves them, and reasoning models bill hidden reasoning tokens as
 * output (in `completion_tokens`, or in `total_tokens` alone as xAI reports them: see toUsage). Models not in this table
 * (local servers, fine-tunes, other providers) get token counts and no cost.
 *
 * To update: change the figures, then PRICES_AS_OF.
 */
export const PRICES_AS_OF = '2026-03-01';

export interface ModelPrice {
  /** USD per 1M prompt (input) tokens. */
  input: number;
  /** USD per 1M completion (output) tokens. */
  output: number;
  /** USD per 1M prompt tokens served from the provider's prompt cache (`cached_tokens`). */
  cachedInput?: number;
}

export const PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  // The first gpt-4o snapshot kept its launch price.
  'gpt-4o-2024-05-13': { input: 5, output: 15 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  o3: { input: 2, output: 8, cachedInput: 0.5 },
  'o3-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  o1: { input: 15, output: 60, cachedInput: 7.5 },
  'o1-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  'gpt-3.5-turbo-0125': { input: 0.5, output: 1.5 },
};

export interface PriceMatch {
  /** The table entry that matched, e.g. `gpt-4o` for `gpt-4o-2024-08-06`. */
  priced: string;
  price: ModelPrice;
}

/**
 * The names a model's price is looked up by, most specific first: as given (trimmed, in lower case),
 * without an `openai/` routing prefix, without a snapshot's date (`gpt-4o-2024-08-06` → `gpt-4o`).
 * Only a date suffix is stripped: `gpt-4o-audio-preview` or `gpt-4o-realtime` are priced differently.
 */
export function priceNames(model: string): string[] {
  const name = model.trim().toLowerCase();
  const bare = name.replace(/^openai\//, '');
  const family = bare.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  const names = [name];
  if (bare !== name) names.push(bare);
  if (family !== bare) names.push(family);
  return names;
}

/**
 * A table's entry for a model name as servers report it, by the names of {@link priceNames}: exact
 * names first, then dated snapshots, with an `openai/` routing prefix ignored. Own entries only:
 * `constructor` or `__proto__` (any name a local server takes) would find Object.prototype's (a
 * price of NaN, which --max-cost admits without limit).
 */
export function tableEntry<T>(table: Readonly<Record<string, T>>, model: string): { key: string; value: T } | undefined {
  for (const key of priceNames(model)) if (Object.hasOwn(table, key)) return { key, value: table[key]! };
  return undefined;
}

/** The price of a model name as servers report it (see tableEntry). */
export function priceFor(model: string | null | undefined): PriceMatch | undefined {
  const entry = model ? tableEntry(PRICES, model) : undefined;
  return entry && { priced: entry.key, price: entry.value };
}
