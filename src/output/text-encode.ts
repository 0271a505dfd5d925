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
 * In a run with several models or --repeat the label is `[<id> · <model>]` (`… #2` for a second
 * sample on), as on the terminal: the id alone does not tell those answers apart. The `[<id>] `
 * prefix is left out when the id is empty; a line break or tab in the id is shown as
 * `\n` or `\t`, so the label stays on its line. Multi-line responses continue on the
 * following lines as they are; the blank line after each row is what separates rows.
 */
export function encodeTextRow(row: ResultRow): string {
  const label = answerLabel(row.id, matrixCell(row));
  const prefix = label === '' ? '' : `[${oneLineId(label)}] `;
  const body = row.error === null ? (row.response ?? '').trimEnd() : `[error ${row.error.type}] ${row.error.message.trimEnd()}`;
  return `${prefix}${body}\n\n`;
}

/** Which answer to its prompt a row is, in a run with several models or --repeat (it has `sample` then). */
export function matrixCell(row: Pick<ResultRow, 'sample' | 'requested_model'>): { model: string; sample: number } | undefined {
  return row.sample !== undefined ? { model: row.requested_model ?? '', sample: row.sample } : undefined;
}

/** `1-ab12cd34`, or in a run with several models or --repeat `1-ab12cd34 · gpt-4o` (`… #2` for the second sample on). */
export function answerLabel(id: string, cell: { model: string; sample: number } | undefined): string {
  if (!cell) return id;
  return `${id} · ${cell.model}${cell.sample > 0 ? ` #${cell.sample + 1}` : ''}`;
}
