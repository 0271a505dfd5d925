import { priceFor, priceNames } from '../pricing.js';
import type { PriceLookup, TokenPrice } from './prices.js';

/** The price of an answer's tokens and the model name it was found under. */
export interface AnswerPrice {
  price: TokenPrice;
  /** The name priced: the model asked for, the model the server reported, or a table entry (`gpt-4o` for a snapshot). */
  pricedAs: string;
}

/**
 * Prices an answer as `--max-cost` spends it. Servers often name another model than the one asked
 * for (an Azure deployment answers with the model behind it, an alias with its dated snapshot), so a
 * price the user gave for the model asked for wins; then a price given for the reported name, then
 * the table by the reported name (it knows snapshots), then the table by the name asked for.
 */
export function answerPrice(prices: PriceLookup, asked: string | null | undefined, reported: string | null | undefined): AnswerPrice | undefined {
  const given = prices.given;
  if (given) {
    for (const name of [asked, reported]) {
      const price = name ? given(name) : undefined;
      if (price && name) return { price, pricedAs: name };
    }
  }
  for (const name of [reported, asked]) {
    const price = name ? prices(name) : undefined;
    if (price && name) return { price, pricedAs: (given?.(name) ? name : priceFor(name)?.priced) ?? name };
  }
  return undefined;
}

/** A model's name without what servers add to it: case, an `openai/` routing prefix, a snapshot's date. */
const family = (model: string) => priceNames(model).at(-1)!;

/**
 * The model a row asked for. A row of a run with one model has no `requested_model`, yet a JSONL row
 * may name its own (`"model": "o1"` in a `-m gpt-4o-mini` run), and its answer comes back under that
 * name: a reported name that has a price of its own and is no snapshot of the run's model, in a run
 * whose model the table knows, was asked for by the row. Any other reported name (a deployment's
 * model, an alias's snapshot) answered for the run's model.
 */
export function askedModel(
  prices: PriceLookup,
  requested: string | null | undefined,
  reported: string | null | undefined,
  runModel: string | null | undefined,
): string | null {
  if (requested) return requested;
  if (!runModel) return null;
  if (!reported || family(reported) === family(runModel) || !priceFor(runModel) || !prices(reported)) return runModel;
  return reported;
}
