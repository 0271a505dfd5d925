import { createReadStream } from 'node:fs';
import { RunError } from '../errors.js';
import { csvHeaderLine } from './csv-encode.js';
import { csvHeaderShape, layoutOfHeader, PLAIN_CSV, type CsvLayout } from './csv-layout.js';
import { peek } from './peek-file.js';
import { outputColumns, type OutputColumn } from '../structured/columns.js';
import { LEGACY_CSV_COLUMNS } from './csv-columns.js';

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
 * The layout to continue a CSV in: `wanted`, or `wanted` in the legacy layout when the file starts
 * with that header (written before CSV had timestamps and model/sample columns). The header
 * decides, so an old file keeps one shape and every older CSV stays resumable.
 */
export function csvLayoutOfFile(path: string, wanted: CsvLayout): CsvLayout {
  if (wanted.legacy) return wanted;
  const fields = wanted.outputColumns;
  const legacy: CsvLayout = { ...wanted, legacy: true, ...(fields ? { outputColumns: legacyFieldColumns(fields) } : {}) };
  const expected = Buffer.from(csvHeaderLine(legacy), 'utf8');
  return head(path, expected.length).subarray(0, expected.length).equals(expected) ? legacy : wanted;
}

/**
 * A schema's field columns as an older llm-batch named them: only the legacy result columns were
 * taken then, so a property named `sample` or `cached` had that column, not `output_sample`.
 */
function legacyFieldColumns(columns: readonly OutputColumn[]): readonly OutputColumn[] {
  if (columns.some((c) => c.property === '')) return columns;
  return outputColumns({ properties: Object.fromEntries(columns.map((c) => [c.property, {}])) }, LEGACY_CSV_COLUMNS);
}

/**
 * A CSV output being continued must be ours: checked before anything reads it as CSV, so a JSONL
 * file given `--format csv` gets this line rather than a CSV parser's complaint. A file that is a
 * torn start of the header (a crash while writing it) passes: the repair empties it.
 */
export function assertCsvHeader(path: string, layout: CsvLayout = PLAIN_CSV): void {
  const expected = Buffer.from(csvHeaderLine(layout), 'utf8');
  const start = head(path, expected.length);
  const torn = start.length < expected.length && expected.subarray(0, start.length).equals(start);
  if (!torn && !start.subarray(0, expected.length).equals(expected)) {
    throw new RunError(
      `Output file ${path} does not start with the llm-batch CSV header ` +
        `(${csvHeaderLine(layout).trimEnd()}); appending would mix columns. Use a new output file.`,
      'output',
    );
  }
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
