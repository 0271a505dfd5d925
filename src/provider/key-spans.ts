import { keyForms } from '../redact.js';

/** What stands where a span was taken out. */
export const REDACTED = '[redacted]';

/**
 * Where the key stands in `text`, occurrence by occurrence: `[from, to)` each. In any form the
 * redactor takes it in (`%73k-…`, `\u0073…`, a hex key upper-cased): a server that writes it so
 * writes it so over several events too.
 */
export function keySpans(text: string, key: string): Array<[number, number]> {
  const forms = formsOf(key);
  if (!forms) return literalSpans(text, key);
  const spans: Array<[number, number]> = [];
  for (const m of text.matchAll(forms.whole)) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

function literalSpans(text: string, key: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + key.length)) spans.push([at, at + key.length]);
  return spans;
}

/** Whether `text` holds the key whole, in any form. */
export function holdsKey(text: string, key: string): boolean {
  const forms = formsOf(key);
  return forms ? text.search(forms.whole) >= 0 : text.includes(key);
}

/** The key's forms, made once per key (a run has one or two). */
const made = new Map<string, ReturnType<typeof keyForms>>();
function formsOf(key: string): ReturnType<typeof keyForms> {
  if (!made.has(key)) made.set(key, keyForms(key));
  return made.get(key);
}

/**
 * The piece `joined[start, end)` of a text made of pieces (tokens, streamed events), with the parts
 * in `spans` (those overlapping it, in order) taken out and `[redacted]` where a span starts: the
 * pieces so rewritten join into the text with each span as `[redacted]`.
 */
export function withoutSpans(joined: string, start: number, end: number, spans: ReadonlyArray<readonly [number, number]>): string {
  let out = '';
  let at = start;
  for (const [from, to] of spans) {
    if (from > at) out += joined.slice(at, from);
    if (from >= start) out += REDACTED;
    at = Math.max(at, to);
  }
  return at < end ? out + joined.slice(at, end) : out;
}

/** What may begin an escaped character: `\u0073`, `%73`, `&#115;`. */
const INTRODUCERS = '\\%&';

/** An escape is at most about this long (`&#x00073;`), zeros and backslashes aside: the window looked at is this per character. */
const ESCAPE_MAX = 12;

/**
 * The length of the longest end of `text` that may be the start of `key`, in any of its forms (the
 * whole key not counted): text to hold until more comes, an escape of its next character cut short
 * at the very end (`%6`) too. With no key's first character or escape near the end, a few `indexOf`s.
 */
export function keyStartAtEnd(text: string, key: string): number {
  const forms = formsOf(key);
  if (!forms) return literalStartAtEnd(text, key);
  const from = Math.max(0, text.length - key.length * ESCAPE_MAX);
  const starts: number[] = [];
  for (const c of new Set([key[0]!, key[0]!.toLowerCase(), key[0]!.toUpperCase(), ...INTRODUCERS])) {
    for (let at = text.indexOf(c, from); at >= 0; at = text.indexOf(c, at + 1)) starts.push(at);
  }
  starts.sort((a, b) => a - b);
  for (const start of starts) if (startsKey(text, start, forms)) return text.length - start;
  return 0;
}

/** Whether `text` from `start` to its end is the key's first characters, an escape of the next maybe cut short after them. */
function startsKey(text: string, start: number, forms: NonNullable<ReturnType<typeof keyForms>>): boolean {
  let at = start;
  for (const [index, char] of forms.chars.entries()) {
    if (at === text.length) return true;
    char.lastIndex = at;
    const m = char.exec(text);
    if (m) {
      at += m[0].length;
      continue;
    }
    return text.length - at <= ESCAPE_MAX && forms.cutShort(text.slice(at), index);
  }
  return false;
}

function literalStartAtEnd(text: string, key: string): number {
  for (let at = text.indexOf(key[0]!, Math.max(0, text.length - key.length + 1)); at >= 0; at = text.indexOf(key[0]!, at + 1)) {
    if (key.startsWith(text.slice(at))) return text.length - at;
  }
  return 0;
}
