import { TERMINAL_CONTROL } from '../util/sanitize.js';

/**
 * An argument as a POSIX shell reads it back, safe to print on a terminal: plain words bare, others
 * in single quotes, a newline or a tab in them too (POSIX's `'…'` holds both, and dash, which is
 * /bin/sh on Debian and Ubuntu, knows no `$'…'`). One with any other control character (an escape
 * sequence, a CR, a bidi control that would reorder the line) goes in `$'…'` with the character
 * escaped, so nothing reaches the terminal as itself and the printed command pastes back to the same
 * argument in bash, zsh and ksh. Escapes are `\n`, `\t`, `\r` and `\xHH` per UTF-8 byte (U+202E is
 * `\xe2\x80\xae`): bash's `\u202E` comes back as those six characters in a C locale, and POSIX's
 * `$'…'` has no `\u`.
 */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  if (!Array.from(arg).some(needsEscape)) return `'${arg.replace(/'/g, `'\\''`)}'`;
  return `$'${Array.from(arg, escaped).join('')}'`;
}

/** A character plain single quotes cannot show safely: a terminal control other than newline and tab. */
const needsEscape = (char: string): boolean => char !== '\n' && char !== '\t' && TERMINAL_CONTROL.test(char);

const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** One character as it goes inside `$'…'`. */
function escaped(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  if (!TERMINAL_CONTROL.test(char)) return char;
  return Array.from(Buffer.from(char, 'utf8'), (byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
}
