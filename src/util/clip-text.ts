import { isHighSurrogate } from './surrogates.js';

/** How far back a cut looks for the start of the word it falls in: longer "words" are blobs, cut where they are. */
const WORD_MAX = 256;

/**
 * `text` cut to at most `max` characters, ending in `…` when cut. A cut inside a word goes back to
 * where that word starts (`breaks`: white space, or `/` in a URL's path). A server's words may hold
 * the API key, which is scrubbed later where it stands whole or as an echo the redactor knows; cut
 * through, a short key or one without digits was left but for its last characters
 * (`key token-abc1…`) in rows and on stderr. Whole words are scrubbed as ever.
 */
export function clipText(text: string, max: number, breaks: RegExp = /\s/): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (!breaks.test(text[end]!)) {
    let start = end;
    while (start > 0 && end - start < WORD_MAX && !breaks.test(text[start - 1]!)) start--;
    if (start > 0 && end - start < WORD_MAX) end = start;
    // A blob cut where it is: between code points, not through an emoji.
    else if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
  }
  return `${text.slice(0, end).trimEnd()}…`;
}
