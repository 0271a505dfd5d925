/** The bidirectional controls: U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates, the U+200E/U+200F/U+061C marks. */
const BIDI = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

/** What sanitize shows as `�`: the controls other than tab, newline (and CR, dropped first), and the bidi controls. */
const SHOWN_AS_REPLACEMENT = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI}]`, 'g');

/**
 * A character a terminal acts on or reorders the line by: C0 and C1 controls (tab and newline too),
 * DEL and the bidi controls. What must not reach a terminal as itself (see sanitize, shellQuote).
 */
export const TERMINAL_CONTROL = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI}]`);

/**
 * Model output is untrusted: an escape sequence in an answer could move the cursor, retitle the
 * window or worse, and a bidirectional control (U+202A–U+202E embeddings and overrides, U+2066–U+2069
 * isolates, the U+200E/U+200F/U+061C marks) could reorder what the terminal shows so that it reads
 * other than it is (Trojan Source). Control characters other than newline and tab, and these, are
 * shown as `�`; CR is dropped.
 */
export function sanitize(text: string): string {
  return text.replace(/\r/g, '').replace(SHOWN_AS_REPLACEMENT, '\ufffd');
}
