import { PRICES, priceFor, priceNames } from '../pricing.js';
import { UsageError } from '../errors.js';
import { readProblem } from '../util/path-words.js';
import { decimalOutOfRange, plainDecimal } from '../util/plain-decimal.js';
import { readTextCapped } from '../util/read-capped.js';
import { notValidJson } from '../util/json-error-place.js';
import { closestWord } from '../util/closest-word.js';
import type { Usage } from '../types.js';
import type { Picodollars } from './spend-cap.js';

/** USD per million tokens. */
export interface TokenPrice {
  input: number;
  output: number;
  /** Prompt tokens the provider served from its prompt cache; the input price when unknown. */
  cachedInput?: number;
}

/** The price of a model, or undefined when neither the flags nor the table know it. */
export interface PriceLookup {
  (model: string): TokenPrice | undefined;
  /** Only what --price / --prices say of the model (no table): the user priced it by this name. */
  given?: (model: string) => TokenPrice | undefined;
  /**
   * With a --prices file: its entries that priced nothing so far, and the models --price or else the
   * table priced instead (a misspelt or mismatched entry leaves the run at those prices).
   */
  missed?: () => { entries: string[]; models: string[]; pricedAs: 'table' | '--price' };
}

/**
 * Whether `model` (as an answer was priced) is priced by --price / --prices rather than by the
 * dated table: the summary, the dry run and the report each name the prices they used by it.
 */
export const pricedByGiven = (lookup: PriceLookup, model: string): boolean => lookup.given?.(model) !== undefined;

/** OpenAI's Batch API bills half the list price, cached input included. */
export const BATCH_DISCOUNT = 0.5;

function nonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * `IN/OUT` or `IN/OUT/CACHED_IN`, USD per million tokens: `0.15/0.60`, each a plain decimal as the
 * other decimal flags take it (`.15` too; not `1e3`, `0x10` or `-1`).
 */
export function parsePrice(text: string): TokenPrice | undefined {
  const parts = text.trim().split('/').map(plainDecimal);
  if (parts.length < 2 || parts.length > 3 || parts.includes(undefined)) return undefined;
  const [input, output, cachedInput] = parts as [number, number, number | undefined];
  return cachedInput === undefined ? { input, output } : { input, output, cachedInput };
}

/**
 * Why a price's figures are out of the range decimal flags take (too large, or positive and under a
 * picodollar a million tokens), else undefined: `IN/OUT[/CACHED]` as typed, or a file's numbers.
 * A file's `1e300` priced an answer at a dollar figure 300 digits long.
 */
export function priceRangeProblem(price: string | Readonly<Record<string, unknown>>): { figure: string; problem: string } | undefined {
  const figures: Array<[string, unknown]> =
    typeof price === 'string'
      ? price
          .trim()
          .split('/')
          .map((text, i): [string, unknown] => [STRING_FIGURES[i] ?? `figure ${i + 1}`, text])
      : Object.entries(price);
  for (const [figure, value] of figures) {
    const problem = typeof value === 'string' || typeof value === 'number' ? decimalOutOfRange(value, 'price') : undefined;
    if (problem) return { figure, problem };
  }
  return undefined;
}

/** The figures of an `IN/OUT/CACHED` price, by place. */
const STRING_FIGURES = ['input', 'output', 'cached_input'];

/**
 * A prices file: `{"model": {"input": 0.15, "output": 0.6, "cached_input": 0.075}}` or
 * `{"model": "0.15/0.60"}`, USD per million tokens. Errors name the file and the model.
 */
export function readPricesFile(file: string, read: (file: string) => string = readTextCapped): Map<string, TokenPrice> {
  let text: string;
  try {
    // Notepad and PowerShell 5 save UTF-8 with a BOM, which JSON.parse refuses (as --json-schema drops it).
    text = read(file).replace(/^\uFEFF/, '');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--prices ${file}: ${readProblem(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // A hand-edited file: the line and column, as --json-schema's say.
    throw new UsageError(`--prices ${file}: ${notValidJson(text, err as Error)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--prices ${file}: expected a JSON object of model → price`);
  const prices = new Map<string, TokenPrice>();
  for (const [model, value] of Object.entries(raw as Record<string, unknown>)) {
    const where = `--prices ${file}: "${model}"`;
    // After the keys are checked: `"outptu": 1e300` is a typo to name, not a price too large.
    const refuseOutOfRange = (figures: string | Record<string, unknown>) => {
      const range = priceRangeProblem(figures);
      if (range) throw new UsageError(`${where}: "${range.figure}" ${range.problem.replace(/^Too (large|small): /, 'is too $1: ')}`);
    };
    if (typeof value === 'string') {
      refuseOutOfRange(value);
      const price = parsePrice(value);
      if (!price) throw new UsageError(`${where}: expected "IN/OUT" or "IN/OUT/CACHED" in USD per million tokens, got "${value}"`);
      prices.set(model.toLowerCase(), price);
      continue;
    }
    const v = value as Record<string, unknown> | null;
    const expected = `${where}: expected {"input": N, "output": N} in USD per million tokens`;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(expected);
    refuseUnknownKeys(v, where);
    refuseOutOfRange(v);
    if (!nonNegative(v['input']) || !nonNegative(v['output'])) throw new UsageError(expected);
    const cached = v['cached_input'] ?? v['cachedInput'];
    if (cached !== undefined && !nonNegative(cached)) throw new UsageError(`${where}: "cached_input" must be a number >= 0`);
    prices.set(model.toLowerCase(), { input: v['input'], output: v['output'], ...(cached !== undefined ? { cachedInput: cached } : {}) });
  }
  return prices;
}

/** The keys of a price object; `cachedInput` is taken for `cached_input` too, as the table spells it. */
const PRICE_KEYS = ['input', 'output', 'cached_input'];

/**
 * A key a price object has no use for is a typo, not a comment: `"cached_inpt": 0.5` left out would
 * price cached tokens at the full input price without a word, `"outptu"` would be told only as a
 * missing "output". Refused naming the key, and the one it was likely meant as.
 */
function refuseUnknownKeys(price: Record<string, unknown>, where: string): void {
  const unknown = Object.keys(price).find((key) => !PRICE_KEYS.includes(key) && key !== 'cachedInput');
  if (unknown === undefined) return;
  const meant = closestWord(unknown, PRICE_KEYS);
  throw new UsageError(
    `${where}: unknown key ${JSON.stringify(unknown)}${meant ? ` (did you mean "${meant}"?)` : ''}; a price takes "input", "output" and "cached_input"`,
  );
}

/**
 * A library caller's price as the CLI's --price and --prices are held: numbers >= 0. A NaN (a
 * `Number(process.env.PRICE)` unset), a negative or a string price made every worst case NaN or
 * below 0, and --max-cost's cap admitted every request.
 */
function checkPrice(price: TokenPrice, where: string): TokenPrice {
  for (const key of ['input', 'output', 'cachedInput'] as const) {
    const value: unknown = price?.[key];
    if (key === 'cachedInput' && value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new UsageError(
        `${where}: ${key} must be a number >= 0 (USD per million tokens), got ${value === undefined ? 'none' : typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value))}`,
      );
    }
  }
  return price;
}

/**
 * The prices file for the models it names, then `--price` for every other, then the dated table
 * (`src/pricing.ts`). A file's
 * entry prices a model by the names the table is searched by (`gpt-4o-mini` prices
 * `gpt-4o-mini-2024-07-18` and `openai/gpt-4o-mini`), and wins over the table at each: the table's
 * own entry for a name (`gpt-4o-2024-05-13`) still beats the file's for its family.
 */
export function createPriceLookup(options: { price?: TokenPrice; file?: Map<string, TokenPrice> }): PriceLookup {
  if (options.price !== undefined) checkPrice(options.price, 'price');
  // Models are looked up by their lower-case names (see priceNames), as the CLI's --prices file keys them.
  const file = options.file && new Map([...options.file].map(([name, price]) => [name.toLowerCase(), checkPrice(price, `file's ${JSON.stringify(name)}`)]));
  const used = new Set<string>();
  /** Models a file did not price, priced by --price or else the table. */
  const otherwisePriced = new Set<string>();
  const fromFile = (model: string): TokenPrice | undefined => {
    if (!file) return undefined;
    for (const name of priceNames(model)) {
      const price = file.get(name);
      if (price) {
        used.add(name);
        return price;
      }
      if (Object.hasOwn(PRICES, name)) return undefined;
    }
    return undefined;
  };
  // The file's models keep their prices; --price is every other model's (it silently beat the whole file).
  const given = (model: string) => {
    const price = fromFile(model);
    if (price || !options.price) return price;
    if (file) otherwisePriced.add(model);
    return options.price;
  };
  const lookup = (model: string): TokenPrice | undefined => {
    const fromFlags = given(model);
    if (fromFlags) return fromFlags;
    const match = priceFor(model);
    if (match && file) otherwisePriced.add(model);
    return match
      ? { input: match.price.input, output: match.price.output, ...(match.price.cachedInput !== undefined ? { cachedInput: match.price.cachedInput } : {}) }
      : undefined;
  };
  const missed = () => ({
    entries: [...(file?.keys() ?? [])].filter((name) => !used.has(name)),
    models: [...otherwisePriced],
    pricedAs: options.price ? ('--price' as const) : ('table' as const),
  });
  return Object.assign(lookup, { given, ...(file ? { missed } : {}) });
}

/** Picodollars per token of a USD-per-million price. */
const perToken = (usdPerMillion: number) => usdPerMillion * 1e6;

/** Worst case of a request: every prompt token at the full input price, every allowed answer token. */
export function worstCasePico(price: TokenPrice, promptTokens: number, maxCompletionTokens: number, batch = false): Picodollars {
  const factor = batch ? BATCH_DISCOUNT : 1;
  return Math.ceil((promptTokens * perToken(price.input) + maxCompletionTokens * perToken(price.output)) * factor);
}

/** What the provider bills for reported usage: cached prompt tokens at their own price, and the Batch API discount. */
export function billedPico(price: TokenPrice, usage: Usage, batch = false): Picodollars {
  return Math.ceil(billedExact(price, usage, batch));
}

/**
 * The same bill in USD, for estimates (summary, per-model lines, dry run): one formula for the
 * budget and every figure shown, so they never disagree.
 */
export function billedUsd(price: TokenPrice, usage: Usage, batch = false): number {
  return billedExact(price, usage, batch) / 1e12;
}

function billedExact(price: TokenPrice, usage: Usage, batch: boolean): number {
  const cached = Math.min(usage.cached_tokens ?? 0, usage.prompt_tokens);
  const factor = batch ? BATCH_DISCOUNT : 1;
  const pico =
    (usage.prompt_tokens - cached) * perToken(price.input) +
    cached * perToken(price.cachedInput ?? price.input) +
    usage.completion_tokens * perToken(price.output);
  return pico * factor;
}
