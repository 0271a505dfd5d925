import fs from 'node:fs';
import type { InputFormat } from '../input/input-options.js';
import { lineBreaksOf } from '../input/read-lines.js';

/**
 * Counts the records of an input file for a progress total, reading it once as a stream (memory stays
 * flat) while the run starts. Text and JSONL: lines with something other than whitespace, as the
 * readers count them. CSV: records after the header, by csv-parse, malformed ones included (each
 * becomes an error row). `onProgress` sees the running count. Rejects if the file cannot be read or
 * `signal` aborts; callers treat that as "no total".
 */
export async function countRecords(file: string, format: InputFormat, signal?: AbortSignal, onProgress?: (counted: number) => void): Promise<number> {
  const stream = fs.createReadStream(file, { signal, highWaterMark: HEAD_BYTES });
  return format === 'csv' ? countCsv(stream, onProgress) : countLines(stream, onProgress);
}

/** At least 4 bytes for each of LINE_BREAKS_HEAD_CHARS characters. */
const HEAD_BYTES = 1 << 20;

const isBlankByte = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0b || b === 0x0c;

async function countLines(stream: NodeJS.ReadableStream, onProgress?: (n: number) => void): Promise<number> {
  let records = 0;
  let lineHasText = false;
  let first = true;
  // A classic Mac file (a CR and no LF in its head) has its lines end at every CR too, as readLines splits it.
  let crBreaks = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let i = 0;
    // A UTF-8 byte order mark is not text.
    if (first && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    // The first chunk (1 MiB) holds the head that decides, as readLines counts it: characters, not bytes.
    if (first) crBreaks = lineBreaksOf(chunk.toString('utf8'), chunk.length < HEAD_BYTES) === 'cr';
    first = false;
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0x0a || (crBreaks && b === 0x0d)) {
        if (lineHasText) records++;
        lineHasText = false;
      } else if (!lineHasText && !isBlankByte(b)) {
        lineHasText = true;
      }
    }
    onProgress?.(records);
  }
  if (lineHasText) records++;
  return records;
}

async function countCsv(stream: NodeJS.ReadableStream, onProgress?: (n: number) => void): Promise<number> {
  const { parse } = await import('csv-parse');
  const parser = parse({
    bom: true,
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
  stream.on('error', (err) => parser.destroy(err));
  stream.pipe(parser);
  for await (const _ of parser) {
    if (++records % 4096 === 0) onProgress?.(Math.max(0, records - 1));
  }
  // The first record is the header.
  return Math.max(0, records - 1);
}
