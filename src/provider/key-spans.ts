/** What stands where a span was taken out. */
export const REDACTED = '[redacted]';

/** Where the key itself stands in `text`, occurrence by occurrence: `[from, to)` each. */
export function keySpans(text: string, key: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + key.length)) spans.push([at, at + key.length]);
  return spans;
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

/** The length of the longest end of `text` that is the start of `key` (the whole key not counted): text to hold until more comes. */
export function keyStartAtEnd(text: string, key: string): number {
  for (let at = text.indexOf(key[0]!, Math.max(0, text.length - key.length + 1)); at >= 0; at = text.indexOf(key[0]!, at + 1)) {
    if (key.startsWith(text.slice(at))) return text.length - at;
  }
  return 0;
}
