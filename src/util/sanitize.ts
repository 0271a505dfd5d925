/**
 * The bidirectional controls that reorder a line: U+202A–U+202E embeddings and overrides, U+2066–U+2069
 * isolates. Trojan Source (CVE-2021-42574) needs these; rustc's `text_direction_codepoint_in_literal`
 * lint flags exactly these.
 */
const BIDI_CONTROLS = '\\u202a-\\u202e\\u2066-\\u2069';
/**
 * The bidi marks U+200E (LRM), U+200F (RLM) and U+061C (ALM): invisible, but they only nudge the
 * direction of the characters next to them, as a letter of that direction would, and Arabic or
 * Hebrew text holds them legitimately.
 */
const BIDI_MARKS = '\\u061c\\u200e\\u200f';

/**
 * What sanitize shows as `�`: the controls other than tab, newline (and CR, dropped first), and the
 * bidi controls. Not the bidi marks: an answer in Arabic or Hebrew is shown as it was written.
 */
const SHOWN_AS_REPLACEMENT = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}]`, 'g');
/** What sanitizeName shows as `�`: every C0 and C1 control (line breaks and tabs too), DEL and the bidi controls. */
const LINE_CONTROLS = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}]`, 'g');

/**
 * A character that must not reach a terminal as itself in a command meant to be pasted (shellQuote
 * escapes it in `$'…'`): C0 and C1 controls (tab and newline too), DEL, the bidi controls, and the
 * bidi marks too. A mark in a file name is invisible: escaped, the command shows what the name holds.
 * Wider than what sanitize replaces, which keeps the marks of right-to-left text.
 */
export const TERMINAL_CONTROL = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}${BIDI_MARKS}]`);

/**
 * Model output is untrusted: an escape sequence in an answer could move the cursor, retitle the
 * window or worse, and a bidirectional control (U+202A–U+202E embeddings and overrides, U+2066–U+2069
 * isolates) could reorder what the terminal shows so that it reads other than it is (Trojan Source).
 * Control characters other than newline and tab, and these, are shown as `�`; CR is dropped. The bidi
 * marks (U+200E, U+200F, U+061C) are shown as themselves: right-to-left text holds them.
 */
export function sanitize(text: string): string {
  return text.replace(/\r/g, '').replace(SHOWN_AS_REPLACEMENT, '\ufffd');
}

/**
 * A name shown inside a line (a file name in the summary or the spinner): as {@link sanitize}
 * shows it, but a line break, tab or CR is a control like any other (`�`): one would split the
 * line, its second half reading as a line of its own.
 */
export function sanitizeName(text: string): string {
  return text.replace(LINE_CONTROLS, '\ufffd');
}

/**
 * A JSON value pretty-printed to be shown (the requests `--dry-run` prints): what {@link sanitize}
 * shows as `�` is written as a `\uXXXX` escape instead (JSON.stringify escapes only C0 controls), so
 * the text is the same JSON, exactly what is sent, and nothing in it acts on a terminal.
 */
export function jsonForDisplay(value: unknown): string {
  return controlsEscaped(JSON.stringify(value, null, 2));
}

/**
 * JSON text with what {@link sanitize} shows as `�` written as `\uXXXX` escapes: the same JSON once
 * parsed, nothing in it that acts on a terminal (JSON.stringify leaves C1 controls, DEL and the bidi
 * controls as they are). Also the report page's data, which `report -o -` may write to one.
 */
export function controlsEscaped(json: string): string {
  return json.replace(SHOWN_AS_REPLACEMENT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
