import { toAscii } from './plain-text.js';
import { foregroundCheck } from './foreground.js';
import { count, duration } from './number-format.js';

/** What the batches have done so far, from their `request_counts`. */
export interface BatchProgressSnapshot {
  batches: number;
  batchesDone: number;
  requests: number;
  completed: number;
  failed: number;
}

/**
 * `batches 3/20 · 151,234/1,000,000 requests (12 failed) · ETA 41m`: the ETA extrapolates the requests
 * finished since this run started, so a resumed run does not count what it found done.
 */
export function formatBatchProgress(s: BatchProgressSnapshot, elapsedSeconds: number, finishedAtStart: number): string {
  const done = s.completed + s.failed;
  const gained = done - finishedAtStart;
  const eta = gained > 0 && done < s.requests ? ` · ETA ${duration(((s.requests - done) * elapsedSeconds) / gained)}` : '';
  return `batches ${count(s.batchesDone)}/${count(s.batches)} · ${count(done)}/${count(s.requests)} requests${s.failed ? ` (${count(s.failed)} failed)` : ''}${eta}`;
}

export interface BatchProgressOptions {
  /** A locale that is not UTF-8: ASCII stand-ins for `·`, `…` and the like, as the other lines get. */
  ascii?: boolean;
  now?: () => number;
  /** Whether the terminal is ours to draw on (not a background job's). */
  foreground?: () => boolean;
}

/**
 * On a terminal: one status line kept at the bottom of stderr, redrawn in place; notices print above
 * it. Elsewhere (cron, logs) the notices alone, as plain lines. A background job (`&`, Ctrl-Z then
 * `bg`) draws no status line: the terminal's last line is the shell's prompt then.
 */
export function createBatchProgress(
  stderr: NodeJS.WritableStream & { isTTY?: boolean; fd?: number },
  interactive: boolean,
  options: BatchProgressOptions = {},
) {
  const { now = () => performance.now(), foreground = foregroundCheck(stderr, now) } = options;
  const write = options.ascii ? (text: string) => stderr.write(toAscii(text)) : (text: string) => stderr.write(text);
  const started = now();
  let finishedAtStart: number | undefined;
  let line = '';
  /**
   * The erase of the line drawn, sent in one write with what follows it: a stop (Ctrl-Z) between
   * the two, then `bg`, drew the rest over the shell's prompt.
   */
  const erase = (): string => {
    // Sent to the background since it was drawn: the line is the shell's now, not ours to erase.
    if (line && !foreground()) line = '';
    return line ? '\r\x1b[K' : '';
  };
  return {
    info(text: string): void {
      write(`${erase()}llm-batch: ${text}\n${line}`);
    },
    update(s: BatchProgressSnapshot): void {
      if (!interactive) return;
      finishedAtStart ??= s.completed + s.failed;
      const erased = erase();
      if (!foreground()) return;
      line = formatBatchProgress(s, (now() - started) / 1000, finishedAtStart);
      write(erased + line);
    },
    close(): void {
      const erased = erase();
      if (erased) stderr.write(erased);
      line = '';
    },
  };
}
