/** The second last formatted, and its ISO 8601 text up to the milliseconds ("…T10:47:57."). */
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * `new Date(ms).toISOString()` for an integer `ms`, formatting the date and time once per second:
 * every attempt stamps its start and end, and toISOString cost more than the rest of the
 * engine's bookkeeping for an attempt.
 */
export function isoNow(ms: number = Date.now()): string {
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const text = new Date(second * 1000).toISOString();
    // "…:57.000Z" without "000Z": every year's form (±YYYYYY too) ends the same way.
    cachedPrefix = text.slice(0, -4);
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
