import { UsageError } from '../errors.js';

/**
 * Refuses a key that cannot travel in an `Authorization: Bearer …` header, before anything is read or
 * sent: a key pasted with typographic quotes or read with a stray control character would otherwise
 * fail every request as a retried "connection" error (a header cannot carry it), never as a rejected
 * key. Only the position and the kind of character are said: no part of the key is ever printed.
 */
export function checkApiKey(key: string | undefined, from: string): void {
  if (key === undefined) return;
  let position = 0;
  for (const char of key) {
    position++;
    const code = char.codePointAt(0)!;
    // Visible ASCII: what every API key is made of, and what any header carries unchanged.
    if (code > 0x20 && code < 0x7f) continue;
    const { kind, hint } = describe(code);
    // A space does fit in a header, but no key has one: the server would only refuse it.
    const what = code === 0x20 || code === 0x09 ? 'a character no API key contains' : 'a character that cannot be sent in an HTTP header';
    throw new UsageError(
      `${from} has ${what}: ${kind} (U+${code.toString(16).toUpperCase().padStart(4, '0')}) at position ${position} of ${[...key].length}; ${hint} (the key is not shown)`,
    );
  }
}

function describe(code: number): { kind: string; hint: string } {
  if (code === 0x201c || code === 0x201d || code === 0x2018 || code === 0x2019 || code === 0x00ab || code === 0x00bb)
    return { kind: 'a typographic quote', hint: 'remove the quotes pasted with it (documents and chat apps turn straight quotes into curly ones)' };
  if (code === 0x0a || code === 0x0d)
    return { kind: 'a line break', hint: 'set it to the key alone, on one line (was a file with several lines, or with CRLF endings, read into it?)' };
  if (code === 0x09 || code === 0x20) return { kind: code === 0x09 ? 'a tab' : 'a space', hint: 'set it to the key alone (no "Bearer ", no second word)' };
  if (code < 0x20 || code === 0x7f) return { kind: 'a control character', hint: 'set it to the key alone, typed or pasted again' };
  if (code === 0xa0 || code === 0x200b || code === 0x200c || code === 0x200d || code === 0x2060 || code === 0xfeff)
    return { kind: 'an invisible space', hint: 'paste the key again from its source, or type it' };
  return { kind: 'a non-ASCII character', hint: 'API keys are plain ASCII: paste the key again from its source' };
}
