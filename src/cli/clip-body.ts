import { groupDigits } from '../util/group-digits.js';
import { isHighSurrogate, isLowSurrogate } from '../util/surrogates.js';

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
      // Cut between code points: half an emoji would show as a lone `\ud83d` in the JSON.
      let end = MAX_SHOWN_CHARS * 0.75;
      if (isHighSurrogate(value.charCodeAt(end - 1)) && isLowSurrogate(value.charCodeAt(end))) end--;
      let start = value.length - MAX_SHOWN_CHARS * 0.25;
      if (isLowSurrogate(value.charCodeAt(start)) && isHighSurrogate(value.charCodeAt(start - 1))) start++;
      const head = value.slice(0, end);
      const tail = value.slice(start);
      return `${head} […${groupDigits(value.length - head.length - tail.length)} characters not shown…] ${tail}`;
    }
    if (Array.isArray(value)) return value.map(clip);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clip(v)]));
    return value;
  };
  return { body: clip(body) as Record<string, unknown>, clipped };
}
