import { InputError, UsageError } from '../errors.js';
import type { PromptRecord } from '../types.js';
import { usableDelimiter, type InputOptions } from './input-options.js';
import { paramsFromCsv } from './params.js';
import { likelyPromptField, promptFieldHint, refusePromptFieldWithTemplate } from './prompt-field.js';
import { explicitId, fallbackId } from './record-id.js';
import { renderTemplate, templateFields } from './template.js';
import { problemRecord, sendableRecord, userMessages, type RecordOrigin } from './to-record.js';

/** A row's cells by column name; no prototype, so a column may be named `__proto__` or `constructor`. */
export type CsvRow = Record<string, string | undefined>;

/** What the header says about every row: decided once, so a wrong flag fails the run before any request. */
export interface CsvPlan {
  columns: string[];
  /** Set when there is no template. */
  promptColumn?: string;
  idColumn?: string;
  /** The template's columns: its data, never request parameters (see paramsFromCsv). */
  dataColumns?: ReadonlySet<string>;
  /** The field separator, when not a comma (for the words of a row with too many cells). */
  separator?: string;
}

/**
 * Validates the header against the options. Every failure here would otherwise fail every row, so it is a
 * run-level `InputError` naming the file, the header's line, what was expected and the columns found.
 */
export function planCsv(columns: string[], options: InputOptions, headerLine = 1): CsvPlan {
  const { template, promptField, idField } = options;
  const source = `${options.source}:${headerLine}`;
  const found = (columns.length === 0 ? '(none)' : columns.map((c) => JSON.stringify(c)).join(', ')) + otherSeparator(columns, options);
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const column of columns) {
    if (column !== '' && seen.has(column)) twice.add(column);
    seen.add(column);
  }
  refuseSeparatorHint(columns, options, source);
  refuseUnnamedKept(columns, options.keepFields, source);
  refusePromptFieldWithTemplate(options);

  const plan: CsvPlan = { columns, ...(options.csvDelimiter !== undefined && options.csvDelimiter !== ',' ? { separator: options.csvDelimiter } : {}) };
  // The columns --template and --system fill in are data, and a missing one would fail every row.
  const filled = [...(template === undefined ? [] : templateFields(template)), ...(options.system === undefined ? [] : templateFields(options.system))];
  if (filled.length > 0) plan.dataColumns = new Set(filled);
  for (const [flag, text] of [
    ['--template', template],
    ['--system', options.system],
  ] as const) {
    const unknown = text === undefined ? [] : [...new Set(templateFields(text))].filter((name) => !seen.has(name));
    if (unknown.length > 0) {
      throw new InputError(`${source}: ${flag} uses ${unknown.map((n) => `{{${n}}}`).join(', ')} but the CSV header has no such column (found: ${found})`);
    }
  }
  // Without a template, one column is the prompt.
  if (template === undefined) {
    if (promptField !== undefined) {
      if (!seen.has(promptField)) {
        throw new InputError(`${source}: no "${promptField}" column in the CSV header (found: ${found}); check --prompt-field or use --template`);
      }
      plan.promptColumn = promptField;
    } else if (seen.has('prompt')) {
      plan.promptColumn = 'prompt';
    } else if (columns.length === 1 && columns[0] !== undefined && columns[0] !== '') {
      refuseOtherDelimiter(columns, options, source);
      plan.promptColumn = columns[0];
    } else {
      const guess = likelyPromptField(columns, idField ?? 'id');
      throw new InputError(`${source}: no "prompt" column in the CSV header (found: ${found}); ${promptFieldHint(guess, 'column')}`);
    }
  }

  // A misspelt kept field would be an always-empty column: the header is known, so say so now.
  const { keepFields } = options;
  const missing = keepFields === undefined || keepFields === 'all' ? [] : keepFields.filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new InputError(
      `${source}: --keep-fields names ${missing.map((n) => JSON.stringify(n)).join(', ')} but the CSV header has no such column (found: ${found})`,
    );
  }

  const idColumn = idField ?? 'id';
  if (seen.has(idColumn)) plan.idColumn = idColumn;
  // An explicit --id-field that matches nothing would silently give every row a fallback id.
  else if (idField !== undefined) throw new InputError(`${source}: no "${idField}" column in the CSV header for --id-field (found: ${found})`);
  // A column named twice (a SQL join's `a.*, b.*`) is refused only where the run reads it: which of
  // the two it meant cannot be told. One it never reads is left out, as an unnamed column is.
  const reads = (column: string) =>
    column === plan.promptColumn ||
    column === plan.idColumn ||
    plan.dataColumns?.has(column) === true ||
    CELL_PARAMS.has(column) ||
    keepFields === 'all' ||
    keepFields?.includes(column) === true;
  const used = [...twice].find(reads);
  if (used !== undefined) throw new InputError(`${source}: column "${used}" appears twice in the CSV header`);
  return plan;
}

/** Columns a row's cells set request parameters by (paramsFromCsv). */
const CELL_PARAMS: ReadonlySet<string> = new Set(['model', 'temperature', 'max_tokens', 'max_completion_tokens']);

/**
 * Unnamed columns (`id,prompt,,`: spreadsheets leave them) are fine while their cells are not kept.
 * `--keep-fields all` (or `""`) carries cells under their column's name: two unnamed columns would
 * be one field, and all but one of their cells lost.
 */
function refuseUnnamedKept(columns: readonly string[], keepFields: InputOptions['keepFields'], source: string): void {
  if (keepFields === undefined || (keepFields !== 'all' && !keepFields.includes(''))) return;
  const unnamed = columns.flatMap((column, i) => (column === '' ? [i + 1] : []));
  if (unnamed.length < 2) return;
  const numbers = `${unnamed.slice(0, -1).join(', ')} and ${unnamed.at(-1)}`;
  const flag = keepFields === 'all' ? '--keep-fields all' : '--keep-fields ""';
  throw new InputError(
    `${source}: columns ${numbers} of the CSV header have no name, and ${flag} would keep their cells as one field ""; name those columns in the header, or name the fields to keep (--keep-fields a,b)`,
  );
}

/**
 * A parsed row's cells (keyed by position, see csv-reader.ts) by column name, in an object without a
 * prototype: a column named `__proto__` is a field like any other. Of two unnamed columns the last
 * cell is the `""` field (its cells are kept only when there is one such column, see planCsv).
 */
export function rowOf(plan: CsvPlan, cells: Readonly<Record<number, string | undefined>>): CsvRow {
  const row: CsvRow = Object.create(null) as CsvRow;
  plan.columns.forEach((column, i) => {
    // A short row has no key for its missing cells, as csv-parse's own objects had none.
    if (cells[i] !== undefined) row[column] = cells[i];
  });
  return row;
}

/**
 * Turns one parsed CSV row into a record, or `undefined` for a row whose cells are all blank
 * (e.g. the `,,,` lines spreadsheets leave behind), which is skipped like a blank line.
 * `cellCount` is the number of cells csv-parse saw: more than the header has means cells were dropped,
 * almost always an unquoted comma, so the row is a problem rather than a silently truncated prompt.
 */
export function csvRecord(plan: CsvPlan, row: CsvRow, line: number, cellCount: number, options: InputOptions): PromptRecord | undefined {
  const { source, template, system } = options;
  const values = plan.columns.map((column) => row[column]);
  const tooMany = cellCount > plan.columns.length;
  if (!tooMany && values.every((v) => v === undefined || v.trim() === '')) return undefined;

  const lineOrigin: RecordOrigin = { source, line, id: fallbackId(line, JSON.stringify(values.map((v) => v ?? null))) };
  // A row cut short of a cell the prompt needs: its cells may be the tail of the record above (a line
  // break in a cell whose quotes were not doubled), so its id cell is not trusted either.
  const cutShort = (column: string): PromptRecord =>
    problemRecord(
      lineOrigin,
      `row has ${plural(cellCount, 'cell')} but the header has ${plural(plan.columns.length, 'column')} (quote a cell that holds a line break, and double the quotes inside it)`,
      column,
    );
  const origin: RecordOrigin = { ...lineOrigin };
  if (plan.idColumn !== undefined) {
    const id = explicitId(row[plan.idColumn], plan.idColumn);
    if (id !== undefined && 'id' in id) {
      origin.id = id.id;
      origin.given = true;
    }
  }
  const cell = plan.promptColumn === undefined ? undefined : row[plan.promptColumn];
  const rendered = template === undefined ? undefined : renderTemplate(template, row);
  // What the row's prompt reads as, for its error row: the template filled, as a JSONL row's is.
  const bestPrompt = rendered === undefined ? (cell ?? '') : 'text' in rendered ? rendered.text : '';

  if (tooMany) {
    return problemRecord(
      origin,
      `row has ${cellCount} ${cellCount === 1 ? 'cell' : 'cells'} but the header has ${plan.columns.length} ${plan.columns.length === 1 ? 'column' : 'columns'} (quote cells that contain ${plan.separator === undefined ? 'commas' : separatorWords(plan.separator)})`,
      undefined,
      bestPrompt,
    );
  }
  const params = paramsFromCsv(row, plan.dataColumns);
  if ('problem' in params) return problemRecord(origin, params.problem.message, params.problem.field, bestPrompt);

  let prompt: string;
  if (rendered !== undefined) {
    if ('missing' in rendered) {
      if (cellCount < plan.columns.length) return cutShort(rendered.missing);
      return problemRecord(origin, `template field "${rendered.missing}" is missing`, rendered.missing);
    }
    prompt = rendered.text;
    if (prompt.trim() === '') return problemRecord(origin, 'the template produced an empty prompt');
  } else {
    const column = plan.promptColumn ?? 'prompt';
    if (cell === undefined && cellCount < plan.columns.length) return cutShort(column);
    if (cell === undefined || cell.trim() === '') return problemRecord(origin, `empty "${column}" column`, column);
    prompt = cell;
  }
  // A --system field in the header that a short row lacks is a cut row, as a template's is.
  const lacking =
    system === undefined || cellCount >= plan.columns.length ? undefined : templateFields(system).find((f) => row[f] === undefined && plan.columns.includes(f));
  if (lacking !== undefined) return cutShort(lacking);
  return sendableRecord(origin, prompt, userMessages(prompt), params.params, system, undefined, row);
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * A header that is one column with semicolons, tabs or pipes in it is a CSV from a spreadsheet set
 * to another separator (Excel writes `;` in most European locales) or a database export (`|`): read
 * as one column, every line would be sent whole as a prompt, ids and all, and paid for.
 */
function refuseOtherDelimiter(columns: readonly string[], options: InputOptions, source: string): void {
  const mark = otherSeparatorIn(columns, options);
  if (mark === undefined) return;
  throw new InputError(
    `${source}: the CSV header ${JSON.stringify(columns[0])} is one column: the file looks separated by ${separatorWords(mark)}: ` +
      `pass ${separatorFlag(mark)} to read it so, or --prompt-field ${JSON.stringify(columns[0])} if that really is one column`,
  );
}

/**
 * The separator a header read as one column would split at (`id;title` read with commas, `id,prompt`
 * read with tabs as a `.tsv`), or undefined: each line would otherwise be sent whole.
 */
function otherSeparatorIn(columns: readonly string[], options: InputOptions): string | undefined {
  if (columns.length !== 1) return undefined;
  const used = options.csvDelimiter ?? ',';
  return [',', ';', '\t', '|'].find((c) => c !== used && columns[0]!.includes(c));
}

const separatorFlag = (mark: string): string => `--csv-delimiter ${mark === '\t' ? 'tab' : `'${mark}'`}`;

/** A separator in the messages' words: `tabs`, `";"` (`commas` where the comma is the default). */
const separatorWords = (mark: string): string => (mark === '\t' ? 'tabs' : `"${mark}"`);

/**
 * `sep=;` on the first line is a hint spreadsheets write and read: taken as the header, it named a
 * column "sep=" and the advice went round in circles. Said by name, with the flag that reads the rest.
 */
function refuseSeparatorHint(columns: readonly string[], options: InputOptions, source: string): void {
  const first = columns[0] ?? '';
  if (!/^sep=.?$/i.test(first) || columns.length > 2) return;
  const mark = first.slice(4) || (columns.length === 2 ? (options.csvDelimiter ?? ',') : '');
  const flag = mark === '' ? '--csv-delimiter with its separator' : separatorFlag(mark);
  throw new InputError(
    `${source}: the first line "${first}${columns.length === 2 ? mark : ''}" is a spreadsheet's separator hint, which llm-batch does not read: delete that line and pass ${flag}`,
  );
}

/** For the messages that list a header's columns: the flag that reads a header another separator splits. */
function otherSeparator(columns: readonly string[], options: InputOptions): string {
  const mark = otherSeparatorIn(columns, options);
  return mark === undefined ? '' : `; separated by ${separatorWords(mark)}? pass ${separatorFlag(mark)}`;
}

/**
 * The separator csv-parse is given: the library's `csvDelimiter` checked as the CLI checks its flag
 * (csv-parse took `'ab'` or `'\n'` and read every line whole, and threw its own error for `''`).
 */
export function checkedDelimiter(options: Pick<InputOptions, 'csvDelimiter'>): string {
  const d = options.csvDelimiter ?? ',';
  if (!usableDelimiter(d)) {
    throw new UsageError(`csvDelimiter must be one character other than a quote or a line break (a tab is "\\t"), got ${JSON.stringify(d)}`);
  }
  return d;
}
