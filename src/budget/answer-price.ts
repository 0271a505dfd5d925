import { priceFor } from '../pricing.js';
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
