import { InputError } from '../errors.js';
import type { ElementLineFinder } from '../types.js';
import { isPlainObject } from '../util/is-plain-object.js';
import { groupDigits } from '../util/group-digits.js';
import { placeOf } from './element-lines.js';
import { opensSpreadObject, SPREAD_JSON } from './spread-json.js';

/**
 * How far a JSONL read looks ahead for a field its first rows lack: rows, and characters (the rows
 * read ahead are held until the run starts; long documents end it first).
 */
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
  /** True for a row, not ending the scan, whose keys are not the fields wanted (a Batch API line's are in its body). */
  skips(row: Record<string, unknown>): boolean;
  /** The refusal's text after `<source>:<line>: `. */
  refusal(seen: ScanSeen): string;
  /** The refusal when every object row read was skipped, `rowsHave` saying how many (`all 3 rows read have`); none: no refusal. */
  allSkipped?(rowsHave: string): string;
}

/** What a scan checks besides its `ScanWant`. */
export interface ScanOptions {
  /** An explicit --id-field: a field no row has would give every row a line-based id, silently. */
  idField?: string;
  /** Named --keep-fields: a field no row has would be an empty column, silently. */
  keepFields?: readonly string[];
  /** The fields --system fills: one no row has would fail every row, one stderr line each. */
  systemFields?: readonly string[];
  /** Lines of JSONL (not elements of a .json array): an input in which none is an object is not JSONL. */
  lines?: boolean;
  /** Elements of a .json array: a refusal names the file line its element begins on (see placeOf). */
  elementLines?: ElementLineFinder;
}

/**
 * A JSONL file has no header to check field names against, and its rows may be sparse: a field
 * absent from row 1 can be in row 2, and a row without it is that row's own `input` error. A field
 * that no row has is a typo that would fail every row, one stderr line each. So the reader holds
 * back the first rows until every wanted field has been seen (row 1 usually has them all: no
 * delay), and refuses up front only a field that none of them has, within a bounded read-ahead.
 * An explicit --id-field and named --keep-fields are looked for the same way (in any row: a row
 * without one gets a line-based id, or no such field in its `input`), and lines none of which is a
 * JSON object are refused as not JSONL at all.
 */
export class JsonlFieldScan {
  private readonly wanted: Set<string>;
  private readonly keys = new Set<string>();
  /** The explicit --id-field while no row has had it. */
  private readonly idWanted = new Set<string>();
  /** The named --keep-fields no row has had yet. */
  private readonly keepWanted: Set<string>;
  /** The --system fields no row has had yet. */
  private readonly systemWanted: Set<string>;
  /** Keys of every object row, Batch API lines and rows with messages too (for the --id-field refusal). */
  private readonly allKeys = new Set<string>();
  private rows = 0;
  /** Object rows that `want.skips` (while the prompt is not found). */
  private skipped = 0;
  private chars = 0;
  private first: { line: number; row: Record<string, unknown> } | undefined;
  /** The prompt (or each template field) has been found: a row carries it, or every wanted field was seen. */
  private promptFound: boolean;
  private firstObjectLine: number | undefined;
  /** The first line that is not a JSON object, and what it is instead. */
  private firstOther: { line: number; what: string; spread: boolean } | undefined;
  /** A line seen that is no JSON at all: text, whatever its first line happens to parse as ("2024"). */
  private textLines = false;

  constructor(
    private readonly want: ScanWant,
    private readonly source: string,
    private readonly options: ScanOptions = {},
  ) {
    this.wanted = new Set(want.fields);
    this.promptFound = this.wanted.size === 0;
    if (options.idField !== undefined) this.idWanted.add(options.idField);
    this.keepWanted = new Set(options.keepFields);
    this.systemWanted = new Set(options.systemFields);
  }

  /** Looks at one non-blank line; true once no more rows are needed (throws when the read-ahead is spent). */
  see(text: string, line: number): boolean {
    const parsed = parseObject(text);
    if (!('row' in parsed)) {
      this.firstOther ??= { line, what: parsed.what, spread: opensSpreadObject(text) };
      if (parsed.what.startsWith(NOT_JSON)) this.textLines = true;
    }
    return this.seeRow('row' in parsed ? parsed.row : undefined, line, text.length);
  }

  /** As `see`, for a row already parsed (undefined when it is not an object), of `chars` characters as JSON. */
  seeRow(row: Record<string, unknown> | undefined, line: number, chars: number): boolean {
    this.rows++;
    this.chars += chars;
    if (row) this.look(row, line);
    if (this.found()) return true;
    if (this.rows < READ_AHEAD_ROWS && this.chars < READ_AHEAD_CHARS) return false;
    const problem = this.problem(false);
    if (problem === undefined) return true;
    throw new InputError(problem);
  }

  /** At the end of an input shorter than the read-ahead: refuses a field that none of its rows has. */
  finish(): void {
    const problem = this.found() ? undefined : this.problem(true);
    if (problem !== undefined) throw new InputError(problem);
  }

  private found(): boolean {
    return this.promptFound && this.idWanted.size === 0 && this.keepWanted.size === 0 && this.systemWanted.size === 0;
  }

  private look(row: Record<string, unknown>, line: number): void {
    this.firstObjectLine ??= line;
    for (const key of Object.keys(row)) {
      this.allKeys.add(key);
      this.idWanted.delete(key);
      this.keepWanted.delete(key);
      this.systemWanted.delete(key);
    }
    // A Batch API line's fields are its body's too (see rowRecord).
    if (this.systemWanted.size > 0 && isBatchLine(row)) for (const key of Object.keys(row['body'] as object)) this.systemWanted.delete(key);
    if (this.promptFound) return;
    if (this.want.ends(row, this.first === undefined)) {
      this.promptFound = true;
      return;
    }
    if (this.want.skips(row)) {
      this.skipped++;
      return;
    }
    this.first ??= { line, row };
    for (const key of Object.keys(row)) {
      this.keys.add(key);
      this.wanted.delete(key);
    }
    if (this.wanted.size === 0) this.promptFound = true;
  }

  /** The refusal, once the read-ahead or the input has ended short of what is wanted; undefined: none. */
  private problem(ended: boolean): string | undefined {
    const rows = groupDigits(this.rows);
    // Long rows end the read-ahead before its rows do: said, or "the first 84 rows" reads as a miscount.
    const limit = !ended && this.rows < READ_AHEAD_ROWS ? ` (${READ_AHEAD_CHARS / 2 ** 20} MiB, as far as a read looks ahead)` : '';
    const noRowHas = (field: { no: string; a: string }) =>
      this.rows === 1 ? `its one row${limit} has ${field.no}` : `none of the ${ended ? '' : 'first '}${rows} rows${limit} has ${field.a}`;
    // An input without rows (empty, or blank lines) has no prompts: the run says so (exit 5).
    if (this.rows === 0) return undefined;
    if (this.firstObjectLine === undefined) return this.options.lines ? this.noObjects(ended) : undefined;
    if (!this.promptFound) {
      // Lines that are none of them plain rows are their own error rows, not a sign of a misspelt field,
      // unless every row is of a kind the options cannot apply to (ScanWant.allSkipped).
      if (this.first === undefined) {
        const rowsHave = this.skipped === 1 ? 'the one row read has' : `all ${groupDigits(this.skipped)} rows read have`;
        const refusal = this.skipped > 0 ? this.want.allSkipped?.(rowsHave) : undefined;
        return refusal === undefined ? undefined : `${this.place(this.firstObjectLine)}: ${refusal}`;
      }
      const fields = quoteFields(this.keys);
      const seen: ScanSeen = { line: this.first.line, first: this.first.row, noRowHas, fields, missing: [...this.wanted] };
      return `${this.place(this.first.line)}: ${this.want.refusal(seen)}`;
    }
    const at = `${this.place(this.firstObjectLine)}: `;
    const [idField] = this.idWanted;
    if (idField !== undefined) {
      return `${at}${noRowHas({ no: `no "${idField}" field`, a: `a "${idField}" field` })} for --id-field (fields: ${quoteFields(this.allKeys)}); check --id-field, or leave it out for line-based ids`;
    }
    if (this.systemWanted.size > 0) {
      const placeholders = [...this.systemWanted].map((f) => `{{${f}}}`).join(', ');
      return `${at}--system uses ${placeholders} but ${noRowHas({ no: 'no such field', a: 'such a field' })} (fields: ${quoteFields(this.allKeys)})`;
    }
    const kept = [...this.keepWanted].map((f) => JSON.stringify(f)).join(' or ');
    return `${at}${noRowHas({ no: `no ${kept} field`, a: `a ${kept} field` })} for --keep-fields (fields: ${quoteFields(this.allKeys)}); check --keep-fields, or keep every field a row has with --keep-fields all`;
  }

  /** `file:line` of a row, as a refusal names it. */
  private place(line: number): string {
    return placeOf({ source: this.source, line, elementLines: this.options.elementLines });
  }

  /** Lines of which none is a JSON object: a text file named .jsonl, or JSON that is not one object a line. */
  private noObjects(ended: boolean): string {
    const other = this.firstOther ?? { line: 1, what: 'not a JSON object', spread: false };
    const none = this.rows === 1 ? 'its one line is not a JSON object' : `none of the ${ended ? '' : 'first '}${groupDigits(this.rows)} lines is a JSON object`;
    if (other.spread) return `${this.source}:${other.line}: ${none} (line ${other.line} is "{" alone): ${SPREAD_JSON}`;
    // JSON that is no object (an array, a string a line): read as text, its brackets and quotes
    // would go out in the prompts.
    const how = this.textLines
      ? 'for one prompt per line pass --input-format txt (or name it .txt); a JSON array is read from a .json file'
      : 'JSONL is one object a line ({"prompt": "…"}), and a .json file one array of prompts (["…", "…"])';
    return `${this.source}:${other.line}: ${none} (line ${other.line} ${other.what}), so this is not JSONL: ${how}`;
  }
}

function quoteFields(keys: ReadonlySet<string>): string {
  const names = [...keys];
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, SHOW_FIELDS).map((f) => JSON.stringify(f));
  return shown.join(', ') + (names.length > SHOW_FIELDS ? ', …' : '');
}

/** A line as a row, or what it is instead (`is not JSON: "…"`, `is a JSON string`…). */
/** How parseObject begins its words for a line that does not parse. */
const NOT_JSON = 'is not JSON';

function parseObject(text: string): { row: Record<string, unknown> } | { what: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    return { what: `${NOT_JSON}: ${JSON.stringify(trimmed.length > 40 ? `${trimmed.slice(0, 40)}…` : trimmed)}` };
  }
  if (isPlainObject(value)) return { row: value };
  return { what: `is ${value === null ? 'null' : Array.isArray(value) ? 'a JSON array' : `a JSON ${typeof value}`}` };
}

const NONE: ReadonlySet<string> = new Set();

/** A `url` a Batch API line may name: the endpoint run here, or another of the Batch API's (refused by name). */
const BATCH_URL = /\/chat\/completions\/?$|^\/(?:v1\/)?(?:completions|embeddings|responses|moderations)\/?$/;

/**
 * An OpenAI Batch API request line: a `body` object beside the Batch API's own `custom_id`, or a
 * `url` naming one of its endpoints. Any other row with a `body` (an article's text beside its
 * `url`, a logged HTTP request's `method` and `body`) is data: its `body` is a field, never sent.
 * So is `body` when a template uses it (`data`: the template's fields).
 */
export function isBatchLine(row: Record<string, unknown>, data: ReadonlySet<string> = NONE): boolean {
  if (data.has('body') || !isPlainObject(row['body'])) return false;
  const url = row['url'];
  return 'custom_id' in row || (typeof url === 'string' && BATCH_URL.test(url));
}

/** A row whose prompt is its `messages`. */
export function hasMessages(row: Record<string, unknown>): boolean {
  return row['messages'] !== undefined && row['messages'] !== null;
}
