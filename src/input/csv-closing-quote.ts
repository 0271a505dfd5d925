/**
 * Where a quoted CSV cell is closed before other text (`"a"b`, `"say "hi" to me"`): the offset of that
 * quote in the record's raw text, or -1 when there is none.
 *
 * The reader parses with csv-parse's `relax_quotes`, so that a quote inside an unquoted cell (`5" screen`)
 * is text, as Python's csv module and spreadsheets read it. That option also lets such a closing quote
 * through, taking the cell's quotes as text; but there the cell's quoting is broken and what it meant is
 * a guess, so the reader still makes it a malformed row. Comma-separated, `"` quoted, `""` escaped, as
 * the reader parses; a cell left open is csv-parse's own error.
 */
export function strayClosingQuote(raw: string): number {
  let at = 0;
  for (;;) {
    if (raw[at] === '"') {
      // A quoted cell: `""` is a quote in it; the closing quote must end the cell.
      let from = at + 1;
      for (;;) {
        const quote = raw.indexOf('"', from);
        if (quote < 0) return -1;
        const next = raw[quote + 1];
        if (next === '"') from = quote + 2;
        else if (next === undefined || next === ',' || next === '\n' || next === '\r') {
          at = quote + 1;
          break;
        } else return quote;
      }
    }
    // The rest of the cell is text up to the next comma (a quote in it included).
    const comma = raw.indexOf(',', at);
    if (comma < 0) return -1;
    at = comma + 1;
  }
}

/**
 * What is wrong with a record whose raw text (`raw`, starting on line `firstLine`) closes a quoted cell
 * before other text, in csv-parse's words for its own quoting errors; undefined when it does not.
 */
export function strayClosingQuoteProblem(raw: string, firstLine: number): string | undefined {
  const quote = raw.includes('"') ? strayClosingQuote(raw) : -1;
  if (quote < 0) return undefined;
  let line = firstLine;
  for (let i = raw.indexOf('\n'); i >= 0 && i < quote; i = raw.indexOf('\n', i + 1)) line++;
  const got = JSON.stringify(String.fromCodePoint(raw.codePointAt(quote + 1) ?? 0));
  return `Invalid Closing Quote: got ${got} at line ${line} instead of a comma or the line's end; a quote inside a quoted cell is written twice: ""`;
}
