import { pipeline } from 'node:stream';
import type { InfoRecord } from 'csv-parse';
import { InputError } from '../errors.js';
import type { PromptRecord } from '../types.js';
import { crlfToLf } from './crlf.js';
import { checkedDelimiter, csvRecord, planCsv, rowOf, type CsvPlan } from './csv-row.js';
import type { InputOptions, InputSource } from './input-options.js';
import { fallbackId } from './record-id.js';
import { guardSource, readFailure } from './source.js';
import { keptFields, problemRecord } from './to-record.js';
import { MAX_LINE_CHARS } from './read-lines.js';

/** What csv-parse yields with `info: true, raw: true`: cells keyed by their position (see `columns` below). */
interface ParsedRow {
  record: Record<number, string | undefined>;
  info: InfoRecord;
  raw: string;
}

/** A record csv-parse dropped (`skip_records_with_error`), queued until its place in the output comes up. */
interface Skipped {
  /** How many records had been emitted when it was dropped: it goes right after that many. */
  after: number;
  line: number;
  /** The last line known to belong to it (csv-parse may read on well past the error, e.g. after a stray quote). */
  lastLine: number;
  /** Blank lines csv-parse skipped just before it. */
  blankBefore: number;
  raw: string;
  message: string;
  /** A broken header cannot be a row problem: the next row would silently become the header. */
  inHeader: boolean;
}

/**
 * CSV with a header row, parsed by csv-parse as a stream. The pipeline's backpressure keeps memory flat:
 * csv-parse holds at most a handful of parsed rows, and the source is only read as rows are pulled.
 *
 * A malformed record (bad quoting…) becomes one problem record and parsing continues; csv-parse reports
 * those through the 'skip' event, out of band, so they are queued and merged back in input order using
 * its record counter.
 */
// Long by choice: the parser's events and the merge of its out-of-band problems share its state.
export async function* readCsvRecords(input: InputSource, options: InputOptions): AsyncGenerator<PromptRecord> {
  // Loaded only for CSV input (csv-parse's modules are not on the start-up path of other runs).
  const delimiter = checkedDelimiter(options);
  const { parse } = await import('csv-parse');
  const { source } = options;
  let header: string[] | undefined;
  const parser = parse({
    // Header names are trimmed: `id, title, body` is common and the spaces are never meant. csv-parse
    // keys its rows by position: it would build them as plain objects, where a column named `__proto__`
    // is lost and two unnamed ones are one key (see rowOf).
    columns: (names: string[]) => {
      header = names.map((name) => name.trim());
      return names.map((_, i) => String(i));
    },
    bom: true,
    delimiter,
    skip_empty_lines: true,
    relax_column_count: true,
    // A quote inside an unquoted cell (`1,5" screen,foo`) is text, as Python's csv module and spreadsheets
    // read it; so is a quoted cell closed before other text (`"say "hi" to me"`, quotes and all): no
    // text is lost and the record ends at its own line. A cell left open to the end is still an error.
    relax_quotes: true,
    skip_records_with_error: true,
    // A record as long as a text line may be (see the 'skip' handler): a bigger one is the wrong file,
    // read whole it would take gigabytes, or pass V8's longest string and fail with no line. csv-parse
    // counts it in bytes of UTF-8, where a line is counted in characters: the message says bytes.
    max_record_size: MAX_LINE_CHARS,
    info: true,
    raw: true,
  });

  const skipped: Skipped[] = [];
  let lastSkipped: Skipped | undefined;
  /**
   * A record past max_record_size, and how many records came before it. Not one to skip: csv-parse
   * would drop the rest of every chunk after it. The input stops there, the records before it are
   * read, and then it ends the input as an over-long line ends a text one.
   */
  let tooLong: { error: InputError; after: number } | undefined;
  parser.on('skip', (err: Error & { code?: string }, raw: string | undefined) => {
    if (tooLong) return; // what csv-parse says of the rest (a quote left open) is about no record of the file
    const span = spanOf(parser.info.lines, raw ?? '');
    if (err.code === 'CSV_MAX_RECORD_SIZE') {
      const error = new InputError(`${source}:${span.line}: record is longer than ${MAX_LINE_CHARS} bytes; is this the right file and format?`);
      tooLong = { error, after: parser.info.records };
      return;
    }
    // csv-parse may report several errors for one broken record (a stray quote can swallow the following
    // lines); they share a start line. The first error is the root cause; later ones only extend the span.
    if (lastSkipped !== undefined && lastSkipped.line === span.line) {
      lastSkipped.lastLine = Math.max(lastSkipped.lastLine, span.lastLine);
      return;
    }
    lastSkipped = { after: parser.info.records, ...span, message: err.message, inHeader: header === undefined };
    skipped.push(lastSkipped);
  });

  // Errors reach us through the parser (pipeline destroys it with the source's error); the callback only
  // keeps an early `return()` by the consumer, which closes the pipeline, from being an unhandled error.
  // A source that fails part-way (a bad byte on a pipe) ends the parse there, and its error is thrown
  // once the rows before it are read: destroying the parser with it would drop the rows it holds.
  let failure: unknown;
  async function* endAtFailure(): AsyncGenerator<string | Buffer> {
    try {
      for await (const chunk of input as AsyncIterable<string | Buffer>) {
        if (tooLong) return;
        yield chunk;
      }
    } catch (err) {
      failure = err;
    }
  }
  pipeline(endAtFailure(), crlfToLf(), parser, () => {});

  let plan: CsvPlan | undefined;
  const planned = (): CsvPlan => {
    if (header === undefined) throw new InputError(`${source}: empty CSV: a header row is required`);
    return (plan ??= planCsv(header, options));
  };
  /**
   * Yields the dropped records that came before record number `upTo + 1`. `nextStart` is the first line
   * of what follows them (undefined at the end of input): everything before it belongs to the last one,
   * and saying so is how the user learns which rows a broken record absorbed.
   */
  function* drain(upTo: number, nextStart: number | undefined): Generator<PromptRecord> {
    for (let next = skipped[0]; next !== undefined && next.after <= upTo; next = skipped[0]) {
      skipped.shift();
      if (next.inHeader) throw new InputError(`${source}:${next.line}: cannot parse the CSV header (${next.message})`);
      planned();
      const following = skipped[0]?.after === next.after ? skipped[0] : undefined;
      const end = following !== undefined ? following.line - following.blankBefore : nextStart;
      const lastLine = Math.max(next.lastLine, end === undefined ? 0 : end - 1);
      const what = lastLine > next.line ? `malformed CSV record spanning lines ${next.line}-${lastLine}` : 'malformed CSV row';
      yield problemRecord({ source, line: next.line, id: fallbackId(next.line, next.raw) }, `${what} (${next.message})`);
    }
  }

  for await (const item of guardSource(parser as AsyncIterable<ParsedRow>, source)) {
    // The part of the over-long record csv-parse hands on when the input ends: no record of the file.
    if (tooLong && item.info.records > tooLong.after) break;
    const span = spanOf(item.info.lines, item.raw);
    yield* drain(item.info.records - 1, span.line - span.blankBefore);
    // A record over several lines that only relax_quotes could read: a quote left open on one line
    // (`1,"Great product`) took the rows after it, up to a later line whose quote it read as the close.
    // Sent, it was one prompt of five rows' text and the other rows had none, exit 0.
    if (span.lastLine > span.line && relaxedAcrossLines(item.record, item.raw)) {
      planned();
      yield problemRecord(
        { source, line: span.line, id: fallbackId(span.line, span.raw) },
        `malformed CSV record spanning lines ${span.line}-${span.lastLine} (a quote opened in one row closes in a later one, taking the rows between: double the quotes inside a quoted cell)`,
      );
      continue;
    }
    // `cat part-*.csv`: each part's header after the first is a row, and was sent as a prompt ("title — body").
    if (repeatsHeader(item.record, header!)) {
      planned();
      yield problemRecord(
        { source, line: span.line, id: fallbackId(span.line, span.raw) },
        'this row repeats the header row (CSV files joined with cat? drop the header of every file but the first)',
      );
      continue;
    }
    const row = rowOf(planned(), item.record);
    const record = csvRecord(planned(), row, span.line, item.info.index, options);
    if (record !== undefined && options.keepFields !== undefined) record.fields = keptFields(row, options.keepFields);
    if (record !== undefined) yield record;
  }
  if (failure !== undefined) throw readFailure(source, failure);
  yield* drain(tooLong?.after ?? Infinity, undefined);
  if (tooLong) throw tooLong.error;
  // A header with no rows is still checked; an empty file is an input with no prompts, which the run
  // reports as such (exit 5), like an empty text file.
  if (header !== undefined) planned();
}

/** Whether a row's cells are the header's names, one for one (a byte order mark at its start aside), of two columns or more. */
function repeatsHeader(record: Record<number, string | undefined>, header: readonly string[]): boolean {
  // One column: a row whose text is its name (`text`) is as likely data.
  if (header.length < 2) return false;
  return header.every((name, i) => (record[i] ?? '').replace(/^\uFEFF/, '').trim() === name.replace(/^\uFEFF/, '')) && record[header.length] === undefined;
}

/**
 * Whether a cell over several lines is a quoted one relax_quotes took as written, opening quote and
 * all: its text stands in the record's as it is, where a well-quoted cell's loses its quotes and
 * halves the doubled ones. A quote in an unquoted cell (`5" screen`) beside a well-quoted cell over
 * two lines is no such cell.
 */
function relaxedAcrossLines(record: Record<number, string | undefined>, raw: string): boolean {
  for (const value of Object.values(record)) {
    if (value?.startsWith('"') && value.includes('\n') && raw.includes(value) && !raw.includes(quoted(value))) return true;
  }
  return false;
}

/**
 * A cell as CSV quotes it. A well-quoted cell whose text starts with a quote (`"""Quoted\nnext"`,
 * text `"Quoted\nnext`) stands in the record's text as it is too, but quoted, as written.
 */
const quoted = (value: string): string => `"${value.replaceAll('"', '""')}"`;

/**
 * Where a record lies. csv-parse's `info.lines` is the line it had reached at the event (the record's last
 * line so far), and `raw` is the text it consumed for the record: blank lines it skipped before it, its
 * content, and possibly one trailing line break, which `info.lines` does not include yet (csv-parse counts
 * a break when it reads the character after it). Counting breaks inside the content gives the first line;
 * this is exact because CRLF was normalised to LF before parsing.
 */
function spanOf(linesAtEvent: number, raw: string): { line: number; lastLine: number; blankBefore: number; raw: string } {
  const blank = /^[\r\n]*/.exec(raw)?.[0].length ?? 0;
  const content = raw.slice(blank).replace(/[\r\n]$/, '');
  let breaks = 0;
  for (const ch of content) if (ch === '\n' || ch === '\r') breaks++;
  return { line: linesAtEvent - breaks, lastLine: linesAtEvent, blankBefore: blank, raw: content };
}
