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
 * A single line longer than this is almost certainly the wrong file (a binary, or one long JSON
 * document read as lines); failing clearly beats exhausting memory or V8's string limit.
 */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

/** The error for line `line` of `source` longer than `max` characters. */
export function lineTooLong(source: string, line: number, max = MAX_LINE_CHARS): InputError {
  return new InputError(`${source}:${line}: line is longer than ${max} characters; is this the right file and format?`);
}

/**
 * Splits a byte/text stream into lines, lazily: the next chunk is pulled only when the lines of the
 * current one have been consumed, so memory is bounded by one chunk plus one line whatever the file size.
 * UTF-8 is decoded incrementally (a character split across chunks is fine; invalid bytes become U+FFFD
 * rather than failing a long run half-way). A BOM starting a line is dropped (the file's, or one in the
 * middle of files joined by `cat`). The file's head says how its lines end (see lineBreaksOf): `\n`
 * (a `\r` before it is removed, so CRLF and LF files give identical lines and fallback ids; a lone `\r`
 * inside a line is text), or, in a classic Mac file, a lone `\r`: its lines end at every `\r`, `\r\n` or `\n`.
 */
export async function* readLines(input: InputSource, source: string): AsyncGenerator<Line> {
  for await (const lines of readLineBatches(input, source)) for (const line of lines) yield line;
}

/**
 * {@link readLines} a chunk at a time: the lines each chunk completes, in one array. Every line an
 * async generator hands on is a promise or more (three through `yield*` of a generator): the readers
 * take a chunk's lines for one (issue 16: 32.7 → 26.8 promises a prompt of a text run). Lines before
 * a failure (a line too long) come out before it, as they would one by one.
 */
export async function* readLineBatches(input: InputSource, source: string): AsyncGenerator<Line[]> {
  // ignoreBOM keeps the BOM in the output so that string and Buffer chunks are handled by the same code below.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let pending: string[] = [];
  let pendingChars = 0;
  let lineNo = 0;
  /** Undecided until the head tells (see lineBreaksOf); the text read until then is held in `head`. */
  let breaks: 'lf' | 'cr' | undefined;
  const sniff = new LineBreakSniffer();
  let head: string[] = [];
  let headChars = 0;
  /** CR mode: the last chunk ended in `\r`, so a `\n` starting the next one is part of that break. */
  let skipLF = false;

  /** The line held so far, ending with `piece`, without a BOM: the file's, or one `cat a b` left in the middle. */
  const take = (piece: string): string => {
    const whole = pending.length === 0 ? piece : pending.join('') + piece;
    pending = [];
    pendingChars = 0;
    return whole.charCodeAt(0) === 0xfeff ? whole.slice(1) : whole;
  };

  function hold(text: string, from: number): void {
    if (from >= text.length) return;
    pending.push(from === 0 ? text : text.slice(from));
    pendingChars += text.length - from;
    if (pendingChars > MAX_LINE_CHARS) throw lineTooLong(source, lineNo + 1);
  }

  /** Adds the lines `chunk` completes to `out`. */
  function split(chunk: string, final: boolean, out: Line[]): void {
    let text = chunk;
    if (breaks === undefined) {
      breaks = sniff.feed(text, final);
      if (breaks === undefined) {
        head.push(text);
        headChars += text.length;
        if (headChars > MAX_LINE_CHARS) throw lineTooLong(source, 1);
        return;
      }
      if (head.length > 0) {
        text = head.join('') + text;
        head = [];
      }
    }
    if (breaks === 'lf') {
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        // A line whole in one chunk is measured too: a file's first line comes in one (decodeInput holds it).
        if (pendingChars + nl - from > MAX_LINE_CHARS) throw lineTooLong(source, lineNo + 1);
        const whole = take(text.slice(from, nl));
        from = nl + 1;
        out.push({ line: ++lineNo, text: stripCR(whole) });
      }
      hold(text, from);
      return;
    }
    let from = 0;
    if (skipLF && text.length > 0) {
      skipLF = false;
      if (text.charCodeAt(0) === 0x0a) from = 1;
    }
    const BREAK = /[\r\n]/g;
    BREAK.lastIndex = from;
    for (let m = BREAK.exec(text); m !== null; m = BREAK.exec(text)) {
      const at = m.index;
      if (pendingChars + at - from > MAX_LINE_CHARS) throw lineTooLong(source, lineNo + 1);
      out.push({ line: ++lineNo, text: take(text.slice(from, at)) });
      from = at + 1;
      if (text.charCodeAt(at) === 0x0d) {
        if (from === text.length) skipLF = true;
        else if (text.charCodeAt(from) === 0x0a) from++;
      }
      BREAK.lastIndex = from;
    }
    hold(text, from);
  }

  /** The lines `chunk` completes, and the failure that stopped it, if one did. */
  const linesOf = (chunk: string, final: boolean): { lines: Line[]; failure?: { error: unknown } } => {
    const lines: Line[] = [];
    try {
      split(chunk, final, lines);
      return { lines };
    } catch (error) {
      return { lines, failure: { error } };
    }
  };

  const chunks = guardSource<string | Buffer>(input, source)[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      let next: IteratorResult<string | Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        done = true;
        // A source that stops (a bad byte, a read error) ends the text it gave: its whole lines come out first.
        if (breaks === undefined && head.length > 0) {
          breaks = sniff.feed('', true);
          const text = head.join('');
          head = [];
          const { lines, failure } = linesOf(text, false);
          if (lines.length > 0) yield lines;
          if (failure) throw failure.error;
        }
        throw err;
      }
      if (next.done) {
        done = true;
        break;
      }
      const chunk = next.value;
      const { lines, failure } = linesOf(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }), false);
      if (lines.length > 0) yield lines;
      if (failure) throw failure.error;
    }
  } finally {
    // Stopped early by the consumer (or failed): let the source close its file.
    if (!done) await chunks.return?.(undefined);
  }
  const { lines, failure } = linesOf(decoder.decode(), true);
  if (pending.length > 0 && !failure) lines.push({ line: ++lineNo, text: stripCR(take('')) });
  if (lines.length > 0) yield lines;
  if (failure) throw failure.error;
}

/** How many characters of a file's head decide its line breaks (see lineBreaksOf): its first chunk's worth. */
export const LINE_BREAKS_HEAD_CHARS = 64 * 1024;

/**
 * How the lines of a file starting with `head` end (`whole`: nothing follows): `cr` (a classic Mac
 * file) when its first `\r` is followed by LINE_BREAKS_HEAD_CHARS characters (or the end) with no
 * `\n`, `lf` otherwise, so that a lone `\r` in an LF file stays text wherever it is. Undefined
 * while `head` is too short to tell: up to twice LINE_BREAKS_HEAD_CHARS characters.
 */
export function lineBreaksOf(head: string, whole: boolean): 'lf' | 'cr' | undefined {
  return decideBreaks(head.length, head.indexOf('\r'), head.indexOf('\n'), whole);
}

/**
 * lineBreaksOf for a head that comes in pieces, each a string or UTF-8 bytes (counted in UTF-16 code
 * units, as the decoded string would be): `feed` answers once the head tells.
 */
export class LineBreakSniffer {
  private length = 0;
  private cr = -1;
  private decided: 'lf' | 'cr' | undefined;

  /** Characters fed before the first `\n`: while undecided, all of the first line so far. */
  get firstLineChars(): number {
    return this.length;
  }

  feed(text: string | Uint8Array, whole: boolean): 'lf' | 'cr' | undefined {
    if (this.decided !== undefined) return this.decided;
    const str = typeof text === 'string';
    const lfAt = str ? text.indexOf('\n') : text.indexOf(0x0a);
    if (this.cr === -1) {
      const crAt = str ? text.indexOf('\r') : text.indexOf(0x0d);
      if (crAt !== -1) this.cr = this.length + units(text, crAt);
    }
    const lf = lfAt === -1 ? -1 : this.length + units(text, lfAt);
    // A `\n` decides without the head's length: bytes are not counted past it (a loop over the
    // whole first chunk, which V8 compiled in every run of a file's prompts, issue 16).
    if (lf === -1) this.length += units(text, text.length);
    this.decided = decideBreaks(this.length, this.cr, lf, whole);
    return this.decided;
  }
}

/** UTF-16 code units in the first `end` characters of `text` (a string, or UTF-8 bytes). */
function units(text: string | Uint8Array, end: number): number {
  if (typeof text === 'string') return end;
  let n = 0;
  for (let i = 0; i < end; i++) {
    const b = text[i]!;
    // A lead or ASCII byte starts a character; one of four bytes is two code units.
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}

/**
 * lineBreaksOf, from the positions of the first `\r` and `\n` (-1: none) in the first `length`
 * characters. A classic Mac file is one whose first CR is followed by LINE_BREAKS_HEAD_CHARS
 * characters (or the end) without an LF. Counted from the start instead, an LF file whose first
 * line held a lone CR past 64K characters was split at it, and every later line and id shifted by one.
 */
function decideBreaks(length: number, cr: number, lf: number, whole: boolean): 'lf' | 'cr' | undefined {
  if (cr === -1) return lf !== -1 || whole ? 'lf' : undefined;
  // The CR of a CRLF (lf = cr + 1), or one after the first LF, is an LF file's, however long its first line is.
  if (lf !== -1) return lf - cr > LINE_BREAKS_HEAD_CHARS ? 'cr' : 'lf';
  return whole || length - cr > LINE_BREAKS_HEAD_CHARS ? 'cr' : undefined;
}

function stripCR(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
