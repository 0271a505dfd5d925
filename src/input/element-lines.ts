import type { ElementLineFinder } from '../types.js';

const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/**
 * The file line each element of a `.json` array begins on. A record's `line` is its position in the
 * array (ids and resume keys are made of it), but a message names the line an editor jumps to.
 * JSON.parse says nowhere where an element was, so the text is scanned, only as far as a message
 * asks and once: a file without a bad element is not scanned (200,000 elements, 55 MB pretty-printed:
 * ~60 ms, where reading them takes ~0.85 s). `text` is an array JSON.parse took: a string in it
 * holds no raw newline.
 */
export class ElementLines implements ElementLineFinder {
  /** Found so far: the line of element i + 1. */
  private readonly lines: number[] = [];
  /** Where the scan goes on, the line it is on there, and the nesting of the element it is in. */
  private at: number;
  private line: number;
  private depth = 0;
  /** The next character that is not a blank begins an element. */
  private expect = true;

  constructor(private readonly text: string) {
    const open = Math.max(text.indexOf('['), 0);
    this.at = open + 1;
    this.line = text.slice(0, open).split('\n').length;
  }

  /** The file line element `position` (1-based) begins on. */
  lineOf(position: number): number {
    const { text, lines } = this;
    let { at, line, depth, expect } = this;
    for (; lines.length < position && at < text.length; at++) {
      const c = text.charCodeAt(at);
      if (c === NL) line++;
      else if (c !== SPACE && c !== TAB && c !== CR) {
        if (expect) {
          if (c === CLOSE_BRACKET) break; // `[]`, or past the last element
          lines.push(line);
          expect = false;
        }
        if (c === QUOTE) at = stringEnd(text, at);
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
        else if (c === COMMA && depth === 0) expect = true;
      }
    }
    this.at = at;
    this.line = line;
    this.depth = depth;
    this.expect = expect;
    return lines[position - 1] ?? line;
  }
}

/** The closing quote of the JSON string that opens at `open`. */
function stringEnd(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    let escapes = 0;
    while (text.charCodeAt(at - 1 - escapes) === BACKSLASH) escapes++;
    if (escapes % 2 === 0) return at;
  }
}

/**
 * What a message says a record is: `file:line`, or for a `.json` element `file:6: element 2` (6: the
 * line it begins on). Only the reader's own finder is asked (a library caller's record is data).
 */
export function placeOf(at: { source: string; line: number; elementLines?: ElementLineFinder }): string {
  const { source, line, elementLines } = at;
  return elementLines instanceof ElementLines ? `${source}:${elementLines.lineOf(line)}: element ${line}` : `${source}:${line}`;
}

/** Another record of a `.json` input, as a message names it: `element 3 at line 9`; undefined for other inputs. */
export function elementAt(line: number, elementLines: ElementLineFinder | undefined): string | undefined {
  return elementLines instanceof ElementLines ? `element ${line} at line ${elementLines.lineOf(line)}` : undefined;
}
