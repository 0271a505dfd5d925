/**
 * The bidirectional controls src/util/sanitize.ts keeps off the terminal: U+202A–U+202E embeddings and
 * overrides, U+2066–U+2069 isolates. Applied, they reorder what the page shows (`\u202eevil\u202c`
 * reads "live", and a search for "evil" finds it), so a prompt, an answer or an id could read other
 * than it holds (Trojan Source). Not the marks U+200E, U+200F and U+061C: right-to-left text holds them.
 */
const BIDI_CONTROL = /([\u202a-\u202e\u2066-\u2069])/;

const code = (c: string): string => `U+${c.charCodeAt(0).toString(16).toUpperCase()}`;

/** The text split around its bidi controls: text at even indexes, each control's code (`U+202E`) at odd ones. */
export function bidiPieces(text: string): string[] {
  return text.split(BIDI_CONTROL).map((p, i) => (i % 2 ? code(p) : p));
}

/** Plain text (an option's label) with each bidi control shown as `⟨U+202E⟩` instead of applied. */
export function bidiShown(text: string): string {
  return bidiPieces(text)
    .map((p, i) => (i % 2 ? `⟨${p}⟩` : p))
    .join('');
}
