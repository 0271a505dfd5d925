import { decodeInput, firstLineMaxFor, type InputEncoding } from '../input/decode-input.js';
import { readLineBatches } from '../input/read-lines.js';
import type { CliConfig } from './config.js';

export interface InputDecoding {
  encoding: InputEncoding | undefined;
  firstLineMax?: number | undefined;
  /**
   * The format is told by the text (no extension, stdin without --input-format): a JSON array is read
   * whole, anything else line by line (see sniffFormat), so the check reads lines unless it is one.
   */
  sniffed?: boolean;
}

/**
 * How the run's input is decoded wherever it is read (the run, its fingerprint, a stdin file's
 * check): its --encoding, and the first line's cap of its format (see decodeInput).
 */
export const inputDecoding = (config: CliConfig): { encoding: InputEncoding | undefined; firstLineMax: number | undefined } => ({
  encoding: config.data.encoding,
  firstLineMax: firstLineMaxFor(config.inputFormat),
});

/** {@link inputDecoding} for the check before sending ({@link checkInputText}). */
export const inputCheck = (config: CliConfig): InputDecoding => ({ ...inputDecoding(config), sniffed: config.inputFormat === 'auto' });

/**
 * Reads an input's bytes through as the run will, for what would stop it: its encoding (see
 * decodeInput) and, in a format read line by line, a line over the cap (readLineBatches). Done
 * before the first request, so that a bad line deep in the file refuses the run, not after the run
 * has paid for the lines before it (and an --overwrite has replaced the old results), with a
 * --resume that the fixed file's new fingerprint then refuses.
 */
export async function checkInputText(bytes: AsyncIterable<Buffer>, source: string, decoding: InputDecoding): Promise<void> {
  const { sniffed, ...decode } = decoding;
  const text = decodeInput(bytes, { source, ...decode });
  const lines = decoding.firstLineMax !== undefined ? text : sniffed ? await unlessJsonArray(text) : undefined;
  if (lines === undefined) {
    for await (const _ of text);
    return;
  }
  try {
    for await (const _ of readLineBatches(lines, source));
  } catch (err) {
    // A read that failed (EMFILE under a low ulimit -n) as the bytes' own error, which the caller
    // words (see readFailure): not as the "cannot read input" the line reader's guard makes of it.
    const cause = (err as { cause?: unknown }).cause;
    throw cause !== undefined && typeof (cause as NodeJS.ErrnoException).code === 'string' ? cause : err;
  }
}

/** Blanks and a byte order mark, which come before the text that tells the format. */
const LEADING = new Set([0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf]);

/**
 * `text` again from its start, unless its first character past blanks is `[`: a JSON array, which
 * the run reads whole (undefined then, the rest of `text` left to read).
 */
async function unlessJsonArray(text: AsyncGenerator<Buffer>): Promise<AsyncIterable<Buffer> | undefined> {
  const head: Buffer[] = [];
  for (;;) {
    const next = await text.next();
    if (next.done) break;
    head.push(next.value);
    const first = next.value.findIndex((byte) => !LEADING.has(byte));
    if (first === -1) continue;
    if (next.value[first] === 0x5b) return undefined;
    break;
  }
  return (async function* () {
    yield* head;
    yield* { [Symbol.asyncIterator]: () => text };
  })();
}
