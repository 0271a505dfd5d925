// The ESM build: the package's main is a UMD one that requires its parts by computed paths, which
// the bundle cannot follow.
import { parse, type ParseError } from 'jsonc-parser/lib/esm/main.js';

/**
 * Where JSON.parse stopped, as a line and column of `text`, and its reason without the place. V8
 * says "at position N" for most errors; for an unexpected token it quotes the text around it
 * instead ("Unexpected token ',', ..."p500",,\n"p5"... is not valid JSON": no position, and a
 * newline of the input in the message), so the place is asked of jsonc-parser's strict reading.
 * "Unexpected end of JSON input" is placed just after the text's last character that is not
 * white space: where a file cut short ends (it named no place, however long the file).
 */
export function jsonErrorPlace(text: string, err: Error): { line?: number; column?: number; reason: string } {
  const m = /position (\d+)/.exec(err.message);
  const quoted = /, (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/;
  const end = jsonTextEnd(text);
  const ended = /^Unexpected end of JSON input$/.test(err.message) && end > 0;
  const found = m ? Number(m[1]) : quoted.test(err.message) ? jsonSyntaxErrorOffset(text) : ended ? end : undefined;
  // A place past the last character that is not white space (after blank lines at the end: "Expected
  // ',' or ']' after array element") is where the text ends.
  const at = found === undefined ? undefined : Math.min(found, end);
  const reason = err.message.replace(/ (?:in JSON )?at position \d+.*$/, '').replace(quoted, '');
  if (at === undefined) return { reason };
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return { line, column, reason };
}

/**
 * `not valid JSON at line L column C (reason)` for a JSON file given by an option (`--json-schema`,
 * `--prices`), so an editor can jump there; ` (reason)` alone when JSON.parse names no place.
 */
export function notValidJson(text: string, err: Error): string {
  const { line, column, reason } = jsonErrorPlace(text, err);
  return line === undefined ? `not valid JSON (${reason})` : `not valid JSON at line ${line} column ${column} (${reason})`;
}

/**
 * The offset of the first thing in `text` that JSON does not allow there, as jsonc-parser reads it
 * with comments and trailing commas refused (plain JSON), or undefined when it finds none or only
 * an end that comes too soon (the end has no character to name).
 */
export function jsonSyntaxErrorOffset(text: string): number | undefined {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  return first === undefined || first.offset >= text.length ? undefined : first.offset;
}

/** Where `text` ends but for JSON's white space (space, tab, LF, CR; not U+00A0, which JSON refuses). */
function jsonTextEnd(text: string): number {
  let end = text.length;
  while (end > 0 && ' \t\n\r'.includes(text[end - 1]!)) end--;
  return end;
}
