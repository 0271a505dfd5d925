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
