import { InputError } from '../errors.js';
import { isPlainObject } from '../util/is-plain-object.js';
import { templateFields } from './template.js';

/** How far a JSONL read looks ahead for a template field its first rows lack (rows, and characters). */
export const READ_AHEAD_ROWS = 1000;
const READ_AHEAD_CHARS = 8 * 1024 * 1024;
/** Field names shown in the refusal, at most. */
const SHOW_FIELDS = 20;

/**
 * A JSONL file has no header to check a template against, and its rows may be sparse: a field
 * absent from row 1 can be in row 2, and a row without it is that row's own `input` error. A field
 * that no row has is a typo that would fail every row, one stderr line each. So the reader holds
 * back the first rows until every template field has been seen (row 1 usually has them all: no
 * delay), and refuses up front only a field that none of them has, within a bounded read-ahead.
 * Rows with `messages` and Batch API lines carry their prompt otherwise: a first such row ends the scan.
 */
export class JsonlTemplateScan {
  private readonly wanted: Set<string>;
  private readonly keys = new Set<string>();
  private rows = 0;
  private chars = 0;
  private firstLine: number | undefined;

  constructor(
    template: string,
    private readonly source: string,
  ) {
    this.wanted = new Set(templateFields(template));
  }

  /** Looks at one non-blank line; true once no more rows are needed (throws when the read-ahead is spent). */
  see(text: string, line: number): boolean {
    this.rows++;
    this.chars += text.length;
    const row = parseObject(text);
    if (row && this.firstLine === undefined && (isBatchLine(row) || (row['messages'] !== undefined && row['messages'] !== null))) return true;
    if (row && !isBatchLine(row)) {
      this.firstLine ??= line;
      for (const key of Object.keys(row)) {
        this.keys.add(key);
        this.wanted.delete(key);
      }
    }
    if (this.wanted.size === 0) return true;
    if (this.rows >= READ_AHEAD_ROWS || this.chars >= READ_AHEAD_CHARS) this.refuse(false);
    return false;
  }

  /** At the end of an input shorter than the read-ahead: refuses a field that none of its rows has. */
  finish(): void {
    if (this.wanted.size > 0 && this.firstLine !== undefined) this.refuse(true);
  }

  private refuse(ended: boolean): never {
    const rows = this.rows.toLocaleString('en-US');
    const where = this.rows === 1 ? 'its one row has' : ended ? `none of the ${rows} rows has` : `none of the first ${rows} rows has`;
    const names = [...this.keys];
    const fields =
      names.length === 0
        ? '(none)'
        : names
            .slice(0, SHOW_FIELDS)
            .map((f) => JSON.stringify(f))
            .join(', ') + (names.length > SHOW_FIELDS ? ', …' : '');
    const used = [...this.wanted].map((n) => `{{${n}}}`).join(', ');
    throw new InputError(`${this.source}:${this.firstLine ?? 1}: --template uses ${used} but ${where} such a field (fields: ${fields})`);
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Batch API lines are recognised by a `body` next to any of the request envelope keys. */
function isBatchLine(row: Record<string, unknown>): boolean {
  return 'body' in row && ('custom_id' in row || 'url' in row || 'method' in row);
}
