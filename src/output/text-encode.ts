import type { ResultRow } from '../types.js';

/**
 * Human-readable output for terminals, pipes and .txt files; it cannot be read back. Layout:
 *
 *     [<id>] <response text, trailing whitespace trimmed>
 *     <blank line>
 *     [<id>] [error <type>] <message>
 *     <blank line>
 *
 * The `[<id>] ` prefix is left out when the id is empty. Multi-line responses continue on the
 * following lines as they are; the blank line after each row is what separates rows.
 */
export function encodeTextRow(row: ResultRow): string {
  const prefix = row.id === '' ? '' : `[${row.id}] `;
  const body = row.error === null ? (row.response ?? '').trimEnd() : `[error ${row.error.type}] ${row.error.message.trimEnd()}`;
  return `${prefix}${body}\n\n`;
}
