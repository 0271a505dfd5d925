import { TERMINAL_CONTROL } from '../ui/sanitize.js';

/**
 * An argument as a POSIX shell reads it back, safe to print on a terminal: plain words bare, others
 * in single quotes, and one with a control character (an escape sequence, a newline, a bidi control
 * that would reorder the line) in `$'…'` with the character escaped, so nothing reaches the terminal
 * as itself and the printed command pastes back to the same argument. Escapes are `\n`, `\t`, `\r`
 * and `\xHH` per UTF-8 byte (U+202E is `\xe2\x80\xae`): bash's `\u202E` comes back as those six
 * characters in a C locale, and POSIX's `$'…'` has no `\u`.
 */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  if (!TERMINAL_CONTROL.test(arg)) return `'${arg.replace(/'/g, `'\\''`)}'`;
  return `$'${Array.from(arg, escaped).join('')}'`;
}

const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** One character as it goes inside `$'…'`. */
function escaped(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  if (!TERMINAL_CONTROL.test(char)) return char;
  return Array.from(Buffer.from(char, 'utf8'), (byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
}
