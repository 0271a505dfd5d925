import { UsageError } from '../errors.js';

/**
 * Refuses a key that cannot travel in an `Authorization: Bearer …` header, before anything is read or
 * sent: a key pasted with typographic quotes or read with a stray control character would otherwise
 * fail every request as a retried "connection" error (a header cannot carry it), never as a rejected
 * key. Only the position and the kind of character are said: no part of the key is ever printed.
 */
export function checkApiKey(key: string | undefined, from: string): void {
  if (key !== undefined) checkHeaderValue(key, from, 'key');
}

/**
 * The variables whose values every request carries as headers besides the key: `OpenAI-Organization`
 * and `OpenAI-Project` (chat-target.ts; the SDK of the Batch API reads them too). Pasted with smart
 * quotes or a line break, they failed every request as a retried "connection" error, as a bad key did.
 */
const HEADER_VARIABLES = ['OPENAI_ORG_ID', 'OPENAI_PROJECT_ID'] as const;

/** Refuses an OPENAI_ORG_ID or OPENAI_PROJECT_ID that cannot travel in a header, as checkApiKey does a key. */
export function checkHeaderVariables(env: NodeJS.ProcessEnv): void {
  for (const name of HEADER_VARIABLES) {
    // Blank is unset (trimmed, as chat-target.ts and the SDK read it).
    const value = env[name]?.trim();
    if (value) checkHeaderValue(value, name, 'ID');
  }
}

function checkHeaderValue(value: string, from: string, noun: 'key' | 'ID'): void {
  let position = 0;
  for (const char of value) {
    position++;
    const code = char.codePointAt(0)!;
    // Visible ASCII: what every API key and ID is made of, and what any header carries unchanged.
    if (code > 0x20 && code < 0x7f) continue;
    const { kind, hint } = describe(code, noun);
    // A space does fit in a header, but no key or ID has one: the server would only refuse it.
    const what =
      code === 0x20 || code === 0x09
        ? `a character no ${noun === 'key' ? 'API key' : 'OpenAI ID'} contains`
        : 'a character that cannot be sent in an HTTP header';
    throw new UsageError(
      `${from} has ${what}: ${kind} (U+${code.toString(16).toUpperCase().padStart(4, '0')}) at position ${position} of ${[...value].length}; ${hint} (the ${noun === 'key' ? 'key' : 'value'} is not shown)`,
    );
  }
}

function describe(code: number, noun: 'key' | 'ID'): { kind: string; hint: string } {
  if (code === 0x201c || code === 0x201d || code === 0x2018 || code === 0x2019 || code === 0x00ab || code === 0x00bb)
    return { kind: 'a typographic quote', hint: 'remove the quotes pasted with it (documents and chat apps turn straight quotes into curly ones)' };
  if (code === 0x0a || code === 0x0d)
    return { kind: 'a line break', hint: `set it to the ${noun} alone, on one line (was a file with several lines, or with CRLF endings, read into it?)` };
  if (code === 0x09 || code === 0x20)
    return { kind: code === 0x09 ? 'a tab' : 'a space', hint: `set it to the ${noun} alone (${noun === 'key' ? 'no "Bearer ", ' : ''}no second word)` };
  if (code < 0x20 || code === 0x7f) return { kind: 'a control character', hint: `set it to the ${noun} alone, typed or pasted again` };
  if (code === 0xa0 || code === 0x200b || code === 0x200c || code === 0x200d || code === 0x2060 || code === 0xfeff)
    return { kind: 'an invisible space', hint: `paste the ${noun} again from its source, or type it` };
  return { kind: 'a non-ASCII character', hint: `${noun === 'key' ? 'API keys' : 'IDs'} are plain ASCII: paste the ${noun} again from its source` };
}
