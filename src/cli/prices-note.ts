import type { PriceLookup } from '../budget/prices.js';
import { PRICES_AS_OF } from '../pricing.js';
import { sanitize } from '../util/sanitize.js';

/**
 * Said once after a run whose --prices file has entries that priced nothing while the table priced
 * some of its answers: a misspelt or mismatched name (`gpt4o-mini`) would otherwise leave the run at
 * list prices under a summary that says "at the given prices". Undefined when there is nothing to say.
 */
export function unmatchedPricesLine(file: string | undefined, prices: PriceLookup | undefined): string | undefined {
  const missed = file === undefined ? undefined : prices?.missed?.();
  if (!missed || missed.entries.length === 0 || missed.models.length === 0) return undefined;
  const list = (names: string[]) => names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
  // Model names are the file's and the server's: shown, not executed.
  return sanitize(
    `--prices ${file}: no model of the run matched ${list(missed.entries.map((n) => JSON.stringify(n)))}; ${list(missed.models)} priced ${missed.pricedAs === '--price' ? 'at --price' : `at the ${PRICES_AS_OF} list prices`}`,
  );
}
