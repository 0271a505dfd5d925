import fs from 'node:fs';
import { pipeline } from 'node:stream';
import { decodeInput, firstLineMaxFor, type InputEncoding } from '../input/decode-input.js';
import { readRecords } from '../input/index.js';
import type { InputFormat } from '../input/input-options.js';
import { LineBreakSniffer } from '../input/read-lines.js';

/**
 * Counts the records of an input file for a progress total, reading it once as a stream (memory stays
 * flat) while the run starts. The bytes are decoded as the run's are (see decodeInput: UTF-16 by its
 * byte order mark, --encoding's Latin-1), so a count rejects where the run's read would stop. Text and
 * JSONL: lines with something other than whitespace, as the readers' `trim` sees it (a no-break space
 * too). CSV: records after the header, by csv-parse, malformed ones included (each becomes an error
 * row), rows whose cells are all blank left out as the reader skips them. A `.json` array: its
 * elements, by its reader (it parses the file whole anyway). `onProgress` sees the running count.
 * Rejects if the file cannot be read or `signal` aborts; callers treat that as "no total".
 */
export async function countRecords(
  file: string,
  format: InputFormat,
  signal?: AbortSignal,
  onProgress?: (counted: number) => void,
  encoding?: InputEncoding,
  /** A CSV's field separator, when not a comma. */
  csvDelimiter?: string,
): Promise<number> {
  const stream = fs.createReadStream(file, { signal, highWaterMark: HEAD_BYTES });
  const text = decodeInput(stream, { source: file, encoding, firstLineMax: firstLineMaxFor(format) });
  if (format === 'csv') return countCsv(text, onProgress, csvDelimiter);
  if (format === 'json') return countJson(text, file);
  return countLines(text, onProgress);
}

const HEAD_BYTES = 1 << 20;

const isBlankByte = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0b || b === 0x0c;

/**
 * The length of the whitespace character other than ASCII that starts at `i` in UTF-8 `buf`, else 0:
 * what String#trim removes besides ASCII (U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000, U+FEFF). The decoded chunks hold whole characters.
 */
function wideSpaceAt(buf: Buffer, i: number): number {
  const b = buf[i]!;
  if (b === 0xc2) return buf[i + 1] === 0xa0 ? 2 : 0;
  const b1 = buf[i + 1];
  const b2 = buf[i + 2];
  if (b === 0xe1) return b1 === 0x9a && b2 === 0x80 ? 3 : 0;
  if (b === 0xe2 && b1 === 0x80) return b2 !== undefined && ((b2 >= 0x80 && b2 <= 0x8a) || b2 === 0xa8 || b2 === 0xa9 || b2 === 0xaf) ? 3 : 0;
  if (b === 0xe2) return b1 === 0x81 && b2 === 0x9f ? 3 : 0;
  if (b === 0xe3) return b1 === 0x80 && b2 === 0x80 ? 3 : 0;
  if (b === 0xef) return b1 === 0xbb && b2 === 0xbf ? 3 : 0;
  return 0;
}

async function countLines(chunks: AsyncIterable<Buffer>, onProgress?: (n: number) => void): Promise<number> {
  let records = 0;
  let lineHasText = false;
  // A classic Mac file has its lines end at every CR too, as readLines splits it (its head tells: see lineBreaksOf).
  const sniff = new LineBreakSniffer();
  let crBreaks: boolean | undefined;
  let held: Buffer[] = [];
  const count = (buf: Buffer) => {
    for (let i = 0; i < buf.length; ) {
      // The rest of a line with text is skipped to its end: one native search in an LF file.
      if (lineHasText && !crBreaks) {
        const nl = buf.indexOf(0x0a, i);
        if (nl === -1) return;
        records++;
        lineHasText = false;
        i = nl + 1;
        continue;
      }
      const b = buf[i]!;
      if (b === 0x0a || (crBreaks && b === 0x0d)) {
        if (lineHasText) records++;
        lineHasText = false;
        i++;
      } else if (lineHasText || isBlankByte(b)) {
        i++;
      } else {
        const wide = b >= 0x80 ? wideSpaceAt(buf, i) : 0;
        if (wide === 0) lineHasText = true;
        i += wide || 1;
      }
    }
  };
  for await (const chunk of chunks) {
    if (crBreaks === undefined) {
      const breaks = sniff.feed(chunk, false);
      if (breaks === undefined) {
        held.push(chunk);
        continue;
      }
      crBreaks = breaks === 'cr';
      for (const before of held) count(before);
      held = [];
    }
    count(chunk);
    onProgress?.(records);
  }
  if (crBreaks === undefined) {
    crBreaks = sniff.feed('', true) === 'cr';
    for (const before of held) count(before);
  }
  if (lineHasText) records++;
  return records;
}

async function countCsv(chunks: AsyncIterable<Buffer>, onProgress?: (n: number) => void, delimiter = ','): Promise<number> {
  const { parse } = await import('csv-parse');
  const parser = parse({
    bom: true,
    delimiter,
    skip_empty_lines: true,
    relax_column_count: true,
    // Records as the reader splits them (a quote inside an unquoted cell is text).
    relax_quotes: true,
    skip_records_with_error: true,
  });
  let records = 0;
  let lastSkipLine = -1;
  // A broken record can raise several errors that start on the same line: count it once.
  parser.on('skip', () => {
    if (parser.info.lines !== lastSkipLine) records++;
    lastSkipLine = parser.info.lines;
  });
  // The source's error (a bad byte) reaches the loop below through the parser.
  pipeline(chunks, parser, () => {});
  let columns: number | undefined;
  for await (const cells of parser as AsyncIterable<string[]>) {
    // The first record is the header.
    if (columns === undefined) columns = cells.length;
    // A row of blank cells (`,,,`) is no record to the reader, unless it has more cells than the header (an error row).
    else if (cells.length <= columns && cells.every((cell) => cell.trim() === '')) continue;
    else if (++records % 4096 === 0) onProgress?.(records);
  }
  return records;
}

async function countJson(text: AsyncIterable<Buffer>, source: string): Promise<number> {
  let records = 0;
  for await (const _ of readRecords(text, { source, format: 'json' })) records++;
  return records;
}
