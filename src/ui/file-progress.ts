import { foregroundCheck } from './foreground.js';
import { toAscii } from './plain-text.js';
import { sanitizeName } from '../util/sanitize.js';
import { screenedStream, type StatusLine } from './screen.js';
import { duration } from './number-format.js';

/** Frames at most this often: a few a second reads as moving without costing the pass anything. */
export const FRAME_MS = 250;

/**
 * A pass over this many bytes shows its line at once; a smaller one only once it has lasted
 * {@link FRAME_MS}: most end sooner, and a line drawn and erased at once would only flicker.
 */
export const MIN_PROGRESS_BYTES = 8 * 1024 * 1024;

/** The ETA waits for this much of a pace: the first blocks read say little about the rest. */
const ETA_AFTER_MS = 1000;

/**
 * `reading out.jsonl: 28%`, with the time left once the pace is known (`, 1m10s left`), or the label
 * alone for a step with no byte count. More than the total (a file that grew since) is 100%.
 */
export function progressText(label: string, done: number, total: number | undefined, elapsedMs = 0): string {
  if (total === undefined) return label;
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const left = elapsedMs >= ETA_AFTER_MS && fraction > 0 && fraction < 1 ? `, ${duration(((1 - fraction) * elapsedMs) / fraction / 1000)} left` : '';
  return `${label}: ${Math.floor(fraction * 100)}%${left}`;
}

/**
 * `text` cut to at most `width` columns, ending in `ellipsis` when cut. A character beyond ASCII counts
 * as two (a wide one may be): never too wide, so the line never wraps, where `\r` and an erase would
 * leave its first part. Cheaper than measuring (string-width's tables cost ~20 ms to load).
 */
export function fit(text: string, width: number, ellipsis: string): string {
  const columns = (ch: string) => (ch < '\x7f' ? 1 : 2);
  let used = 0;
  for (const ch of text) used += columns(ch);
  if (used <= width) return text;
  let out = '';
  used = 0;
  for (const ch of ellipsis) used += columns(ch);
  for (const ch of text) {
    if (used + columns(ch) > width) break;
    out += ch;
    used += columns(ch);
  }
  return `${out}${ellipsis}`;
}

/** A long pass over a file (a report's reads; a merge's, a compaction's) shown as it goes. */
export interface FileProgress extends StatusLine {
  /**
   * A new step: `reading out.jsonl` over `total` bytes (see {@link MIN_PROGRESS_BYTES} for when it
   * shows), or, without a total, a step that has no count (`writing the report`), shown while the line is up.
   */
  phase(label: string, total?: number): void;
  /** `bytes` more of the step's total are done; the line is redrawn at most every {@link FRAME_MS}. */
  advance(bytes: number): void;
  /** Erases the line for good (the work is done, or failed: what is said next starts a clean line). */
  done(): void;
}

export interface FileProgressOptions {
  /** The terminal's width now, in columns: the line is cut to fit, or its erase would miss a wrapped part. */
  columns: () => number;
  /** A locale that is not UTF-8: ASCII stand-ins, as the run's lines get. */
  ascii?: boolean;
  now?: () => number;
  /** Whether the terminal is ours to draw on (not a background job's). */
  foreground?: () => boolean;
}

/**
 * One status line at the bottom of a terminal's stderr, redrawn in place (`\r`, erase to the end of
 * the line) and erased when done. Only for an interactive terminal (the caller asks: none off a
 * terminal, under -q, or with TERM=dumb). It has no colour, so NO_COLOR changes nothing in it. As a
 * {@link StatusLine}, a Screen keeps other messages above it.
 */
export function createFileProgress(stderr: NodeJS.WritableStream & { isTTY?: boolean; fd?: number }, options: FileProgressOptions): FileProgress {
  const { columns, ascii = false, now = () => performance.now(), foreground = foregroundCheck(stderr, now) } = options;
  let label = '';
  let total: number | undefined;
  let done = 0;
  /** Whether this step is shown: a count past the threshold or lasting a frame, or a step after one that was. */
  let shown = false;
  let startedAt = 0;
  let drawnAt = -Infinity;
  let line = '';
  const text = () => {
    // The figures kept whole, the label cut; one column short of the width: a line that fills it
    // wraps the cursor on some terminals.
    const figures = progressText('', done, total, now() - startedAt);
    const width = Math.max(1, columns() - 1 - figures.length);
    const name = sanitizeName(label);
    return ascii ? fit(toAscii(name), width, '...') + figures : fit(name, width, '…') + figures;
  };
  /** The erase of the line drawn, if any; the line counts as gone. */
  const erase = (): string => {
    // Sent to the background since it was drawn: the line is the shell's now, not ours to erase.
    const erased = line && foreground() ? '\r\x1b[K' : '';
    line = '';
    return erased;
  };
  const clear = () => {
    const erased = erase();
    if (erased) stderr.write(erased);
  };
  const draw = () => {
    // The erase and the new line in one write: a stop (Ctrl-Z) between them, then `bg`, drew the
    // line over the shell's prompt.
    const erased = erase();
    drawnAt = now();
    if (shown && foreground()) line = text();
    if (erased || line) stderr.write(erased + line);
  };
  return {
    phase(next, bytes) {
      label = next;
      total = bytes;
      done = 0;
      // A step with no count keeps the line up only when one is there already (the long passes drew it).
      shown = bytes === undefined ? line !== '' : bytes >= MIN_PROGRESS_BYTES;
      startedAt = now();
      draw();
    },
    advance(bytes) {
      done += bytes;
      if (now() - drawnAt < FRAME_MS) return;
      if (!shown && total !== undefined) shown = true;
      if (shown) draw();
    },
    done() {
      clear();
      shown = false;
    },
    clear,
    redraw() {
      if (shown && foreground()) {
        line = text();
        stderr.write(line);
      }
    },
  };
}

/**
 * `stream` with the progress line erased before each write, so that a message (an interrupt's, said
 * as the process ends) starts a clean line rather than the end of the line drawn. The next frame
 * draws the line again, below it. Each write must be whole lines.
 */
export function aboveProgress<S extends NodeJS.WritableStream & { isTTY?: boolean; fd?: number }>(stream: S, progress: FileProgress): S {
  return screenedStream(stream, (text) => {
    progress.clear();
    return stream.write(text);
  }) as S;
}

/** Work that reads a known number of bytes (a merge, a compaction) as one step of a line. */
export interface ReadProgress {
  /** `bytes` more were read. */
  add(bytes: number): void;
  /** Erases the line, if drawn; add() draws nothing after. Idempotent. */
  done(): void;
  /** Erases the line for a message to take its place; the next add() draws it again. */
  clear(): void;
}

/** Makes the progress line of one piece of work: what it does (`compacting out.jsonl`) and the bytes it reads in all. */
export type ReadProgressFactory = (label: string, total: number) => ReadProgress;

/**
 * A {@link FileProgress} of one step, on `stderr`, which the caller has found to be a terminal ours
 * to draw on (not under -q). The caller calls done() before it writes anything else.
 */
export function readProgress(
  stderr: NodeJS.WritableStream & { isTTY?: boolean; fd?: number; columns?: number },
  label: string,
  total: number,
  options: Omit<FileProgressOptions, 'columns'> = {},
): ReadProgress {
  const progress = createFileProgress(stderr, { columns: () => stderr.columns || 80, ...options });
  progress.phase(label, total);
  let finished = false;
  return {
    add(bytes) {
      if (!finished) progress.advance(bytes);
    },
    done() {
      finished = true;
      progress.done();
    },
    clear: () => progress.clear(),
  };
}
