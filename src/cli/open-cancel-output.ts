import fs from 'node:fs';
import { UsageError } from '../errors.js';
import { openFileWriter, PLAIN_CSV, streamWriter, type CsvLayout, type RowWriter } from '../output/index.js';

/**
 * Where `llm-batch cancel` appends the answers the cancelled batches had finished: the run's -o.
 * A FIFO there (`mkfifo rows.jsonl`, the way --batch-api pipes its rows) is written only while a
 * reader has it open: opening it without one would wait for ever, before a single batch is
 * cancelled. It is asked without waiting (O_NONBLOCK: ENXIO when nobody reads) and refused so.
 */
export function openCancelOutput(output: string, format: 'jsonl' | 'csv', csv: CsvLayout | undefined): RowWriter {
  if (!fs.statSync(output, { throwIfNoEntry: false })?.isFIFO()) return openFileWriter(output, format, { append: true, csv });
  let probe: number;
  try {
    probe = fs.openSync(output, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw new UsageError(`cannot open ${output}: ${(err as Error).message}`);
    throw new UsageError(
      `${output} is a FIFO with nobody reading it, and the answers the batches finished go there: start its reader (e.g. cat ${output} > rest.jsonl &) and cancel again; nothing was cancelled`,
    );
  }
  // A reader is there, so a blocking open returns at once; the probe is held until then, or the
  // reader could see the end of the stream in between and leave.
  try {
    const fd = fs.openSync(output, 'a');
    return streamWriter(fs.createWriteStream('', { fd }), format, csv ?? PLAIN_CSV, { end: true });
  } finally {
    fs.closeSync(probe);
  }
}
