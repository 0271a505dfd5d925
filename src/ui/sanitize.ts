/**
 * Model output is untrusted: an escape sequence in an answer could move the cursor, retitle the
 * window or worse, and a bidirectional control (U+202A–U+202E embeddings and overrides, U+2066–U+2069
 * isolates, the U+200E/U+200F/U+061C marks) could reorder what the terminal shows so that it reads
 * other than it is (Trojan Source). Control characters other than newline and tab, and these, are
 * shown as `�`; CR is dropped.
 */
export function sanitize(text: string): string {
  return (
    text
      .replace(/\r/g, '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd')
  );
}
