import { createReadStream } from 'node:fs';
import { RunError } from '../errors.js';
import { csvHeaderLine } from './csv-encode.js';
import { csvHeaderShape, fieldReservedNames, layoutOfHeader, PLAIN_CSV, type CsvLayout } from './csv-layout.js';
import { peek } from './peek-file.js';
import { outputColumns, type OutputColumn } from '../structured/columns.js';
import { ANSWER_PART_COLUMNS, type AnswerPartColumn } from './csv-columns.js';

/** The file's first bytes, past a UTF-8 BOM; empty when there is no such file. */
function head(path: string, length: number): Buffer {
  let bytes: Buffer;
  try {
    bytes = peek(path, 0, length + 3);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

/**
 * The layout to continue a CSV in: `wanted`, or `wanted` in an older layout when the file starts
 * with that header: the legacy one (written before CSV had timestamps and model/sample columns) or
 * the one before `cached_tokens`, each with its columns named as now or as before names differing
 * only in case were kept apart (`ID` beside `id`). The header decides, so an old file keeps one
 * shape and every older CSV stays resumable; its rows end as its header does ('\r\n' in a file saved
 * again by Excel).
 */
export function csvLayoutOfFile(path: string, wanted: CsvLayout): CsvLayout {
  return withFileLineEnd(path, columnsOfFile(path, wanted));
}

/** The columns of {@link csvLayoutOfFile}. */
function columnsOfFile(path: string, wanted: CsvLayout): CsvLayout {
  if (wanted.legacy || wanted.noCachedTokens || wanted.caseSensitiveNames) return wanted;
  const own = layoutOfFile(path, wanted) ?? layoutOfFile(path, caseSensitiveLayout(wanted));
  if (own) return own;
  // Other kept fields: the layout of the file's result columns, so that the refusal says what differs.
  const older = olderLayout(wanted, { noCachedTokens: true });
  return startsWithResultColumns(path, older) ? older : wanted;
}

/** `wanted`, or `wanted` in an older layout, when the file starts with its header; else undefined. */
function layoutOfFile(path: string, wanted: CsvLayout): CsvLayout | undefined {
  const legacy = olderLayout(wanted, { legacy: true });
  if (startsWithHeader(path, legacy)) return legacy;
  const older = olderLayout(wanted, { noCachedTokens: true });
  for (const layout of [wanted, older]) {
    // A file with tool_calls / logprobs columns this run does not ask for: continued with them (their
    // cells are filled when an answer has them), which loses nothing.
    const own = answerColumnsOfFile(path, layout);
    if (own === undefined) continue;
    const wants = layout.answerColumns ?? [];
    return wants.every((c) => own.includes(c)) && own.length > wants.length ? { ...layout, answerColumns: own } : layout;
  }
  return undefined;
}

/** `wanted` with its kept-field and schema columns named as before case counted (see CsvLayout.caseSensitiveNames). */
function caseSensitiveLayout(wanted: CsvLayout): CsvLayout {
  const fields = wanted.outputColumns;
  return {
    ...wanted,
    caseSensitiveNames: true,
    ...(fields ? { outputColumns: olderFieldColumns(fields, fieldReservedNames(wanted), true) } : {}),
  };
}

/** Whether the file's header starts with `layout`'s columns up to its kept fields. */
function startsWithResultColumns(path: string, layout: CsvLayout): boolean {
  const expected = Buffer.from(csvHeaderLine({ ...layout, keptFields: [], answerColumns: [] }).replace(/\r?\n$/, ''), 'utf8');
  const start = head(path, expected.length + 1);
  return start.subarray(0, expected.length).equals(expected) && [0x2c, 0x0a, 0x0d].includes(start[expected.length] ?? 0);
}

/** `wanted` in an older layout, its schema's field columns named as that llm-batch named them. */
function olderLayout(wanted: CsvLayout, older: Pick<CsvLayout, 'legacy' | 'noCachedTokens'>): CsvLayout {
  const fields = wanted.outputColumns;
  const caseSensitive = wanted.caseSensitiveNames === true;
  return { ...wanted, ...older, ...(fields ? { outputColumns: olderFieldColumns(fields, fieldReservedNames(older), caseSensitive) } : {}) };
}

/** How the file's first line ends when it is `layout`'s header; undefined when it is not that header. */
function headerEnd(path: string, layout: CsvLayout): 'lf' | 'crlf' | undefined {
  const expected = Buffer.from(csvHeaderLine({ ...layout, crlf: false }).slice(0, -1), 'utf8');
  const start = head(path, expected.length + 2);
  if (!start.subarray(0, expected.length).equals(expected)) return undefined;
  if (start[expected.length] === 0x0a) return 'lf';
  return start[expected.length] === 0x0d && start[expected.length + 1] === 0x0a ? 'crlf' : undefined;
}

function startsWithHeader(path: string, layout: CsvLayout): boolean {
  return headerEnd(path, layout) !== undefined;
}

/** `layout`, its rows ending in CRLF when the file's header (`layout`'s) does: see CsvLayout.crlf. */
export function withFileLineEnd(path: string, layout: CsvLayout): CsvLayout {
  const crlf = headerEnd(path, layout) === 'crlf';
  return crlf === (layout.crlf === true) ? layout : { ...layout, crlf };
}

/** The four ways a header can hold the answer-part columns, in their fixed order. */
const ANSWER_COLUMN_SETS: ReadonlyArray<readonly AnswerPartColumn[]> = [[], ['tool_calls'], ['logprobs'], [...ANSWER_PART_COLUMNS]];

/** The answer-part columns of a file whose header is `layout`'s but for them; undefined when it is not. */
function answerColumnsOfFile(path: string, layout: CsvLayout): readonly AnswerPartColumn[] | undefined {
  return ANSWER_COLUMN_SETS.find((columns) => startsWithHeader(path, { ...layout, answerColumns: columns }));
}

/**
 * A schema's field columns as an older llm-batch named them: only its result columns were taken
 * then, so a property named `sample` (legacy) or `cached_tokens` had that column, not `output_sample`;
 * and before case counted, a property `ID` had the column `ID`, not `output_ID`.
 */
function olderFieldColumns(columns: readonly OutputColumn[], taken: readonly string[], caseSensitive: boolean): readonly OutputColumn[] {
  if (columns.some((c) => c.whole)) return columns;
  return outputColumns({ properties: Object.fromEntries(columns.map((c) => [c.property, {}])) }, taken, { caseSensitive });
}

/**
 * A CSV output being continued must be ours: checked before anything reads it as CSV, so a JSONL
 * file given `--format csv` gets this line rather than a CSV parser's complaint. A file that is a
 * torn start of the header (a crash while writing it) passes: the repair empties it.
 */
export function assertCsvHeader(path: string, layout: CsvLayout = PLAIN_CSV): void {
  // Either line end: the rows appended take the file's (csvLayoutOfFile).
  if (startsWithHeader(path, layout)) return;
  const expected = Buffer.from(csvHeaderLine(layout), 'utf8');
  const start = head(path, expected.length);
  const torn = start.length < expected.length && expected.subarray(0, start.length).equals(start);
  if (!torn) throw new RunError(columnsDiffer(path, layout) ?? notOurs(path, layout), 'output');
}

/** Column names as read from a file, shown in a message: no terminal control characters, not too long. */
const shown = (names: string) => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
  const plain = names.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return plain.length > 200 ? `${plain.slice(0, 200)}…` : plain;
};

const NEW_FILE =
  'write to a new output file instead (with the response cache on, as by default, answers already given are not paid for twice), or to JSONL, which has no fixed columns. Nothing was changed';

/**
 * The message for an llm-batch CSV of this run's kind whose columns are not quite this run's: which
 * columns, and why this run has them. Undefined when the header is not one of ours at all.
 */
function columnsDiffer(path: string, layout: CsvLayout): string | undefined {
  const own = answerColumnsOfFile(path, layout);
  const wants = layout.answerColumns ?? [];
  if (own !== undefined) {
    const missing = wants.filter((c) => !own.includes(c));
    const keys = missing.map((c) => (c === 'tool_calls' ? '"tools"' : '"logprobs"')).join(' / ');
    const names = missing.join(' and ');
    return (
      `${path} has no ${names} column, and this run needs ${missing.length > 1 ? 'them' : 'one'}: a row of the input sets ${keys} ` +
      `(or --param does), so its answers would carry ${names} the file cannot hold; appending would lose them or mix columns: ${NEW_FILE}`
    );
  }
  // The same result columns, then other kept-field columns (--keep-fields, or the CSV input's header, changed).
  const shared = csvHeaderLine({ ...layout, keptFields: [] }).replace(/\r?\n$/, '');
  const line =
    head(path, 64 * 1024)
      .toString('utf8')
      .split(/\r?\n/)[0] ?? '';
  if (!line.startsWith(shared)) return undefined;
  const theirs = line.slice(shared.length).replace(/^,/, '');
  const ours = csvHeaderLine(layout)
    .replace(/\r?\n$/, '')
    .slice(shared.length)
    .replace(/^,/, '');
  return (
    `${path} carries other input fields than this run: its kept-field columns are (${shown(theirs) || 'none'}), this run's --keep-fields gives ` +
    `(${shown(ours) || 'none'}); appending would mix columns. Resume with the --keep-fields the file was started with, or ${NEW_FILE}`
  );
}

/** How the refusal of a CSV that is not ours ends; a --batch-api run with batches out says otherwise (batch-api-command.ts). */
export const USE_NEW_FILE = 'Use a new output file.';

function notOurs(path: string, layout: CsvLayout): string {
  return `Output file ${path} does not start with the llm-batch CSV header (${csvHeaderLine(layout).trimEnd()}); appending would mix columns. ${USE_NEW_FILE}`;
}

/**
 * The layout of an existing results CSV, read from its header, to write its rows out again
 * (compact, merge) without losing schema or kept-field columns. Undefined for an empty file or a
 * header that is not ours (reading the rows then says what is wrong).
 */
export async function csvLayoutFromFile(path: string, escapeFormulas: boolean): Promise<CsvLayout | undefined> {
  const { parse } = await import('csv-parse');
  const parser = createReadStream(path).pipe(parse({ bom: true, to_line: 1, relax_column_count: true, relax_quotes: true }));
  let header: string[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      header = record;
      break;
    }
  } catch {
    return undefined;
  } finally {
    parser.destroy();
  }
  const shape = csvHeaderShape(header);
  return shape && layoutOfHeader(shape, escapeFormulas);
}
