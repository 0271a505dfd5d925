import { isHighSurrogate as isHigh, isLowSurrogate as isLow } from '../util/surrogates.js';
/**
 * Longest text handed to the BPE encoder at once. gpt-tokenizer merges a pre-token's bytes in time
 * quadratic in its length (one 256 KB run of letters took minutes); up to here it costs about a
 * microsecond a character, so a whole text costs time linear in its length.
 */
export const SLICE_CHARS = 1024;

/**
 * Where o200k's pre-tokenizer always starts a new piece: a space after a non-space, or anything but
 * a letter, digit, mark or `'` (a contraction's) after a letter or digit. No piece spans such a
 * point and the split pattern only looks ahead, so the slices' counts add up to the whole text's.
 */
const PIECE_START = /(?<=\S) |(?<=[\p{L}\p{N}])[^\p{L}\p{N}\p{M}']/gu;

/** Where the slice starting at `start` ends: the last piece start in reach, else `max` on (a long unbroken run, cut between code points). */
function sliceEnd(text: string, start: number, max: number): number {
  if (text.length - start <= max) return text.length;
  let end = 0;
  for (const m of text.slice(start, start + max + 1).matchAll(PIECE_START)) end = m.index;
  if (end > 0) return start + end;
  end = start + max;
  return isHigh(text.charCodeAt(end - 1)) && isLow(text.charCodeAt(end)) ? end - 1 : end;
}

/**
 * Tokens of a text counted slice by slice, none longer than `max` characters: exact while the text
 * breaks into words or sentences at least that often; a longer run (a CJK paragraph without
 * punctuation, a DNA sequence, base64) is cut, off by about a token a cut.
 */
export function countBySlices(text: string, countSlice: (slice: string) => number, max = SLICE_CHARS): number {
  let total = 0;
  for (let start = 0; start < text.length; ) {
    const end = sliceEnd(text, start, max);
    total += countSlice(text.slice(start, end));
    start = end;
  }
  return total;
}
