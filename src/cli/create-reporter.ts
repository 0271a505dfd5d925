import fs from 'node:fs';
import path from 'node:path';
import type { CliConfig } from './config.js';
import { withStreams, type CliIo } from './io.js';
import type { RowWriter } from '../output/index.js';
import type { BatchStats } from '../engine/stats.js';
import type { AnswerPrinter } from '../ui/answer-printer.js';
import { formatProgressLine, RateMeter } from '../ui/progress.js';
import { createPlainReporter, type Reporter } from '../ui/reporter.js';
import { Screen, sameTerminal, screenedStream } from '../ui/screen.js';
import { countRunRecords } from './count-run-records.js';
import { localeIsAscii, toAscii } from '../ui/plain-text.js';
import { displayMode, isInteractive, useColor } from './display-mode.js';
import { TerminalDisplay } from '../ui/terminal-display.js';
import { timerDelay } from '../util/timer-delay.js';
import { terminalWidth } from './terminal-width.js';

export interface CliReporter extends Reporter {
  /** When answers go to the terminal: the row writer that prints them. */
  answerWriter: RowWriter | undefined;
  /**
   * `io` for the row writers of `-o -`, `-o /dev/stdout` and `-o /dev/stderr`: on the terminal the
   * status line is on, their rows go above it rather than onto its end.
   */
  readonly rowsIo?: CliIo;
  /** The input's record count when the progress display counted it. */
  readonly total: number | undefined;
  /** The run admits no new prompts (a stop signal): the progress display drops its ETA. */
  stopping(): void;
}

const green = (s: string) => `\x1b[32m${s}\x1b[39m`;
const red = (s: string) => `\x1b[31m${s}\x1b[39m`;

/** The rows this run will write (see countRunRecords), for a progress total, counted in the background while the run starts. */
interface RecordTotal {
  /** The count once known; stdin (or a pipe given as a path) has none. */
  total(): number | undefined;
  /** The running count while counting. */
  counted(): number | undefined;
  stop(): void;
}

function countInBackground(config: CliConfig, wanted: boolean): RecordTotal {
  let total: number | undefined;
  let counted: number | undefined;
  const counting = new AbortController();
  if (wanted && config.input.kind === 'file' && isRegularFile(config.input.path)) {
    countRunRecords(config, config.input.path, counting.signal, (n) => (counted = n)).then(
      (n) => (total = n),
      () => {},
    );
  }
  return { total: () => total, counted: () => counted, stop: () => counting.abort() };
}

/**
 * Whether the terminal re-wraps the bar's line when it narrows, so that erasing it means going up
 * the rows it took: xterm, the Linux console and xterm.js (VS Code's terminal, Hyper, Tabby, which
 * never re-wrap the line the cursor is on) cut it to one row instead, and going up erased the
 * lines above it, answers among them.
 */
export function reflowsOnResize(env: NodeJS.ProcessEnv): boolean {
  return !env.XTERM_VERSION && env.TERM !== 'linux' && !XTERM_JS_HOSTS.has(env.TERM_PROGRAM ?? '');
}

/** TERM_PROGRAM of the terminals built on xterm.js. */
const XTERM_JS_HOSTS = new Set(['vscode', 'Hyper', 'Tabby']);

/** The spinner, then the progress bar, on an interactive stderr; loads ora and cli-progress only then. */
async function createTerminalDisplay(config: CliConfig, io: CliIo, stats: BatchStats, screen: Screen, records: RecordTotal): Promise<TerminalDisplay> {
  const [{ default: ora }, cliProgress] = await Promise.all([import('ora'), import('cli-progress').then((m) => m.default)]);
  return new TerminalDisplay({
    stderr: io.stderr,
    stats,
    screen,
    modules: { ora, cliProgress },
    color: useColor(io, io.stderr),
    reflows: reflowsOnResize(io.env),
    ascii: localeIsAscii(io.env),
    inputName: config.input.kind === 'file' ? path.basename(config.input.path) : undefined,
    total: records.total,
    counted: records.counted,
  });
}

/** With --progress off a terminal: one plain progress line every `everySec` seconds. */
function startPlainProgress(
  io: CliIo,
  stats: BatchStats,
  everySec: number,
  records: RecordTotal,
  pauseUntil: () => number,
  stopping: () => boolean,
): NodeJS.Timeout {
  const meter = new RateMeter(stats);
  const timer = setInterval(
    () => {
      // Timestamped: these lines go to logs, where "when" is half of what they say.
      const line = `llm-batch: ${new Date().toISOString().slice(0, 19)}Z ${formatProgressLine({ ...meter.snapshot(performance.now(), records.total(), pauseUntil()), stopping: stopping() })}\n`;
      io.stderr.write(localeIsAscii(io.env) ? toAscii(line) : line);
    },
    timerDelay(everySec * 1000),
  );
  timer.unref();
  return timer;
}

/** Answers printed on the terminal (no -o, stdout a TTY). */
async function createAnswerPrinter(config: CliConfig, io: CliIo, screen: Screen): Promise<AnswerPrinter> {
  // Loaded only here: its Unicode width tables are of no use when answers go to a file or a pipe.
  const { AnswerPrinter } = await import('../ui/answer-printer.js');
  const shared = sameTerminal(io.stdout, io.stderr);
  return new AnswerPrinter({
    // Only a terminal shared with stderr needs the status line moved out of the way.
    write: shared ? (text) => screen.stdout(text) : (text) => io.stdout.write(text),
    color: useColor(io, io.stdout),
    columns: () => io.stdout.columns,
    wholeRows: shared,
    inputOrder: config.order === 'input',
    ascii: localeIsAscii(io.env),
  });
}

/**
 * `io` with its stdout and stderr written through the screen where they are the status line's
 * terminal: a row then scrolls up above the bar as an answer does. A file or another terminal keeps
 * the stream as it is.
 */
function rowsIoFor(io: CliIo, screen: Screen, display: TerminalDisplay | undefined): CliIo {
  if (!display) return io;
  const stdout = sameTerminal(io.stdout, io.stderr) ? screenedStream(io.stdout, (text) => screen.stdout(text)) : io.stdout;
  return withStreams(io, { stdout, stderr: screenedStream(io.stderr, (text) => screen.stderr(text)) });
}

/**
 * Picks the display for this run:
 * - stderr a terminal (and not --quiet): a spinner, then a progress bar, kept below everything else,
 *   unless the rows are piped to another program that shares the terminal (`| jq`): whole lines only;
 * - otherwise plain lines only, no escape codes: with --progress, one progress line every N seconds;
 * - always the summary line at the end (with --quiet only when a prompt failed) and errors (even with --quiet).
 * With no -o and stdout a terminal, answers are printed there too, in whole rows when stderr shares
 * that terminal so that messages and the bar never cut into them; rows sent to that terminal
 * (`-o -`) likewise go above the bar (`rowsIo`).
 */
export async function createReporter(config: CliConfig, io: CliIo, stats: BatchStats): Promise<CliReporter> {
  const { interactive, plainEvery } = displayMode(config, io);
  const screen = new Screen(io.stdout, io.stderr);
  const records = countInBackground(config, interactive || plainEvery !== undefined);
  const display = interactive ? await createTerminalDisplay(config, io, stats, screen, records) : undefined;
  // Rate-limit pauses and a stop, for the plain progress line.
  let pauseUntil = 0;
  let stopping = false;
  const markStopping = () => {
    stopping = true;
    display?.stopping();
  };
  const progressTimer =
    plainEvery !== undefined
      ? startPlainProgress(
          io,
          stats,
          plainEvery,
          records,
          () => pauseUntil,
          () => stopping,
        )
      : undefined;

  const color = useColor(io, io.stderr);
  const stderrTerminal = isInteractive(io, io.stderr);
  const base = createPlainReporter({
    stderr: io.stderr,
    quiet: config.quiet,
    retryFailed: config.retryFailed,
    write: (text) => screen.stderr(text),
    style: color ? { ok: green, failed: red } : undefined,
    ascii: localeIsAscii(io.env),
    ...(stderrTerminal ? await terminalWidth(io) : {}),
  });
  const printer = config.output.kind === 'terminal' ? await createAnswerPrinter(config, io, screen) : undefined;

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    records.stop();
    clearInterval(progressTimer);
    display?.stop();
  };

  return {
    error: (line) => base.error(line),
    info: (line) => base.info(line),
    event(event) {
      printer?.event(event);
      if (event.type === 'attempt') display?.start();
      else if (event.type === 'stopping') markStopping();
      else if (event.type === 'rate-limited' || event.type === 'paused') {
        pauseUntil = Math.max(pauseUntil, performance.now() + event.pauseMs);
        display?.rateLimited(event.pauseMs);
      }
    },
    row() {
      display?.start();
    },
    finish(summary) {
      // The bar goes before the summary: the last word is the summary, not a stale bar.
      close();
      base.finish(summary);
    },
    close,
    stopping: markStopping,
    answerWriter: printer,
    rowsIo: rowsIoFor(io, screen, display),
    get total() {
      return records.total();
    },
  };
}

function isRegularFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
