/**
 * `x` with `fractionDigits` decimals and thousands separated, `1,234,567.89`: the text
 * `x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })` gives,
 * without ICU. The first locale-aware call loads ICU's locale data, ~20 ms of CPU, and every run's
 * summary line used to pay it (issue 16: a short run's fixed cost).
 *
 * As ICU does, it rounds the shortest decimal that reads back as `x` (`String(x)`), half away from
 * zero: 1.005 is `1.01` (toFixed, on the binary value, says `1.00`); a negative that rounds to
 * zero keeps its sign (`-0.0`).
 */
export function groupDigits(x: number, fractionDigits = 0): string {
  // Not finite, or where String() turns exponential: never a count or a price; ICU's text.
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) {
    return x.toLocaleString('en-US', { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
  }
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const [whole, fraction] = plainDecimal(Math.abs(x));
  let digits = whole + fraction.slice(0, fractionDigits).padEnd(fractionDigits, '0');
  if (fraction.length > fractionDigits && fraction[fractionDigits]! >= '5') digits = addOne(digits);
  const intPart = digits.slice(0, digits.length - fractionDigits);
  const grouped = intPart.replace(/\B(?=(\d{3})+$)/g, ',');
  return fractionDigits > 0 ? `${sign}${grouped}.${digits.slice(-fractionDigits)}` : `${sign}${grouped}`;
}

/** The shortest round-trip decimal of `x` (0 <= x < 1e21) as whole and fraction digits: 1.5e-7 is ['0', '00000015']. */
function plainDecimal(x: number): [string, string] {
  const text = String(x);
  const e = text.indexOf('e');
  if (e < 0) {
    const dot = text.indexOf('.');
    return dot < 0 ? [text, ''] : [text.slice(0, dot), text.slice(dot + 1)];
  }
  // Only below 1e-6 here: `d.ddde-N`.
  const mantissa = text.slice(0, e).replace('.', '');
  return ['0', '0'.repeat(-Number(text.slice(e + 1)) - 1) + mantissa];
}

/** A decimal digit string plus one: '0999' is '1000', '99' is '100'. */
function addOne(digits: string): string {
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '9') i--;
  if (i < 0) return `1${'0'.repeat(digits.length)}`;
  return digits.slice(0, i) + String(Number(digits[i]) + 1) + '0'.repeat(digits.length - i - 1);
}

/** `1 row`, `2 rows`, `12,000 rows`: a whole count and its noun, as messages say them (never `1 rows`). */
export function counted(x: number, one: string, many = `${one}s`): string {
  return `${groupDigits(Math.round(x))} ${x === 1 ? one : many}`;
}
