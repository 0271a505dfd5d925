import { closeSync, rmSync } from 'node:fs';
import { RunError } from '../errors.js';
import { errorMessage } from '../util/error-message.js';
import { openReplacementTemp } from '../util/replacement-temp.js';
import type { CsvLayout } from './csv-layout.js';
import type { OutputFormat } from './output-format.js';
import { openFileWriter, type RowWriter } from './row-writer.js';

/**
 * A writer of rows into `tmp`, the temp file that will be renamed over `replaced` (`merge -o`,
 * `--compact`): made as openReplacementTemp makes it (anew, with the mode of the file it replaces),
 * then opened for rows. Throws RunError('output') as openFileWriter does, the temp file removed.
 */
export function openTempRowWriter(tmp: string, replaced: string, format: OutputFormat, csv?: CsvLayout): RowWriter {
  try {
    closeSync(openReplacementTemp(tmp, replaced));
  } catch (err) {
    throw new RunError(`Cannot open output file ${tmp}: ${errorMessage(err)}`, 'output');
  }
  try {
    return openFileWriter(tmp, format, { append: false, ...(csv ? { csv } : {}) });
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
