import { groupDigits } from '../util/group-digits.js';

/** Longest text `--dry-run` shows of one message or field: a 5 MB prompt is not a preview. */
export const MAX_SHOWN_CHARS = 2000;

/**
 * A copy of a request body for display, every string longer than MAX_SHOWN_CHARS cut to its start
 * and end with a note of how much was left out.
 */
export function clipForDisplay(body: Record<string, unknown>): { body: Record<string, unknown>; clipped: boolean } {
  let clipped = false;
  const clip = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (value.length <= MAX_SHOWN_CHARS) return value;
      clipped = true;
      const head = value.slice(0, MAX_SHOWN_CHARS * 0.75);
      const tail = value.slice(value.length - MAX_SHOWN_CHARS * 0.25);
      return `${head} […${groupDigits(value.length - head.length - tail.length)} characters not shown…] ${tail}`;
    }
    if (Array.isArray(value)) return value.map(clip);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clip(v)]));
    return value;
  };
  return { body: clip(body) as Record<string, unknown>, clipped };
}
