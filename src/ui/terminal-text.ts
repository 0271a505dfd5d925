/** Text for a terminal: width in columns, safe characters, and wrapping into whole rows. */

import stringWidth from 'string-width';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Code units segmented at once (see graphemes). */
const SEGMENT_SLICE = 2048;

/**
 * What the user sees as one character (a grapheme cluster: an emoji with its modifiers and joiners,
 * a letter with its combining marks), so a row is never cut inside one.
 */
export function* graphemes(text: string): Generator<string> {
  // Slice by slice: node 20's segmenter takes time that grows with the square of the text (a 200 KB
  // answer printed whole took 52 s, signals unheard). The last cluster of a slice may go on in the
  // next (a joiner, a combining mark, the other of a flag's two letters): it is held and segmented with it.
  // A slice never ends inside a surrogate pair: half a character is a cluster of its own, which
  // would let the one before it go out before what follows could join it.
  let held = '';
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + SEGMENT_SLICE, text.length);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end--;
    let last: string | undefined;
    for (const { segment } of segmenter.segment(held + text.slice(at, end))) {
      if (last !== undefined) yield last;
      last = segment;
    }
    held = last ?? '';
    at = end;
  }
  if (held) yield held;
}

/** Columns `text` takes (no escape codes expected): string-width's Unicode tables, not our own. */
export function textWidth(text: string): number {
  return stringWidth(text);
}

/**
 * Code units of `text` that truncate looks at: string-width slows down far more than linearly on a
 * long line that is not all ASCII (a header `── [id] ` before an 80,000-character prompt took over a
 * minute, blocking the event loop, Ctrl-C included). No terminal row needs more: even at one column
 * a character, combining marks and joiners included, a row of 120 fits many times over.
 */
const TRUNCATE_LOOK = 4096;

/** Cuts `text` to at most `width` columns, with an ellipsis when it had to cut. `measure`: for tests. */
export function truncate(text: string, width: number, measure: (text: string) => number = stringWidth): string {
  const head = text.length > TRUNCATE_LOOK ? text.slice(0, TRUNCATE_LOOK) : text;
  if (head === text && measure(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const g of graphemes(head)) {
    const w = measure(g);
    if (used + w > width - 1) break;
    out += g;
    used += w;
  }
  return `${out}…`;
}

export { sanitize } from '../util/sanitize.js';

/**
 * Turns streamed text into whole terminal rows: text comes out only up to a line end or, for a long
 * line, up to a word break that fills the width. So the cursor always rests at the start of a row,
 * and a status line or a message can be drawn between any two writes.
 */
export class RowWrapper {
  private row = '';
  private rowWidth = 0;
  /** The held row continues a soft-wrapped line: only such a row drops the spaces it starts with. */
  private continuation = false;

  constructor(private readonly columns: () => number) {}

  /** True when no partial row is held back. */
  get empty(): boolean {
    return this.row.length === 0;
  }

  /** Feeds text; returns the rows it completed, each ending in a newline ('' if none). */
  push(text: string): string {
    let out = '';
    const width = Math.max(10, this.columns());
    for (const ch of graphemes(text)) {
      if (ch === '\n') {
        out += `${this.row}\n`;
        this.row = '';
        this.rowWidth = 0;
        this.continuation = false;
        continue;
      }
      const piece = ch === '\t' ? ' '.repeat(4 - (this.rowWidth % 4)) : ch;
      const w = ch === '\t' ? piece.length : stringWidth(ch);
      if (this.rowWidth + w > width && this.row.length > 0) out += this.breakRow(width, ch === ' ' || ch === '\t');
      // A soft-wrapped row does not start with the space it broke at; a row after a newline keeps its
      // indentation (code, nested lists).
      if (this.row.length === 0 && this.continuation && ch === ' ') continue;
      this.row += piece;
      this.rowWidth += w;
    }
    return out;
  }

  /** Emits the row so far (ended with a newline); '' when there is none. */
  flush(): string {
    if (this.row.length === 0) return '';
    const out = `${this.row}\n`;
    this.row = '';
    this.rowWidth = 0;
    this.continuation = false;
    return out;
  }

  /**
   * Ends the held row so that the next character fits: at its last space in the second half of the
   * row when a word is still running (`nextIsSpace` false), else where the width runs out. Repeats
   * while the rest is still too wide (the terminal may have shrunk).
   */
  private breakRow(width: number, nextIsSpace: boolean): string {
    let out = '';
    do {
      let cut = 0;
      let used = 0;
      let space = -1;
      for (const ch of graphemes(this.row)) {
        const w = stringWidth(ch);
        if (used + w > width) break;
        if (ch === ' ' && used > width / 2) space = cut;
        used += w;
        cut += ch.length;
      }
      const wholeRowFits = cut >= this.row.length;
      if (!(wholeRowFits && nextIsSpace) && space > 0) cut = space;
      out += `${this.row.slice(0, cut).trimEnd()}\n`;
      this.row = this.row.slice(cut).replace(/^ +/, '');
      this.rowWidth = textWidth(this.row);
      this.continuation = true;
    } while (this.row.length > 0 && this.rowWidth > width);
    return out;
  }
}

/** `text` in rows of at most `width` columns, broken as RowWrapper breaks them; no newline after the last. */
export function wrapRows(text: string, width: number): string {
  const wrapper = new RowWrapper(() => width);
  return (wrapper.push(text) + wrapper.flush()).replace(/\n$/, '');
}
