import readline from 'node:readline';
import type { MultiBar } from 'cli-progress';
import type { Ora } from 'ora';
import type { BatchStats } from '../engine/stats.js';
import { foregroundCheck } from './foreground.js';
import { count, duration } from './number-format.js';
import { RateMeter, formatBarLine, waitingText, type BarLayout, type ProgressSnapshot } from './progress.js';
import type { Screen, StatusLine } from './screen.js';
import { toAscii } from './plain-text.js';
import { sanitizeName } from '../util/sanitize.js';

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number; _refreshSize?: () => void };
/** A `Stream` whose writes made within `frame(draw)` go out as one. */
type StatusStream = Stream & { frame<T>(draw: () => T): T };

/** The terminal libraries, imported by the caller only when a terminal display is wanted. */
export interface DisplayModules {
  ora: typeof import('ora').default;
  cliProgress: typeof import('cli-progress');
}

export interface TerminalDisplayOptions {
  stderr: Stream;
  stats: BatchStats;
  screen: Screen;
  modules: DisplayModules;
  color: boolean;
  /**
   * Whether the terminal re-wraps its lines when it narrows (tmux, VTE, iTerm2, kitty, Windows
   * Terminal… do; xterm and the Linux console cut them): a bar drawn wider than the new width then
   * spans several rows, all to be erased. Default: true.
   */
  reflows?: boolean;
  /** A locale that is not UTF-8: the bar and the spinner in ASCII (`###...`, `-` between its parts, `-\|/`). */
  ascii?: boolean;
  /** `prompts.txt`, or undefined for stdin. */
  inputName: string | undefined;
  /** The record total once known. */
  total: () => number | undefined;
  /** Records counted so far while the total is being counted. */
  counted: () => number | undefined;
  now?: () => number;
  /**
   * Whether the terminal may be drawn on now: false while the run is a background job (`&`, or
   * Ctrl-Z then `bg`), whose terminal line is the shell's prompt. Default: asked of /proc (see
   * foregroundCheck).
   */
  foreground?: () => boolean;
}

/** A spinner phase starts only if it lasts this long, so fast starts do not flicker. */
const SPINNER_DELAY_MS = 150;
/** Rate-limit pauses shorter than this stay on the bar. */
const MIN_PAUSE_SHOWN_MS = 250;
const TICK_MS = 100;

/**
 * `stderr` as the spinner and the bar see it: the same writes and 'drain' listeners, and the width
 * the rest of the display draws for (never 0). Writes made while `mayDraw` says no (a background
 * job) are dropped: the frames of both widgets and their erases, which would wipe the shell's
 * prompt and what the user types. ora counts the rows its line spans as its width ÷ `columns`: on a
 * terminal of size 0×0 (`script` run from cron or CI, `ssh -tt` from a script, `docker run -t`
 * before the size is set) that was Infinity, and its next erase looped for ever, flooding the
 * terminal with line erases and deaf to Ctrl-C and SIGTERM. ora assigns `write` while it spins
 * (to keep other output above its line): on this object, not on stderr, which it hooks apart.
 */
export function statusStream(stderr: Stream, columns: () => number, mayDraw: () => boolean = () => true): StatusStream {
  /** The writes of the frame being drawn, sent as one when it is done. */
  let held: unknown[][] | undefined;
  // stderr's write before ora hooks it (as it does while it spins, to keep other output above its
  // line): a frame is sent once ora's render has returned, and its hook, no longer told the write is
  // its own, took it for someone else's and erased the spinner in writes of its own, and forgot its
  // line (the summary then ended in the spinner's last letters). The Screen's writes bypass it too.
  const write = stderr.write;
  const send = (args: unknown[]): boolean => {
    if (mayDraw()) return Reflect.apply(write, stderr, args) as boolean;
    const callback = args.find((x) => typeof x === 'function') as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return true;
  };
  const stream = {
    get isTTY() {
      return stderr.isTTY;
    },
    get columns() {
      return columns();
    },
    get rows() {
      return stderr.rows;
    },
    write: (...args: unknown[]): boolean => {
      if (!held) return send(args);
      held.push(args);
      return true;
    },
    frame<T>(draw: () => T): T {
      if (held) return draw();
      held = [];
      try {
        return draw();
      } finally {
        const writes = held;
        held = undefined;
        sendWhole(writes, send);
      }
    },
    cursorTo: (x: number, y?: number) => readline.cursorTo(stream as unknown as Stream, x, y),
    moveCursor: (dx: number, dy: number) => readline.moveCursor(stream as unknown as Stream, dx, dy),
    clearLine: (dir: readline.Direction) => readline.clearLine(stream as unknown as Stream, dir),
    once(event: string, listener: () => void) {
      stderr.once(event, listener);
      return stream;
    },
    removeListener(event: string, listener: () => void) {
      stderr.removeListener(event, listener);
      return stream;
    },
  };
  return stream as unknown as StatusStream;
}

/**
 * A frame's writes (cursor moves, erases, the line) as one write, and so one system call: a process
 * stopped with Ctrl-Z between two of them finished the frame, erases included, over the shell's
 * prompt once `bg` continued it. One "may I draw?" for the whole frame, too.
 */
function sendWhole(writes: unknown[][], send: (args: unknown[]) => boolean): void {
  const chunks = writes.map((args) => args[0]);
  if (!chunks.every((c): c is string => typeof c === 'string')) {
    for (const args of writes) send(args);
    return;
  }
  const callbacks = writes.flatMap((args) => args.filter((x): x is (error?: Error | null) => void => typeof x === 'function'));
  const text = chunks.join('');
  const done = (error?: Error | null) => {
    for (const callback of callbacks) callback(error);
  };
  if (text) send([text, done]);
  else process.nextTick(done);
}

type Widget = { kind: 'spinner'; spinner: Ora; stream: StatusStream; line: StatusLine } | { kind: 'bar'; bar: MultiBar; line: StatusLine };

/**
 * The status line on a terminal's stderr: an ora spinner for phases with no count (reading the input
 * before the first request; a rate-limit pause, with its countdown) and a cli-progress bar while
 * prompts run. All other output goes through the `Screen`, which keeps it above this line.
 */
export class TerminalDisplay {
  private readonly meter: RateMeter;
  private readonly now: () => number;
  private readonly foreground: () => boolean;
  /** stderr for the bar and its erases: silent while the run is in the background. */
  private readonly out: StatusStream;
  private readonly createdAt: number;
  private started = false;
  private pauseUntil = 0;
  private widget: Widget | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private isStopping = false;
  private snapshotCache: { at: number; value: ProgressSnapshot } | undefined;
  /** What the bar dropped to fit this width; reset when the width changes. */
  private layout: BarLayout = { dropped: new Set() };
  private layoutColumns = 0;
  /** Columns the bar line took when last drawn: after a resize, the rows it now spans are erased. */
  private drawnWidth = 0;
  /** Set while the width is read afresh: the 'resize' that may emit is handled by the draw itself. */
  private refreshing = false;
  private readonly onResize = () => {
    if (!this.refreshing) this.resized();
  };

  constructor(private readonly o: TerminalDisplayOptions) {
    this.now = o.now ?? (() => performance.now());
    this.foreground = o.foreground ?? foregroundCheck(o.stderr, this.now);
    this.out = statusStream(o.stderr, () => this.columns(), this.foreground);
    this.createdAt = this.now();
    this.meter = new RateMeter(o.stats);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    (o.stderr as NodeJS.EventEmitter).on?.('resize', this.onResize);
  }

  /** The first request went out (or the first row came back). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.tick();
  }

  /** The rate limiter holds every request back for `pauseMs`. */
  rateLimited(pauseMs: number): void {
    if (pauseMs < MIN_PAUSE_SHOWN_MS) return;
    this.pauseUntil = Math.max(this.pauseUntil, this.now() + pauseMs);
    // Stats sampled before the pause know none: the spinner said "reading FILE" mid-run.
    this.snapshotCache = undefined;
    this.tick();
  }

  /** The run admits no new prompts: the bar says so and drops its ETA. */
  stopping(): void {
    this.isStopping = true;
    this.snapshotCache = undefined;
  }

  /**
   * Removes the status line for good. In the background the terminal's last line is the shell's
   * prompt, maybe with a command half typed: what follows (the summary) starts below it, not on it.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    (this.o.stderr as NodeJS.EventEmitter).off?.('resize', this.onResize);
    this.hide();
    if (!this.foreground()) this.o.stderr.write('\n');
  }

  /**
   * The terminal changed width. A reflowing terminal has re-wrapped the bar drawn for the old width
   * over several rows: erased here, every one of them, before the bar is drawn anew (else a stale
   * copy stays in the scrollback). Only the bar's own rows are touched.
   */
  private resized(): void {
    const widget = this.widget;
    if (this.stopped || widget?.kind !== 'bar') return;
    this.out.frame(() => {
      this.eraseDrawn();
      this.snapshotCache = undefined;
      widget.bar.update();
    });
  }

  /** Erases the rows the last bar line spans at the terminal's width now; the cursor ends on the first. */
  private eraseDrawn(): void {
    const rows = this.o.reflows === false ? 1 : Math.max(1, Math.ceil(this.drawnWidth / this.columns()));
    this.out.write(`\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(rows - 1)}`);
    this.drawnWidth = 0;
  }

  private snapshot(): ProgressSnapshot {
    const now = this.now();
    // The bar and the tick both ask within the same few ms; sample the stats once.
    if (this.snapshotCache && now - this.snapshotCache.at < 50) return this.snapshotCache.value;
    const value = { ...this.meter.snapshot(now, this.o.total(), this.pauseUntil), stopping: this.isStopping };
    this.snapshotCache = { at: now, value };
    return value;
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.now();
    let want: 'spinner' | 'bar' | undefined;
    if (!this.foreground()) {
      // A background job: nothing drawn (the widget goes, silently) until `fg` brings it back.
      want = undefined;
      this.drawnWidth = 0;
    } else if (this.started) want = this.pauseUntil > now ? 'spinner' : 'bar';
    else if (now - this.createdAt >= SPINNER_DELAY_MS) want = 'spinner';
    if (want !== this.widget?.kind) {
      this.hide();
      if (want === 'spinner') this.showSpinner();
      if (want === 'bar') this.showBar();
    }
    if (this.widget?.kind === 'spinner') this.widget.spinner.text = this.spinnerLine();
  }

  private hide(): void {
    const widget = this.widget;
    if (!widget) return;
    this.widget = undefined;
    this.o.screen.status = undefined;
    if (widget.kind === 'spinner') widget.stream.frame(() => widget.spinner.stop());
    else this.out.frame(() => widget.bar.stop());
  }

  private showSpinner(): void {
    const stream = statusStream(this.o.stderr, () => this.columns(), this.foreground);
    const spinner = this.o.modules.ora({
      stream,
      text: this.spinnerLine(),
      // ora draws braille (`⠋`) on any platform but Windows, whatever the locale: `-\|/` here.
      ...(this.o.ascii ? { spinner: 'line' as const } : {}),
      color: this.o.color ? 'cyan' : false,
      hideCursor: false,
      discardStdin: false,
      isEnabled: true,
    });
    // Each frame, and each erase, as one write (see sendWhole); ora's own timer calls `render` too.
    const render = spinner.render.bind(spinner);
    spinner.render = () => stream.frame(render);
    spinner.start();
    const line: StatusLine = { clear: () => stream.frame(() => spinner.clear()), redraw: () => spinner.render() };
    this.widget = { kind: 'spinner', spinner, stream, line };
    this.o.screen.status = line;
  }

  private showBar(): void {
    const stderr = this.out;
    const bar = new this.o.modules.cliProgress.MultiBar({
      stream: stderr,
      format: () => this.barText(),
      fps: 8,
      // Every frame is drawn whole: the screen erases the line around other output.
      forceRedraw: true,
      clearOnComplete: true,
      hideCursor: false,
      // cli-progress would otherwise switch the terminal's line wrapping off, cutting long answer lines.
      linewrap: true,
      gracefulExit: false,
    });
    // Each frame as one write (see sendWhole); cli-progress's own timer calls `update` too.
    const update = bar.update.bind(bar);
    bar.update = () => stderr.frame(update);
    bar.create(1, 0);
    bar.update();
    const line: StatusLine = {
      clear: () =>
        stderr.frame(() => {
          readline.cursorTo(stderr, 0);
          readline.clearLine(stderr, 0);
        }),
      // Redrawn right after an answer was printed: fresh counts, not the last 50 ms sample.
      redraw: () => {
        this.snapshotCache = undefined;
        bar.update();
      },
    };
    this.widget = { kind: 'bar', bar, line };
    this.o.screen.status = line;
  }

  private columns(): number {
    const c = this.o.stderr.columns;
    return c && c > 0 ? c : 80;
  }

  /**
   * The terminal's width now. Node updates `columns` only once it handles SIGWINCH, and a draw may
   * come first (a timer due when a stopped process resumes, a busy event loop): drawn at the old
   * width, it wraps on the narrower terminal and stays behind. `_refreshSize` is node's own ioctl
   * behind that update (every node since 0.x; ~1 µs); a stream without it keeps `columns`.
   */
  private columnsNow(): number {
    this.refreshing = true;
    try {
      this.o.stderr._refreshSize?.();
    } catch {
      // Not a terminal any more: the last width known stands.
    } finally {
      this.refreshing = false;
    }
    return this.columns();
  }

  private spinnerLine(): string {
    const text = this.spinnerText();
    return this.o.ascii ? toAscii(text) : text;
  }

  private spinnerText(): string {
    const p = this.snapshot();
    if (this.started && p.pausedMs !== undefined) {
      const progress = `${count(p.done)}${p.total !== undefined ? `/${count(p.total)}` : ''} done${p.failed ? ` · ${count(p.failed)} failed` : ''}`;
      // The bar's ETA too: at a slow limit a hold of a second or more comes before every request,
      // and the spinner stood in for the bar, ETA and all, for most of the run.
      const eta = !p.stopping && p.etaSeconds !== undefined && p.done < (p.total ?? 0) ? ` · ETA ${duration(p.etaSeconds)}` : '';
      return `${waitingText(p.pausedMs)} · ${progress} · ${p.inFlight} in flight${eta}`;
    }
    const { inputName } = this.o;
    const counted = this.o.total() ?? this.o.counted();
    // A file name may hold an escape sequence or a bidi control: shown as `�`, as messages show it.
    let text = inputName === undefined ? 'waiting for prompts on stdin' : `reading ${sanitizeName(inputName)}`;
    if (counted) text += ` · ${count(counted)} prompts`;
    if (p.skipped) text += ` · ${count(p.skipped)} already done`;
    return `${text}…`;
  }

  private barText(): string {
    const columns = this.columnsNow();
    if (columns !== this.layoutColumns) {
      // Resized and not yet told: the last line, reflowed, may span several rows now. Called as
      // cli-progress formats the line, so the erase lands just before it writes the line.
      if (this.drawnWidth > 0) this.eraseDrawn();
      this.layout = { dropped: new Set() };
      this.layoutColumns = columns;
    }
    // Three columns short of the width: the ^C a terminal echoes after the bar then lands on the
    // bar's own row, which the next clear erases, instead of wrapping and leaving the bar behind.
    const line = formatBarLine(this.snapshot(), Math.max(1, columns - 3), this.layout);
    const text = this.o.ascii ? toAscii(line) : line;
    this.drawnWidth = text.length;
    return text;
  }
}
