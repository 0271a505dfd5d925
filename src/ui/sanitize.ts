/**
 * Model output is untrusted: an escape sequence in an answer could move the cursor, retitle the
 * window or worse. Control characters other than newline and tab are shown as `�`; CR is dropped.
 */
export function sanitize(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  return text.replace(/\r/g, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
}
