import { shownAnswer } from '../ui/plain-text.js';
import { screenedStream } from '../ui/screen.js';

type Writable = NodeJS.WritableStream & { isTTY?: boolean; fd?: number };

/**
 * The stream rows are written to, made safe for a terminal when it is one: an answer is the model's
 * text, and an escape sequence, CR or bidi control in it would act on the terminal (retitle the
 * window, clear the screen, overwrite or reorder a line) whatever the format (`-f text` and `-f csv`
 * write it raw, JSONL escapes C0 controls but not C1 or the bidi controls). There they are shown as
 * `�`, as the answer printer shows them (see sanitize). A file or a pipe gets the rows' bytes as
 * they are: rows are data. `terminal`: for a stream that cannot say (one opened on `-o /dev/tty`).
 * `ascii`: the locale is not UTF-8 (see localeIsAscii), where `?` stands for that `�`, as in the
 * answer printer's text.
 */
export function terminalSafeRows<S extends Writable>(stream: S, terminal = stream.isTTY === true, ascii = false): S {
  if (!terminal) return stream;
  // Row writers write whole rows, so no escape sequence is ever split between two writes.
  return screenedStream(stream, (text) => stream.write(shownAnswer(text, ascii))) as S;
}
