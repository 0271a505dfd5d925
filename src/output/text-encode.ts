import type { ResultRow } from '../types.js';
import { oneLineId } from '../util/one-line.js';

/**
 * Human-readable output for terminals, pipes and .txt files; it cannot be read back. Layout:
 *
 *     [<id>] <response text, trailing whitespace trimmed>
 *     <blank line>
 *     [<id>] [error <type>] <message>
 *     <blank line>
 *
 * The `[<id>] ` prefix is left out when the id is empty; a line break or tab in the id is shown as
 * `\n` or `\t`, so the label stays on its line. Multi-line responses continue on the
 * following lines as they are; the blank line after each row is what separates rows.
 */
export function encodeTextRow(row: ResultRow): string {
  const prefix = row.id === '' ? '' : `[${oneLineId(row.id)}] `;
  const body = row.error === null ? (row.response ?? '').trimEnd() : `[error ${row.error.type}] ${row.error.message.trimEnd()}`;
  return `${prefix}${body}\n\n`;
}
