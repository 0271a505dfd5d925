/**
 * Number and time formats shared by progress lines, the bar, the summary and --dry-run. Digits are
 * grouped by util/group-digits.ts, not toLocaleString: ICU's locale data costs ~20 ms of CPU to load.
 */
import { groupDigits } from '../util/group-digits.js';

/** `1,234,567` */
export const count = (x: number): string => groupDigits(Math.round(x));

/** `38.2` (one decimal, thousands separated). */
export const rate = (x: number): string => groupDigits(x, 1);

/** Short compact figures for a crowded bar: `980`, `12.3k`, `4.5M`. */
export function compact(x: number): string {
  if (x < 1000) return x < 10 ? x.toFixed(1) : Math.round(x).toString();
  if (x < 1_000_000) return `${(x / 1000).toFixed(x < 10_000 ? 1 : 0)}k`;
  return `${(x / 1_000_000).toFixed(1)}M`;
}

/** A duration for ETA and wall time: `45s`, `1m40s`, `2h05m`; sub-minute wall times keep a decimal with `precise`. */
export function duration(seconds: number, precise = false): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  // Below a minute only when it still is once rounded: 59.96 is `1m00s`, not `60.0s`.
  if (precise ? Number(seconds.toFixed(1)) < 60 : Math.ceil(seconds) < 60) return precise ? `${seconds.toFixed(1)}s` : `${Math.ceil(seconds)}s`;
  const total = Math.max(60, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/**
 * US dollars where the figure is advice to act on (a budget's cap, spend, worst case): never
 * `<$0.0001`, two significant digits under a cent (`$0.000015`). `up` rounds up, for "a cap above".
 */
export function exactUsd(x: number, up = false): string {
  if (x <= 0) return '$0.00';
  // The digits as they round: $0.000996 has those of $0.0010, not $0.00100.
  const decimals = x >= 1 ? 2 : Math.min(12, Math.max(4, 1 - Math.floor(Math.log10(Number(x.toPrecision(2))))));
  const scale = 10 ** decimals;
  // Rounded as usd() rounds (groupDigits: half up on the decimal), so the summary's estimate and the budget's lines agree.
  const rounded = up ? Math.ceil(x * scale - 1e-6) / scale : Number(groupDigits(x, decimals).replace(/,/g, ''));
  if (rounded >= 1) return `$${groupDigits(rounded, 2)}`;
  return `$${rounded.toFixed(decimals)}`;
}

/**
 * A cap the user gave (--max-cost), as given: {@link exactUsd}'s rounding showed 0.00126 as
 * `$0.0013`, a cap the user never set. Figures exactUsd shows whole are shown as it shows them.
 */
export function capUsd(x: number): string {
  const shown = exactUsd(x);
  if (Number(shown.slice(1).replace(/,/g, '')) === x) return shown;
  // The shortest decimal that reads back as the cap (not toFixed's binary noise: 123456.789000000004).
  const text = String(x);
  const [whole, fraction] = (/e/i.test(text) ? x.toFixed(12).replace(/0+$/, '') : text).split('.');
  return `$${groupDigits(Number(whole), 0)}${fraction ? `.${fraction}` : ''}`;
}

/**
 * US dollars for an estimate: `$12.35`, `$0.0123`; under $0.001 two significant digits
 * (`$0.000051`, `$0.00014`), as budget messages show them: a pilot run on a cheap model costs that
 * little. Four decimals from $0.0001 showed $0.000144 as `$0.0001`, one digit, beside a smaller
 * model's `$0.000096`.
 */
export function usd(x: number): string {
  if (x === 0) return '$0.00';
  // On the two digits it would show: $0.000996 is `$0.0010` as $0.001 is, not `$0.00100`.
  if (Number(x.toPrecision(2)) < 0.001) return exactUsd(x);
  // On the rounded figure: $0.99999 is `$1.00`, not `$1.0000`. Rounded on the decimal (groupDigits),
  // as exactUsd rounds the budget's: $0.00575 is `$0.0058` in both, not `$0.0057` (toFixed's binary value).
  const four = groupDigits(x, 4);
  if (Number(four.replace(/,/g, '')) < 1) return `$${four}`;
  return `$${groupDigits(x, 2)}`;
}
