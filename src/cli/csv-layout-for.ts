import fs from 'node:fs';
import { peek } from '../output/peek-file.js';
import { UsageError } from '../errors.js';
import { PLAIN_CSV, type CsvLayout } from '../output/index.js';
import { csvHeaderColumns } from '../output/csv-layout.js';
import { escapeCell } from '../output/csv-columns.js';
import type { OutputColumn } from '../structured/columns.js';
import { writesCsv, type CliConfig } from './config.js';
import { answerColumnsFor } from './answer-columns.js';
import { inputReadAhead } from './input-read-ahead.js';
import { openFileInput } from './open-input.js';
import { readCsvHeader } from '../input/check-csv-header.js';
import { recordSource } from '../input/replay-source.js';

/**
 * The header of a CSV file as the run will read it: opened and decoded as its input is (--encoding,
 * a BOM), blank lines before it skipped, a quoted name over several lines whole. Read raw, its first
 * physical line made a column named "" of blank lines, nothing of a name with a line break, and
 * `caf\uFFFD` of a Latin-1 name: kept columns the rows never filled. A file that cannot be read or
 * parsed has none here; the run's own read says why.
 */
async function csvHeaderOf(file: string, config: CliConfig): Promise<string[]> {
  let input: Awaited<ReturnType<typeof openFileInput>> | undefined;
  try {
    input = await openFileInput(config, file);
    return (await readCsvHeader(recordSource(input.stream), { source: file, csvDelimiter: config.csvDelimiter }))?.record ?? [];
  } catch {
    return [];
  } finally {
    await input?.close();
  }
}

/**
 * The columns a CSV output has: kept input fields must be known before the header is written, so
 * `--keep-fields all` with CSV output needs a CSV input file whose header names them, or text input
 * (a line's one field, `prompt`); likewise the `tool_calls` / `logprobs` columns of a run that asks
 * for them (see answer-columns.ts).
 */
export async function csvLayoutFor(config: CliConfig): Promise<CsvLayout> {
  const csvOut = writesCsv(config);
  const layout = await keptLayout(config, csvOut);
  const answerColumns = csvOut ? await answerColumnsFor(config) : [];
  return answerColumns.length > 0 ? { ...layout, answerColumns } : layout;
}

/**
 * The layout with a schema's fields as columns of their own, right after id (a resume checks for
 * them). With --csv-escape-formulas, a header cell that a spreadsheet would run as a formula (an
 * input column or a schema property named `=HYPERLINK(…)`) is refused before anything is sent:
 * cells are escaped, but a header is written as it is, since resume, merge and report find the
 * columns by their names.
 */
export function withFieldColumns(config: CliConfig, layout: CsvLayout, structured: { csvColumns: OutputColumn[] } | undefined): CsvLayout {
  const csv = structured ? { ...layout, outputColumns: structured.csvColumns } : layout;
  if (!csv.escapeFormulas || !writesCsv(config) || headerWritten(config)) return csv;
  const formula = csvHeaderColumns(csv).find((name) => escapeCell(name) !== name);
  if (formula === undefined) return csv;
  const cells = 'cells are escaped, but not header cells, which name the columns a resume reads';
  if (csv.outputColumns?.some((c) => c.column === formula)) {
    throw new UsageError(
      `--csv-escape-formulas: the output's header would start a formula, ${JSON.stringify(formula)} (a property of the schema): ${cells}; rename the property`,
    );
  }
  const of = config.input.kind === 'file' ? `a column of ${config.input.path}` : 'a column of the input';
  throw new UsageError(
    `--csv-escape-formulas: the output's header would start a formula, ${JSON.stringify(formula)} (${of}): ${cells}; rename the column, or name the fields to keep (--keep-fields a,b)`,
  );
}

/**
 * A resume of an output that has its header already, a whole line: refusing the header then protects
 * nothing, and left the file no way on (renamed, the property is another run's). A header cut short
 * (`id,li`) is written again by the resume: checked as a new one.
 */
function headerWritten(config: CliConfig): boolean {
  if (!config.resume || config.output.kind !== 'file') return false;
  if (!(fs.statSync(config.output.path, { throwIfNoEntry: false })?.isFile() ?? false)) return false;
  return peek(config.output.path, 0, HEADER_PEEK_BYTES).includes(0x0a);
}

/** Far beyond any header's first line: one kept field per column of a wide CSV. */
const HEADER_PEEK_BYTES = 1 << 20;

async function keptLayout(config: CliConfig, csvOut: boolean): Promise<CsvLayout> {
  const keep = config.data.keepFields;
  const escapeFormulas = config.data.csvEscapeFormulas;
  if (keep !== 'all') return keep.length === 0 && !escapeFormulas ? PLAIN_CSV : { escapeFormulas, keptFields: keep };
  if (!csvOut) return { escapeFormulas, keptFields: [] };
  // A text line's one field is its text (see checkTextFields).
  if (config.inputFormat === 'txt') return { escapeFormulas, keptFields: ['prompt'] };
  if (config.input.kind !== 'file' || config.inputFormat !== 'csv') {
    throw new UsageError(
      `--keep-fields all with CSV output needs the input's fields before the run: a CSV input file (its header) or text input; ${fieldsUnknown(config)}: name the fields instead: --keep-fields a,b`,
    );
  }
  // The header is read before the run reads the file: a pipe would lose its rows to that read.
  const readAhead = await inputReadAhead(config);
  // A missing file: the run's open of it says so.
  if (readAhead === 'missing') return { escapeFormulas, keptFields: [] };
  if (readAhead === 'stream') {
    throw new UsageError(
      `--keep-fields all with CSV output needs a regular CSV input file (its header is read before the run); ${config.input.path} is a pipe or device, read only once: name the fields instead: --keep-fields a,b`,
    );
  }
  return { escapeFormulas, keptFields: await csvHeaderOf(config.input.path, config) };
}

/** Why an input other than a CSV file or text tells its fields only as its rows are read. */
function fieldsUnknown(config: CliConfig): string {
  const format = config.inputFormat;
  if (format === 'jsonl' || format === 'json') return `${format.toUpperCase()} rows each have their own`;
  if (config.input.kind === 'file') return `the format of ${config.input.path} is known only from its rows (--input-format csv or txt names it)`;
  if (format === 'csv') return 'the header of standard input cannot be read before the run, which reads it only once';
  return 'the format of standard input is known only from its rows (text: --input-format txt)';
}
