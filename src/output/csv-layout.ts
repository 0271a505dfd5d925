import type { OutputColumn } from '../structured/columns.js';
import { columnKey } from '../util/column-key.js';
import { ANSWER_PART_COLUMNS, CSV_COLUMNS, LEGACY_CSV_COLUMNS, PRE_CACHED_TOKENS_CSV_COLUMNS, type AnswerPartColumn } from './csv-columns.js';

/**
 * How a CSV results file is laid out beyond the fixed columns: whether cells were escaped against
 * spreadsheet formulas, and which input fields (--keep-fields) follow the result columns.
 */
export interface CsvLayout {
  /**
   * Prefix `'` to text cells a spreadsheet would run as a formula. Off by default: the file is data
   * for programs (python's csv, sqlite3, pandas) that read `-1` and `- Paris` as written.
   */
  readonly escapeFormulas: boolean;
  /** Input fields carried into each row, as extra columns after the result columns, in this order. */
  readonly keptFields: readonly string[];
  /** With --json-schema / --json: one column per top-level property of the answer, right after `id`. */
  readonly outputColumns?: readonly OutputColumn[];
  /**
   * The file was started before CSV had the timestamp, model × sample, cached and batch columns
   * ({@link LEGACY_CSV_COLUMNS}): a resume continues it in that layout, so the file keeps one shape.
   * Decided by the file's header, never by a flag.
   */
  readonly legacy?: boolean;
  /**
   * The file was started after CSV had those columns but before it had `cached_tokens`
   * ({@link PRE_CACHED_TOKENS_CSV_COLUMNS}): continued without it. Decided by the file's header.
   */
  readonly noCachedTokens?: boolean;
  /**
   * `tool_calls` / `logprobs` columns, after the result columns, in a run that asks for them
   * (see `ANSWER_PART_COLUMNS`); never in a legacy file.
   */
  readonly answerColumns?: readonly AnswerPartColumn[];
  /**
   * The file was written when names differing only in case were apart (a kept `ID` beside the
   * result column `id`, a kept `Title` beside a kept `title`, which SQL takes for one column): a
   * resume continues it naming its kept fields that way, so the file keeps one header. Decided by
   * the file's header, never by a flag.
   */
  readonly caseSensitiveNames?: boolean;
  /**
   * The file's lines end in CRLF (saved again by Excel, or `unix2dos`): a resume continues it so, as
   * a CSV reader takes the first line end for the whole file, and a '\n'-ended row appended to it
   * would be read as part of the row before. Decided by the file's header, never by a flag.
   */
  readonly crlf?: boolean;
}

export const PLAIN_CSV: CsvLayout = Object.freeze({ escapeFormulas: false, keptFields: Object.freeze([]) as readonly string[] });

/**
 * The names no kept field's column may take: the result columns (the legacy ones in a legacy file,
 * which named a kept `sample` field `sample`; an older file's without `cached_tokens`), `tool_calls`
 * and `logprobs` whether or not the file has them (a header is read back by name), and the schema's
 * field columns.
 */
function reservedNames(layout: Pick<CsvLayout, 'legacy' | 'noCachedTokens'>, schemaColumns: readonly string[]): Set<string> {
  return new Set([...fieldReservedNames(layout), ...schemaColumns]);
}

/**
 * The names a schema's field column may not take in a file of this layout (it is named `output_<name>`
 * instead): the result columns and `tool_calls` / `logprobs` (none of those in a legacy file).
 */
export function fieldReservedNames(layout: Pick<CsvLayout, 'legacy' | 'noCachedTokens'> = {}): readonly string[] {
  return layout.legacy ? LEGACY_CSV_COLUMNS : [...resultColumns(layout), ...ANSWER_PART_COLUMNS];
}

const PREFIX = 'input_';

/**
 * A name as `input_` repeated `depth` times in front of `base` (which does not start with
 * `input_`). Names of one base form a chain — `id`, `input_id`, `input_input_id`… — and a kept
 * field's column is always on its own field's chain, so fields of other chains never meet it. The
 * base and the prefixes are compared as SQL compares names (`ID`, `Input_id` are on `id`'s chain),
 * or exactly in a file written before case counted (`caseSensitive`).
 */
function chainOf(name: string, caseSensitive = false): { base: string; depth: number } {
  const key = caseSensitive ? name : columnKey(name);
  let depth = 0;
  while (key.startsWith(PREFIX, depth * PREFIX.length)) depth++;
  return { base: key.slice(depth * PREFIX.length), depth };
}

/** For each chain with reserved names on it, the depths of those names. */
function takenDepths(reserved: ReadonlySet<string>, caseSensitive: boolean): Map<string, Set<number>> {
  const taken = new Map<string, Set<number>>();
  for (const name of reserved) {
    const { base, depth } = chainOf(name, caseSensitive);
    let depths = taken.get(base);
    if (!depths) taken.set(base, (depths = new Set()));
    depths.add(depth);
  }
  return taken;
}

const lowest = (depths: ReadonlySet<number>): number => Math.min(...depths);

/** The `n`th depth (from 0) that is not taken. */
function nthFree(taken: ReadonlySet<number>, n: number): number {
  let at = 0;
  for (let free = -1; ; at++) if (!taken.has(at) && ++free === n) return at;
}

/** `name` (at `depth` on its chain) without its outer prefixes, down to `to`: `input_Title` to 0 is `Title`. */
const below = (name: string, depth: number, to: number): string => name.slice((depth - to) * PREFIX.length);

/** A kept field as named: its chain, its depth there, and the depth its column took. */
interface Placed {
  readonly field: string;
  readonly base: string;
  readonly depth: number;
  readonly at: number;
}

/**
 * The depths a field at `depth` on `base`'s chain may not take, given the reserved names and the
 * fields named before it: each earlier field's column on the chain, but for one the field extends
 * as written (`title` for `input_title`; not for `input_Title`), which the chain's order keeps below.
 */
function blockedDepths(field: string, base: string, depth: number, reserved: ReadonlySet<number> | undefined, before: readonly Placed[]): Set<number> {
  const blocked = new Set(reserved);
  for (const p of before) {
    if (p.base === base && !(p.depth < depth && p.field === below(field, depth, p.depth))) blocked.add(p.at);
  }
  return blocked;
}

/**
 * The kept fields' columns, one after another. A field `depth` deep on its chain takes the
 * `depth`th free depth there (from 0), with an `input_` in front of its own name (which keeps its
 * case) for each depth it moved. Free: no reserved name and no earlier field's column is there,
 * except that an earlier field this one extends as written (`title` for `input_title`) does not
 * count, so fields of one case on a chain (`id`, `input_id`) are named as each alone: below the
 * lowest reserved depth as they are, from there up shifted past the reserved ones in order. None
 * meets a result or schema column in any case (`ID` is `input_ID`; a schema property `input_title`
 * pushes a kept `title` to `input_input_title`), nor an earlier field's column: of `title,Title`
 * the later is `input_Title`, and `input_Title` after `title` moves as well (`input_input_Title`),
 * so that no header stands for two lists of fields and it reads back ({@link keptFieldsOf}).
 * `caseSensitive`: as before case counted, each field alone on its exact-case chain.
 */
export function keptColumnNames(fields: readonly string[], reserved: ReadonlySet<string>, caseSensitive = false): string[] {
  if (caseSensitive) return caseSensitiveColumnNames(fields, reserved);
  const taken = takenDepths(reserved, false);
  const placed: Placed[] = [];
  return fields.map((field) => {
    const { base, depth } = chainOf(field);
    const at = nthFree(blockedDepths(field, base, depth, taken.get(base), placed), depth);
    placed.push({ field, base, depth, at });
    return PREFIX.repeat(at - depth) + field;
  });
}

/**
 * Inverse of {@link keptColumnNames}, for a header read back: each column in turn, the one field
 * that the fields before it would have named so (fields differing only in how many `input_` they
 * start with ask for ever higher depths, so at most one does). A column no field is named as (a
 * header written before case counted) is returned as it is, which a caller tells by naming the
 * fields again.
 */
export function keptFieldsOf(columns: readonly string[], reserved: ReadonlySet<string>, caseSensitive = false): string[] {
  if (caseSensitive) return caseSensitiveFieldsOf(columns, reserved);
  const taken = takenDepths(reserved, false);
  const placed: Placed[] = [];
  return columns.map((column) => {
    const { base, depth: at } = chainOf(column);
    let field = column;
    let depth = at;
    for (let d = at; d >= 0; d--) {
      if (!column.startsWith(PREFIX.repeat(at - d))) break; // the prefixes put in front are these
      const candidate = below(column, at, d);
      if (placed.some((p) => p.field === candidate)) continue;
      if (nthFree(blockedDepths(candidate, base, d, taken.get(base), placed), d) === at) {
        field = candidate;
        depth = d;
        break;
      }
    }
    placed.push({ field, base, depth, at });
    return field;
  });
}

/** {@link keptColumnNames} before case counted: each field on its own exact-case chain, apart from the other fields. */
function caseSensitiveColumnNames(fields: readonly string[], reserved: ReadonlySet<string>): string[] {
  const taken = takenDepths(reserved, true);
  return fields.map((field) => {
    const { base, depth } = chainOf(field, true);
    const depths = taken.get(base);
    if (!depths || depth < lowest(depths)) return field;
    let skip = depth - lowest(depths); // free depths that go to the fields below this one
    let at = lowest(depths);
    while (depths.has(at) || skip > 0) {
      if (!depths.has(at)) skip--;
      at++;
    }
    return PREFIX.repeat(at - depth) + field;
  });
}

/** Inverse of {@link caseSensitiveColumnNames}. */
function caseSensitiveFieldsOf(columns: readonly string[], reserved: ReadonlySet<string>): string[] {
  const taken = takenDepths(reserved, true);
  return columns.map((column) => {
    const { base, depth } = chainOf(column, true);
    const depths = taken.get(base);
    // Below the chain's reserved names, or a reserved name itself (never written as a kept column).
    if (!depths || depth < lowest(depths) || depths.has(depth)) return column;
    let free = 0;
    for (let at = lowest(depths); at < depth; at++) if (!depths.has(at)) free++;
    return column.slice((depth - lowest(depths) - free) * PREFIX.length);
  });
}

/** The result columns (all but schema fields and kept fields) of a file with this layout. */
export function resultColumns(layout: Pick<CsvLayout, 'legacy' | 'noCachedTokens'>): readonly string[] {
  return layout.legacy ? LEGACY_CSV_COLUMNS : layout.noCachedTokens ? PRE_CACHED_TOKENS_CSV_COLUMNS : CSV_COLUMNS;
}

/** Every column of a file with this layout, in order. */
export function csvHeaderColumns(layout: CsvLayout): string[] {
  const output = (layout.outputColumns ?? []).map((c) => c.column);
  const result = resultColumns(layout);
  const kept = keptColumnNames(layout.keptFields, reservedNames(layout, output), layout.caseSensitiveNames);
  return [result[0]!, ...output, ...result.slice(1), ...(layout.answerColumns ?? []), ...kept];
}

/** What a results CSV's header says about its layout; undefined when it is not one of ours. */
export interface CsvHeaderShape {
  legacy: boolean;
  /** Whether the file has the `cached_tokens` column (never in a legacy file). */
  cachedTokens: boolean;
  /** Schema field columns, between `id` and `line`. */
  fieldColumns: string[];
  /** `tool_calls` / `logprobs`, when the file has them (right after the result columns). */
  answerColumns: AnswerPartColumn[];
  /** Kept input field columns, after the result columns. */
  keptColumns: string[];
  /** The input fields those columns hold, in order. */
  keptFields: string[];
  /** Written before names differing only in case were apart (see CsvLayout.caseSensitiveNames). */
  caseSensitiveNames: boolean;
}

/**
 * Reads a header (every CSV we wrote starts with the legacy columns, schema fields after `id`; the
 * newer ones follow them exactly, with `cached_tokens` first or, in an older file, without it; else
 * the file is legacy). Columns after those are kept fields.
 */
export function csvHeaderShape(header: readonly string[]): CsvHeaderShape | undefined {
  const fields = Math.max(0, header.indexOf(LEGACY_CSV_COLUMNS[1]!) - 1);
  const at = (i: number) => header[i === 0 ? 0 : i + fields];
  if (header.length < LEGACY_CSV_COLUMNS.length + fields || LEGACY_CSV_COLUMNS.some((name, i) => name !== at(i))) return undefined;
  const after = LEGACY_CSV_COLUMNS.length + fields;
  const follows = (names: readonly string[]) => names.every((name, j) => header[after + j] === name);
  const added = [CSV_COLUMNS, PRE_CACHED_TOKENS_CSV_COLUMNS].map((columns) => columns.slice(LEGACY_CSV_COLUMNS.length)).find(follows);
  const legacy = added === undefined;
  const cachedTokens = added !== undefined && added.length === CSV_COLUMNS.length - LEGACY_CSV_COLUMNS.length;
  let next = after + (added?.length ?? 0);
  const answerColumns: AnswerPartColumn[] = [];
  if (!legacy) {
    for (const name of ANSWER_PART_COLUMNS) if (header[next] === name) answerColumns.push(header[next++] as AnswerPartColumn);
  }
  const fieldColumns = header.slice(1, 1 + fields);
  const keptColumns = header.slice(next);
  const reserved = reservedNames({ legacy, noCachedTokens: !cachedTokens }, fieldColumns);
  const folded = keptFieldsOf(keptColumns, reserved);
  // Kept-field columns llm-batch would not name so now (`ID` beside `id`) were named when case did
  // not count, and read back that way. (The field columns are named by the header itself.)
  const caseSensitiveNames = keptColumnNames(folded, reserved).some((c, i) => c !== keptColumns[i]);
  const keptFields = caseSensitiveNames ? keptFieldsOf(keptColumns, reserved, true) : folded;
  return { legacy, cachedTokens, fieldColumns, answerColumns, keptColumns, keptFields, caseSensitiveNames };
}

/** The layout a file with this header was written in, to write more rows like them (compact, merge). */
export function layoutOfHeader(shape: CsvHeaderShape, escapeFormulas: boolean): CsvLayout {
  return {
    escapeFormulas,
    keptFields: shape.keptFields,
    ...(shape.answerColumns.length > 0 ? { answerColumns: shape.answerColumns } : {}),
    // Rows read back hold their fields by column name (see columnValue), so the column is the property.
    ...(shape.fieldColumns.length > 0 ? { outputColumns: shape.fieldColumns.map((column) => ({ property: column, column })) } : {}),
    ...(shape.legacy ? { legacy: true } : shape.cachedTokens ? {} : { noCachedTokens: true }),
    ...(shape.caseSensitiveNames ? { caseSensitiveNames: true } : {}),
  };
}
