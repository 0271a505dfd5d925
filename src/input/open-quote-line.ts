/**
 * Where the quote that a CSV record leaves open to the end of the input opened: line breaks (CR or
 * LF, as csv-parse counts them; blank lines before the record skipped) before it in `raw`, the
 * record's text; undefined if no quote is left open. Quotes as csv-parse reads them with
 * `relax_quotes`: one opens a quoted cell only as the cell's first character, a doubled one inside
 * is text, and any other closes it. csv-parse's own "opening quote at line N" names the line it had
 * reached at the end of the input, not this one.
 */
export function openQuoteLine(raw: string, delimiter: string): number | undefined {
  const text = raw.replace(/^[\r\n]+/, '');
  let breaks = 0;
  let openedAt: number | undefined;
  let cellStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (openedAt !== undefined) {
      if (ch === '"') {
        if (text[i + 1] === '"') i++;
        else {
          openedAt = undefined;
          cellStart = false;
        }
      } else if (ch === '\n' || ch === '\r') breaks++;
      continue;
    }
    if (ch === '"' && cellStart) {
      openedAt = breaks;
      continue;
    }
    if (ch === '\n' || ch === '\r') {
      breaks++;
      cellStart = true;
    } else cellStart = text.startsWith(delimiter, i);
    if (cellStart && delimiter.length > 1) i += delimiter.length - 1;
  }
  return openedAt;
}

/** Our words for csv-parse's CSV_QUOTE_NOT_CLOSED: the line the quote opened on, and what it did. */
export const quoteLeftOpen = (line: number): string =>
  `a quote opened on line ${line} is never closed: the rest of the file was read into its cell; close it, or double the quotes inside a quoted cell`;
