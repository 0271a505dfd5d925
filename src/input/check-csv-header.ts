import type { CsvError, InfoRecord } from 'csv-parse';
import { InputError } from '../errors.js';
import { checkedDelimiter, planCsv } from './csv-row.js';
import type { InputOptions } from './input-options.js';
import { type RecordedSource, recordSource } from './replay-source.js';
import { readFailure } from './source.js';

/**
 * Reads a CSV input up to its header and checks it against the options (`--keep-fields`,
 * `--prompt-field`, `--id-field`, `--template`) as the reader will, so that a header that does not
 * fit is refused before an output file or its metadata is created. Returns the input whole again:
 * the chunks read are replayed, then the rest is pulled one chunk at a time, never ahead, so a pipe
 * loses nothing. An input that ends before a header (empty) is left to the reader, which says so.
 * csv-parse is loaded here, not with the module: the input layer's index is on every run's start-up
 * path, and csv-parse's graph of modules cost a .txt or .jsonl run ~20 ms of CPU.
 */
export async function checkCsvHeader(input: AsyncIterable<string | Buffer>, options: InputOptions): Promise<AsyncIterable<string | Buffer>> {
  const source = recordSource(input);
  const header = await readCsvHeader(source, options);
  if (header) planCsv(header.record, options, header.line);
  return source.replay();
}

/**
 * The first record of a CSV input, as the reader takes it (blank lines before it skipped, a quoted
 * name over several lines whole, names trimmed), and the line it starts on; undefined if the input
 * ends first. Reads `source` no further than that record. A header that does not parse throws.
 */
export async function readCsvHeader(
  source: RecordedSource<string | Buffer>,
  options: Pick<InputOptions, 'source' | 'csvDelimiter'>,
): Promise<{ record: string[]; line: number } | undefined> {
  const { parse } = await import('csv-parse');
  // Quotes as the reader takes them (relax_quotes: see csv-reader.ts).
  const parser = parse({
    bom: true,
    delimiter: checkedDelimiter(options),
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    info: true,
    raw: true,
    to: 1,
  });
  let header: { record: string[]; line: number } | undefined;
  let failure: CsvError | undefined;
  parser.on('data', (item: { record: string[]; info: InfoRecord; raw: string }) => {
    header ??= { record: item.record.map((name) => name.trim()), line: firstLine(item.info.lines, item.raw) };
  });
  parser.on('error', (err: CsvError) => (failure ??= err));
  const ended = new Promise<void>((resolve) =>
    parser
      .on('close', resolve)
      .on('end', resolve)
      .on('error', () => resolve()),
  );
  try {
    while (header === undefined && failure === undefined) {
      const next = await source.next();
      if (next.done) {
        parser.end();
        await ended;
        break;
      }
      parser.write(next.value);
      // csv-parse hands the record over on a later tick.
      await new Promise(setImmediate);
    }
  } catch (err) {
    throw readFailure(options.source, err);
  } finally {
    parser.destroy();
  }
  if (failure && !header) throw new InputError(`${options.source}:${headerStart(source.read)}: cannot parse the CSV header (${failure.message})`);
  return header;
}

/** The line a record starts on: csv-parse counts up to its end; blank lines before it are in `raw`. */
function firstLine(linesAtEvent: number, raw: string): number {
  const content = raw.replace(/^[\r\n]*/, '').replace(/(\r\n|\r|\n)$/, '');
  return linesAtEvent - (content.match(/\r\n|\r|\n/g)?.length ?? 0);
}

/** The line a header that does not parse starts on: after the blank lines csv-parse skips. */
function headerStart(chunks: ReadonlyArray<string | Buffer>): number {
  const blank = /^\uFEFF?[\r\n]*/.exec(chunks.map(String).join(''))?.[0] ?? '';
  return 1 + (blank.match(/\r\n|\r|\n/g)?.length ?? 0);
}
