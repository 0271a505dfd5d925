import { foregroundCheck } from './foreground.js';
import { toAscii } from './plain-text.js';
import { sanitizeName } from './sanitize.js';
import { screenedStream, type StatusLine } from './screen.js';
import { count } from './number-format.js';

/** Frames at most this often: a few a second reads as moving without costing the pass anything. */
export const FRAME_MS = 250;

/**
 * Passes over fewer bytes than this show no line: they end in about a second, and a line drawn and
 * erased at once would only flicker.
 */
export const MIN_PROGRESS_BYTES = 8 * 1024 * 1024;

const UNITS: ReadonlyArray<[number, string]> = [
  [1e12, 'TB'],
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'kB'],
];

/**
 * `1.2 GB of 3.4 GB`: both in the total's unit (decimal, as the report's "68.2 MB" is), one decimal,
 * so that the figure moving is the only thing that changes.
 */
export function bytesOfTotal(done: number, total: number): string {
  const [scale, unit] = UNITS.find(([scale]) => total >= scale) ?? [1, 'bytes'];
  const shown = (n: number) => (scale === 1 ? count(n) : (n / scale).toFixed(1));
  return `${shown(Math.min(done, total))} ${unit} of ${shown(total)} ${unit}`;
}

/** `reading out.jsonl: 1.2 GB of 3.4 GB`, or the label alone for a step with no byte count. */
export function progressText(label: string, done: number, total: number | undefined): string {
  return total === undefined ? label : `${label}: ${bytesOfTotal(done, total)}`;
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
   * A new step: `reading out.jsonl` over `total` bytes (shown once they reach {@link MIN_PROGRESS_BYTES}),
   * or, without a total, a step that has no count (`writing the report`), shown while the line is up.
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
  /** Whether this step is shown: a count past the threshold, or a step after one that was. */
  let shown = false;
  let drawnAt = -Infinity;
  let line = '';
  const text = () => {
    const plain = sanitizeName(progressText(label, done, total));
    // One column short of the width: a line that fills it wraps the cursor on some terminals.
    return ascii ? fit(toAscii(plain), columns() - 1, '...') : fit(plain, columns() - 1, '…');
  };
  const clear = () => {
    // Sent to the background since it was drawn: the line is the shell's now, not ours to erase.
    if (line && !foreground()) line = '';
    if (line) stderr.write('\r\x1b[K');
    line = '';
  };
  const draw = () => {
    clear();
    drawnAt = now();
    if (!shown || !foreground()) return;
    line = text();
    stderr.write(line);
  };
  return {
    phase(next, bytes) {
      label = next;
      total = bytes;
      done = 0;
      // A step with no count keeps the line up only when one is there already (the long passes drew it).
      shown = bytes === undefined ? line !== '' : bytes >= MIN_PROGRESS_BYTES;
      draw();
    },
    advance(bytes) {
      done += bytes;
      if (shown && now() - drawnAt >= FRAME_MS) draw();
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
