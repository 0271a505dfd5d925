import { InputError } from '../errors.js';
import type { InputSource } from './input-options.js';
import { guardSource } from './source.js';

/** One physical line of the input, without its terminator (`\n` or `\r\n`). */
export interface Line {
  /** 1-based; every physical line counts, blank ones too. */
  line: number;
  text: string;
}

/**
 * A single line longer than this is almost certainly the wrong file (a binary, or a CSV with `\r`-only
 * endings read as text); failing clearly beats exhausting memory or V8's string limit.
 */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

/**
 * Splits a byte/text stream into lines, lazily: the next chunk is pulled only when the lines of the
 * current one have been consumed, so memory is bounded by one chunk plus one line whatever the file size.
 * UTF-8 is decoded incrementally (a character split across chunks is fine; invalid bytes become U+FFFD
 * rather than failing a long run half-way). A leading BOM is dropped. Only `\n` ends a line; a `\r`
 * before it is removed, so CRLF and LF files give identical lines (and identical fallback ids).
 */
export async function* readLines(input: InputSource, source: string): AsyncGenerator<Line> {
  // ignoreBOM keeps the BOM in the output so that string and Buffer chunks are handled by the same code below.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let pending: string[] = [];
  let pendingChars = 0;
  let lineNo = 0;
  let atStart = true;

  function* split(text: string): Generator<Line> {
    if (atStart && text.length > 0) {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      const piece = text.slice(from, nl);
      const whole = pending.length === 0 ? piece : pending.join('') + piece;
      pending = [];
      pendingChars = 0;
      from = nl + 1;
      yield { line: ++lineNo, text: stripCR(whole) };
    }
    if (from < text.length) {
      pending.push(from === 0 ? text : text.slice(from));
      pendingChars += text.length - from;
      if (pendingChars > MAX_LINE_CHARS) {
        throw new InputError(`${source}:${lineNo + 1}: line is longer than ${MAX_LINE_CHARS} characters; is this the right file and format?`);
      }
    }
  }

  for await (const chunk of guardSource<string | Buffer>(input, source)) {
    yield* split(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  yield* split(decoder.decode());
  if (pending.length > 0) yield { line: ++lineNo, text: stripCR(pending.join('')) };
}

function stripCR(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
