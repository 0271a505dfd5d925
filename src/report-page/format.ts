import { usd } from '../ui/number-format.js';

/** The page's number, time and money formats: pure, so unit tests run them without a browser. */
export const fmt = {
  int: (n: number | null | undefined): string => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US')),
  ms(n: number | null | undefined): string {
    if (n === null || n === undefined) return '–';
    // Thresholds on the rounded value: 999.6 ms is "1.00 s", not "1000 ms".
    if (Math.round(n) < 1000) return `${Math.round(n)} ms`;
    return fmt.duration(n / 1000);
  },
  /** `8.25 s`, `42.4 s`, `2m 00s`, `1h 05m`: each unit's rounding carries into the next (119.999 s is 2m 00s). */
  duration(s: number | null | undefined): string {
    if (s === null || s === undefined || !Number.isFinite(s)) return '–';
    if (Number(s.toFixed(2)) < 10) return `${s.toFixed(2)} s`;
    if (Number(s.toFixed(1)) < 60) return `${s.toFixed(1)} s`;
    const total = Math.round(s);
    const m = Math.floor(total / 60),
      sec = total % 60;
    if (m < 60) return `${m}m ${String(sec).padStart(2, '0')}s`;
    const minutes = Math.round(s / 60);
    return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
  },
  /** The terminal summary's dollars (`$0.000050`, `$0.0123`, `$1,234.50`): a user sets the two side by side. */
  usd: (n: number | null | undefined): string => (n === null || n === undefined ? '–' : usd(n)),
  // A share that is not all (or none) never reads as 100.0 % (or 0.0 %): 3,998 of 4,000 ok is 99.9 %.
  pct: (n: number, of: number): string =>
    of > 0 ? `${n === of || n === 0 ? (n === 0 ? '0' : '100') : Math.min(99.9, Math.max(0.1, (100 * n) / of)).toFixed(1)} %` : '–',
  rate: (n: number | null | undefined): string => (n === null || n === undefined ? '–' : n >= 100 ? fmt.int(n) : n.toFixed(n >= 10 ? 1 : 2)),
  /**
   * When a time bucket starts, to the bucket's precision and in UTC as the time axis: `15:36:07.2 UTC`
   * for 100 ms buckets, `15:36 UTC` for minutes, the day alone for days (each with its date).
   */
  bucket(ms: number, bucketMs: number): string {
    const iso = new Date(ms).toISOString(); // 2026-12-03T15:36:07.250Z: the date ends at 10, minutes at 16, seconds at 19
    const end =
      bucketMs % 86_400_000 === 0 ? 10 : bucketMs % 60_000 === 0 ? 16 : bucketMs % 1000 === 0 ? 19 : bucketMs % 100 === 0 ? 21 : bucketMs % 10 === 0 ? 22 : 23;
    return `${iso.slice(0, end).replace('T', ' ')} UTC`;
  },
  time: (ms: number): string =>
    new Date(ms)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z'),
};
