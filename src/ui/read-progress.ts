import { foregroundCheck } from './foreground.js';
import { duration } from './number-format.js';
import { sanitizeName } from './sanitize.js';

type Terminal = NodeJS.WritableStream & { isTTY?: boolean; fd?: number; columns?: number };

/** A status line for work that reads a known number of bytes: `compacting out.jsonl: 28%, 1m10s left`. */
export interface ReadProgress {
  /** `bytes` more were read. */
  add(bytes: number): void;
  /** Erases the line, if drawn; add() draws nothing after. Idempotent. */
  done(): void;
}

/** Makes the progress line of one piece of work: what it does (`compacting out.jsonl`) and the bytes it reads in all. */
export type ReadProgressFactory = (label: string, total: number) => ReadProgress;

export interface ReadProgressOptions {
  now?: () => number;
  /** Whether the terminal is ours to draw on (not a background job's). Default: asked of /proc. */
  foreground?: () => boolean;
}

/**
 * Redrawn at most this often, and first drawn only once the work has lasted this long: a merge of
 * small files draws nothing, and a multi-GB one is not slowed by its own line.
 */
export const REDRAW_MS = 250;
/** The ETA waits for this much of a pace: the first blocks read say little about the rest. */
const ETA_AFTER_MS = 1000;

/**
 * The line, in place at the bottom of `stderr`, which the caller has found to be a terminal ours to
 * draw on (not under -q). It holds no colour and no character outside ASCII but the label's own.
 * The caller calls done() before it writes anything else.
 */
export function readProgress(stderr: Terminal, label: string, total: number, options: ReadProgressOptions = {}): ReadProgress {
  const { now = () => performance.now(), foreground = foregroundCheck(stderr, now) } = options;
  const shown = sanitizeName(label);
  const started = now();
  let read = 0;
  let drawnAt = started;
  let drawn = false;
  let finished = false;
  return {
    add(bytes) {
      read += bytes;
      const t = now();
      if (finished || t - drawnAt < REDRAW_MS) return;
      drawnAt = t;
      // In the background the terminal's last line is the shell's: not drawn on, nor erased later.
      if (!foreground()) {
        drawn = false;
        return;
      }
      stderr.write(`\r${fit(progressLine(shown, read, total, t - started), stderr.columns)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (finished) return;
      finished = true;
      if (drawn && foreground()) stderr.write('\r\x1b[K');
    },
  };
}

/** `label: 28%`, with the time left once the pace is known. */
export function progressLine(label: string, read: number, total: number, elapsedMs: number): string {
  const fraction = total > 0 ? Math.min(1, read / total) : 1;
  const left = elapsedMs >= ETA_AFTER_MS && fraction > 0 && fraction < 1 ? `, ${duration(((1 - fraction) * elapsedMs) / fraction / 1000)} left` : '';
  return `${label}: ${Math.floor(fraction * 100)}%${left}`;
}

/** The line cut to one row of the terminal (a long path would wrap, and `\r` erase only its last row): its end, with the figures, kept. */
function fit(line: string, columns: number | undefined): string {
  if (!columns || line.length < columns) return line;
  return `...${line.slice(line.length - Math.max(0, columns - 4))}`;
}
