import { decodeInput, firstLineMaxFor, type InputEncoding } from '../input/decode-input.js';
import { readLineBatches } from '../input/read-lines.js';
import type { CliConfig } from './config.js';

export interface InputDecoding {
  encoding: InputEncoding | undefined;
  firstLineMax?: number | undefined;
}

/**
 * How the run's input is decoded wherever it is read (the run, its fingerprint, a stdin file's
 * check): its --encoding, and the first line's cap of its format (see decodeInput).
 */
export const inputDecoding = (config: CliConfig): { encoding: InputEncoding | undefined; firstLineMax: number | undefined } => ({
  encoding: config.data.encoding,
  firstLineMax: firstLineMaxFor(config.inputFormat),
});

/**
 * Reads an input's bytes through as the run will, for what would stop it: its encoding (see
 * decodeInput) and, in a format read line by line, a line over the cap (readLineBatches). Done
 * before the first request, so that a bad line deep in the file refuses the run, not after the run
 * has paid for the lines before it (and an --overwrite has replaced the old results), with a
 * --resume that the fixed file's new fingerprint then refuses.
 */
export async function checkInputText(bytes: AsyncIterable<Buffer>, source: string, decoding: InputDecoding): Promise<void> {
  const text = decodeInput(bytes, { source, ...decoding });
  if (decoding.firstLineMax === undefined) {
    for await (const _ of text);
    return;
  }
  try {
    for await (const _ of readLineBatches(text, source));
  } catch (err) {
    // A read that failed (EMFILE under a low ulimit -n) as the bytes' own error, which the caller
    // words (see readFailure): not as the "cannot read input" the line reader's guard makes of it.
    const cause = (err as { cause?: unknown }).cause;
    throw cause !== undefined && typeof (cause as NodeJS.ErrnoException).code === 'string' ? cause : err;
  }
}
