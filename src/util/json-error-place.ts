/**
 * Where JSON.parse stopped, as a line and column of `text`, and its reason without the place. V8
 * says "at position N" for most errors; for an unexpected token it quotes the text around it
 * instead ("Unexpected token ',', ..."p500",,\n"p5"... is not valid JSON": no position, and a
 * newline of the input in the message), so the place is found by scanning the text. No place for
 * "Unexpected end of JSON input".
 */
export function jsonErrorPlace(text: string, err: Error): { line?: number; column?: number; reason: string } {
  const m = /position (\d+)/.exec(err.message);
  const quoted = /, (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/;
  const at = m ? Number(m[1]) : quoted.test(err.message) ? jsonSyntaxErrorOffset(text) : undefined;
  const reason = err.message.replace(/ (?:in JSON )?at position \d+.*$/, '').replace(quoted, '');
  if (at === undefined) return { reason };
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return { line, column, reason };
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const LITERALS = ['true', 'false', 'null'];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/**
 * The offset of the first character of `text` that JSON's grammar does not allow there, or
 * undefined when the text is valid JSON or just stops (the end has no character to name). Only
 * for error messages: iterative, so deep nesting does not overflow the stack.
 */
export function jsonSyntaxErrorOffset(text: string): number | undefined {
  let i = 0;
  const open: string[] = [];
  const skip = (): void => {
    while (i < text.length && WHITESPACE.has(text.charCodeAt(i))) i++;
  };
  const token = (pattern: RegExp): boolean => {
    pattern.lastIndex = i;
    if (!pattern.test(text)) return false;
    i = pattern.lastIndex;
    return true;
  };
  // A key and its colon, after `{` or a `,` in an object; false with i where they go wrong.
  const key = (): boolean => {
    skip();
    if (text[i] !== '"') return false;
    const closed = stringEnd(text, i);
    if (typeof closed !== 'number') {
      i = closed.bad ?? text.length;
      return false;
    }
    i = closed;
    skip();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  const end = (): number | undefined => (i < text.length ? i : undefined);
  for (;;) {
    // A value is expected at i.
    skip();
    const c = text[i];
    if (c === '[' || c === '{') {
      open.push(c === '[' ? ']' : '}');
      i++;
      skip();
      if (text[i] === open.at(-1)) {
        i++;
        open.pop();
      } else {
        if (c === '{' && !key()) return end();
        continue;
      }
    } else if (c === '"') {
      const closed = stringEnd(text, i);
      if (typeof closed !== 'number') return closed.bad;
      i = closed;
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      if (!token(NUMBER)) return end();
    } else {
      // As V8 reads `tru]`: the `]` is the unexpected token.
      const literal = LITERALS.find((word) => word[0] === c);
      if (literal === undefined) return end();
      for (const letter of literal) {
        if (text[i] !== letter) return end();
        i++;
      }
    }
    // After a value: a comma, the close of its container, or the end of the text.
    for (;;) {
      skip();
      if (open.length === 0) return end();
      if (text[i] === ',') {
        i++;
        if (open.at(-1) === '}' && !key()) return end();
        break;
      }
      if (text[i] !== open.at(-1)) return end();
      i++;
      open.pop();
    }
  }
}

/**
 * The offset just after the string that opens at `from`, or where it goes wrong: a control
 * character or a bad escape (undefined when it is not closed before the text ends).
 */
function stringEnd(text: string, from: number): number | { bad: number | undefined } {
  for (let i = from + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20) return { bad: i };
    if (code === 0x5c) {
      ESCAPE.lastIndex = i;
      if (!ESCAPE.test(text)) return { bad: i };
      i = ESCAPE.lastIndex - 1;
    }
  }
  return { bad: undefined };
}
