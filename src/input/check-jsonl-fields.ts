import type { InputOptions } from './input-options.js';
import { fieldScanFor } from './jsonl-fields.js';
import { readLines } from './read-lines.js';
import { recordSource } from './replay-source.js';

/**
 * Reads the first rows of a JSONL input as the reader will (see JsonlFieldScan) and refuses, before
 * an output file or its metadata is created, a prompt, template or --id-field field that none of
 * them has, or lines none of which is a JSON object. Row 1 usually settles it: one chunk is read.
 * Returns the input whole again: the chunks read are replayed, then the rest is pulled one chunk at
 * a time, never ahead, so a pipe loses nothing (as checkCsvHeader does for a CSV header).
 */
export async function checkJsonlFields(input: AsyncIterable<string | Buffer>, options: InputOptions): Promise<AsyncIterable<string | Buffer>> {
  const source = recordSource(input);
  // The lines are split from a copy of what is read; stopping early must not close the source.
  const recorded: AsyncIterable<string | Buffer> = { [Symbol.asyncIterator]: () => ({ next: source.next }) };
  const lines = readLines(recorded, options.source);
  const scan = fieldScanFor(options, true);
  for (;;) {
    const next = await lines.next();
    if (next.done === true) {
      scan.finish();
      break;
    }
    if (next.value.text.trim() !== '' && scan.see(next.value.text, next.value.line)) break;
  }
  return source.replay();
}
