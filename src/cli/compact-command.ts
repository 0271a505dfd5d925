import fs from 'node:fs';
import { ExitCode, RunError } from '../errors.js';
import { compactResults, formatFromPath, openFileWriter, readRunMeta, streamWriter, type RowWriter } from '../output/index.js';
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
  let writer: RowWriter;
  if (out.kind === 'file') {
    if (fs.existsSync(out.path) && !config.overwrite)
      throw new RunError(`${out.path} already exists: pass --overwrite to replace it (nothing was changed)`, 'output');
    writer = openFileWriter(out.path, out.format, { append: false });
  } else {
    writer = streamWriter(io.stdout, out.kind === 'stdout' ? out.format : format);
  }
  const meta = readRunMeta(config.input.path);
  const runModel = typeof meta?.['model'] === 'string' ? meta['model'] : undefined;
  const result = await compactResults(config.input.path, format, writer, { escapedFormulas: escaped }, runModel);
  await writer.close();
  if (!config.quiet) io.stderr.write(`llm-batch: compacted ${result.rows} rows (${result.dropped} superseded rows dropped)\n`);
  return ExitCode.ok;
}
