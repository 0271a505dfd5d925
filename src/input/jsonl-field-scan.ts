import { InputError } from '../errors.js';
import { isPlainObject } from '../util/is-plain-object.js';
import { groupDigits } from '../util/group-digits.js';

/** How far a JSONL read looks ahead for a field its first rows lack (rows, and characters). */
export const READ_AHEAD_ROWS = 1000;
const READ_AHEAD_CHARS = 8 * 1024 * 1024;
/** Field names shown in a refusal, at most. */
const SHOW_FIELDS = 20;

/** What a scan has seen when it refuses: where, how much, and which fields. */
export interface ScanSeen {
  /** Line of the first object row (where the refusal points). */
  line: number;
  /** The first object row, for a suggestion. */
  first: Record<string, unknown>;
  /** Says that no row read has a field: `its one row has no …`, `none of the 3 rows has a …`. */
  noRowHas(field: { no: string; a: string }): string;
  /** The fields seen, quoted and comma-separated, or `(none)`. */
  fields: string;
  /** The wanted fields no row had. */
  missing: readonly string[];
}

/** What one scan looks for, and how it words a refusal. */
export interface ScanWant {
  /** Field names that must each appear (as a key, even with `null`) in some row. */
  fields: readonly string[];
  /** True for a row that carries its prompt otherwise (`messages`, a Batch API line): the scan ends. */
  ends(row: Record<string, unknown>, first: boolean): boolean;
  /** The refusal's text after `<source>:<line>: `. */
  refusal(seen: ScanSeen): string;
}

/**
 * A JSONL file has no header to check field names against, and its rows may be sparse: a field
 * absent from row 1 can be in row 2, and a row without it is that row's own `input` error. A field
 * that no row has is a typo that would fail every row, one stderr line each. So the reader holds
 * back the first rows until every wanted field has been seen (row 1 usually has them all: no
 * delay), and refuses up front only a field that none of them has, within a bounded read-ahead.
 */
export class JsonlFieldScan {
  private readonly wanted: Set<string>;
  private readonly keys = new Set<string>();
  private rows = 0;
  private chars = 0;
  private first: { line: number; row: Record<string, unknown> } | undefined;

  constructor(
    private readonly want: ScanWant,
    private readonly source: string,
  ) {
    this.wanted = new Set(want.fields);
  }

  /** Looks at one non-blank line; true once no more rows are needed (throws when the read-ahead is spent). */
  see(text: string, line: number): boolean {
    return this.seeRow(parseObject(text), line, text.length);
  }

  /** As `see`, for a row already parsed (undefined when it is not an object), of `chars` characters as JSON. */
  seeRow(row: Record<string, unknown> | undefined, line: number, chars: number): boolean {
    this.rows++;
    this.chars += chars;
    if (row && this.want.ends(row, this.first === undefined)) return true;
    if (row && !isBatchLine(row)) {
      this.first ??= { line, row };
      for (const key of Object.keys(row)) {
        this.keys.add(key);
        this.wanted.delete(key);
      }
    }
    if (this.wanted.size === 0) return true;
    if (this.rows < READ_AHEAD_ROWS && this.chars < READ_AHEAD_CHARS) return false;
    // Lines that are none of them objects are their own `invalid JSON` rows, not a sign of a misspelt field.
    if (this.first === undefined) return true;
    this.refuse(false);
  }

  /** At the end of an input shorter than the read-ahead: refuses a field that none of its rows has. */
  finish(): void {
    if (this.wanted.size > 0 && this.first !== undefined) this.refuse(true);
  }

  private refuse(ended: boolean): never {
    const rows = groupDigits(this.rows);
    const noRowHas = (field: { no: string; a: string }) =>
      this.rows === 1 ? `its one row has ${field.no}` : `none of the ${ended ? '' : 'first '}${rows} rows has ${field.a}`;
    const names = [...this.keys];
    const fields =
      names.length === 0
        ? '(none)'
        : names
            .slice(0, SHOW_FIELDS)
            .map((f) => JSON.stringify(f))
            .join(', ') + (names.length > SHOW_FIELDS ? ', …' : '');
    const line = this.first?.line ?? 1;
    const seen: ScanSeen = { line, first: this.first?.row ?? {}, noRowHas, fields, missing: [...this.wanted] };
    throw new InputError(`${this.source}:${line}: ${this.want.refusal(seen)}`);
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
export function isBatchLine(row: Record<string, unknown>): boolean {
  return 'body' in row && ('custom_id' in row || 'url' in row || 'method' in row);
}

/** A row whose prompt is its `messages`. */
export function hasMessages(row: Record<string, unknown>): boolean {
  return row['messages'] !== undefined && row['messages'] !== null;
}
