/**
 * A decimal as a person types it: digits with an optional fraction (`2`, `1.50`, `.5`). Number()
 * alone would also take `0x10` (16), `0b1`, `1e5`, `+5` and `Infinity`, so `--max-cost 0x10` was $16.
 */
const DECIMAL = /^\s*(\d+\.?\d*|\.\d+)\s*$/;

/** Written as a plain decimal, whatever its size: `1` and 400 zeros is one (too large to read as a number). */
export function isPlainDecimal(value: string): boolean {
  return DECIMAL.test(value);
}

/** The value of a plain decimal, else undefined (also for one too large for a double). */
export function plainDecimal(value: string): number | undefined {
  const n = Number(value);
  return DECIMAL.test(value) && Number.isFinite(n) ? n : undefined;
}

/** The largest decimal a flag or a price takes: the whole-number flags' limit (2^53 − 1), so both kinds say one figure. */
const MAX_DECIMAL = Number.MAX_SAFE_INTEGER;
/**
 * The least positive decimal a flag or a price takes: a picodollar, the unit --max-cost counts in (a
 * smaller cap is $0). Far smaller, a double reads the digits as 0, which "greater than 0" must not then refuse.
 */
const MIN_POSITIVE_DECIMAL = 1e-12;
const MIN_POSITIVE_SHOWN = '0.000000000001';

/**
 * Why a decimal is out of the range flags and prices take ("Too large: …", "Too small: …"), else
 * undefined: a plain decimal as typed (`0.000…01` is above 0 whatever a double makes of it), or a
 * number from a JSON file. `what` names it in the line ("price").
 */
export function decimalOutOfRange(value: string | number, what?: string): string | undefined {
  const n = typeof value === 'number' ? value : isPlainDecimal(value) ? Number(value) : undefined;
  if (n === undefined || Number.isNaN(n)) return undefined;
  const named = what ? `${what} ` : '';
  if (n > MAX_DECIMAL) return `Too large: the largest ${named}accepted is ${MAX_DECIMAL}`;
  const positive = typeof value === 'number' ? n > 0 : /[1-9]/.test(value);
  if (positive && n < MIN_POSITIVE_DECIMAL) return `Too small: the smallest ${named}accepted is ${MIN_POSITIVE_SHOWN}`;
  return undefined;
}
