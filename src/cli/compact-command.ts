import fs from 'node:fs';
import { ExitCode, RunError } from '../errors.js';
import {
  compactResults,
  csvLayoutFromFile,
  formatFromPath,
  openFileWriter,
  PLAIN_CSV,
  readRunMeta,
  streamWriter,
  type CsvLayout,
  type RowWriter,
} from '../output/index.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';

/** `--compact`: rewrites a results file keeping the last row per answer (id, model, sample), to -o or stdout. */
export async function runCompact(config: CliConfig, io: CliIo): Promise<number> {
  if (config.input.kind !== 'file') throw new RunError('--compact needs a results file as input, not stdin', 'usage');
  const format = formatFromPath(config.input.path) === 'csv' ? 'csv' : 'jsonl';
  if (!fs.existsSync(config.input.path)) throw new RunError(`cannot read input file ${config.input.path}: no such file`, 'input');
  // A CSV written with --csv-escape-formulas says so in its metadata; its cells are read back unescaped.
  const escaped = format === 'csv' && readRunMeta(config.input.path)?.['csvEscapeFormulas'] === true;
  const out = config.output;
  const layout = await compactLayout(config.input.path, format, escaped);
  let writer: RowWriter;
  if (out.kind === 'file') {
    if (fs.existsSync(out.path) && !config.overwrite)
      throw new RunError(`${out.path} already exists: pass --overwrite to replace it (nothing was changed)`, 'output');
    writer = openFileWriter(out.path, out.format, { append: false, csv: layout });
  } else {
    writer = streamWriter(io.stdout, out.kind === 'stdout' ? out.format : format, layout);
  }
  const meta = readRunMeta(config.input.path);
  const runModel = typeof meta?.['model'] === 'string' ? meta['model'] : undefined;
  // A CSV copied to JSONL gets the answers typed, as the run's own JSONL has them.
  const typedOutput = (out.kind === 'terminal' ? format : out.format) !== 'csv';
  const result = await compactResults(config.input.path, format, writer, { escapedFormulas: escaped, typedOutput }, runModel);
  await writer.close();
  if (!config.quiet) io.stderr.write(`llm-batch: compacted ${result.rows} rows (${result.dropped} superseded rows dropped)\n`);
  return ExitCode.ok;
}

/**
 * A CSV's schema-field and kept-field columns carry over, so compacting loses no cell; the copy is
 * in the current layout (an old file gains the timestamp and model/sample columns, empty), but for
 * `cached_tokens`: a file that never had it keeps lacking it, so the copy's report still says that
 * its cached input is not known rather than pricing every input token in full unannounced.
 */
async function compactLayout(file: string, format: 'jsonl' | 'csv', escaped: boolean): Promise<CsvLayout> {
  const own = format === 'csv' ? await csvLayoutFromFile(file, escaped) : undefined;
  if (!own) return PLAIN_CSV;
  const { legacy, ...current } = own;
  return legacy ? { ...current, noCachedTokens: true } : current;
}
