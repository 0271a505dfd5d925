import { textChars, type ReportRow } from './report-row.js';
import { TABLE_COLUMNS, type OutputField, type TableData } from './report-data.js';
import { fieldText } from './build-output-fields.js';

/**
 * Beyond these, the table holds a sample (figures and charts still use every row). 200,000 rows
 * keep the page's parse, search and sort well under a second; 100 million characters of prompt and
 * answer text keep the file one that a browser opens.
 */
export const TABLE_LIMIT_ROWS = 200_000;
export const TABLE_LIMIT_CHARS = 100_000_000;

const textSize = textChars;

/**
 * Which rows the table shows: all of them when within the limits; else every failed row (up to half
 * the budget, they are what one looks for) and an evenly spread sample of the rest, in file order.
 */
export function pickTableRows(
  rows: readonly ReportRow[],
  limitRows = TABLE_LIMIT_ROWS,
  limitChars = TABLE_LIMIT_CHARS,
): { picked: ReportRow[]; sampled: boolean } {
  let chars = 0;
  for (const r of rows) chars += textSize(r);
  if (rows.length <= limitRows && chars <= limitChars) return { picked: [...rows], sampled: false };
  const share = Math.min(1, limitRows / rows.length, limitChars / Math.max(1, chars));
  const keep = new Uint8Array(rows.length);
  let keptRows = 0,
    keptChars = 0;
  rows.forEach((r, i) => {
    if (r.errorType !== null && keptRows < limitRows / 2 && keptChars + textSize(r) <= limitChars / 2) {
      keep[i] = 1;
      keptRows++;
      keptChars += textSize(r);
    }
  });
  // Even spacing over the rest: row i is kept when the running share crosses an integer.
  let acc = 0;
  rows.forEach((r, i) => {
    if (keep[i]) return;
    acc += share;
    if (acc >= 1 - 1e-9 && keptRows < limitRows && keptChars + textSize(r) <= limitChars) {
      acc -= 1;
      keep[i] = 1;
      keptRows++;
      keptChars += textSize(r);
    }
  });
  return { picked: rows.filter((_, i) => keep[i] === 1), sampled: true };
}

/** Puts the full texts back into slim rows (a second read of the file); returns the rows to show. */
export type LoadTexts = (picked: ReportRow[]) => Promise<ReportRow[]>;

/** The table's rows as arrays in {@link TABLE_COLUMNS} order; output values aligned to `fields`. */
export async function buildTable(
  rows: readonly ReportRow[],
  fields: readonly OutputField[],
  limits?: { rows: number; chars: number },
  loadTexts?: LoadTexts,
): Promise<TableData> {
  const limitRows = limits?.rows ?? TABLE_LIMIT_ROWS;
  const limitChars = limits?.chars ?? TABLE_LIMIT_CHARS;
  const chosen = pickTableRows(rows, limitRows, limitChars);
  const sampled = chosen.sampled;
  const picked = loadTexts ? await loadTexts(chosen.picked) : chosen.picked;
  const out = picked.map((r) => [
    r.line,
    r.id,
    r.errorType ?? '',
    r.model ?? '',
    r.sample,
    r.latencyMs,
    r.promptTokens,
    r.completionTokens,
    r.attempts,
    r.prompt,
    r.response,
    r.errorMessage,
    r.finishReason,
    r.startedMs,
    r.cached ? 1 : 0,
    // Own keys only: a row without `__proto__` or `constructor` has nothing in that column (not `{}`).
    fields.length && r.output ? fields.map((f) => fieldText(Object.hasOwn(r.output!, f.property) ? r.output![f.property] : undefined)) : null,
    // Errors are grouped by it too: a group's rows are its status's only (see filterErrorGroup).
    r.errorStatus,
  ]);
  return { columns: TABLE_COLUMNS, rows: out, total: rows.length, sampled, limitRows, limitChars };
}
