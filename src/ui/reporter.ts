import type { BatchEvent } from '../engine/events.js';
import type { ResultRow } from '../types.js';
import { toAscii } from './plain-text.js';
import { sanitizeName } from '../util/sanitize.js';
import { formatSummaryLine, type RunSummary, type SummaryStyle } from './summary.js';

/** Everything the run tells people, on stderr. Data never goes through here. */
export interface Reporter {
  /** A message that matters even with --quiet (a bad input line, why the run stopped). */
  error(line: string): void;
  /** A notice that --quiet silences. */
  info(line: string): void;
  event(event: BatchEvent): void;
  row(row: ResultRow): void;
  finish(summary: RunSummary): void;
  close(): void;
}

export interface ReporterOptions {
  stderr: NodeJS.WritableStream;
  quiet: boolean;
  /** Writes one message (it ends with a newline); default: straight to `stderr`. */
  write?: (text: string) => void;
  /** Colours for the summary line (a terminal without NO_COLOR); none by default. */
  style?: SummaryStyle;
  /**
   * A --retry-failed run: the failed rows it skips failed earlier in its own pass (a resumed pass asks
   * each failure once), and its summary says so rather than point at --retry-failed.
   */
  retryFailed?: boolean;
  /** A locale that is not UTF-8 (`LANG=C`): ASCII stand-ins for `·`, `…` and the like. */
  ascii?: boolean;
  /** On a terminal: its width, to break the summary between its parts rather than mid-word. */
  columns?: () => number | undefined;
  /**
   * The columns a text takes on that terminal (a CJK character or an emoji two; ui/terminal-text.ts),
   * passed in rather than imported: its Unicode tables load ICU (~20 ms of CPU), which a run whose
   * stderr is no terminal never needs. Default: one column a UTF-16 unit.
   */
  textWidth?: (text: string) => number;
}

const PREFIX = 'llm-batch: ';
type Measure = (text: string) => number;
const units: Measure = (text) => text.length;
// biome-ignore lint/suspicious/noControlCharactersInRegex: it strips colour escapes
const COLOUR = /\x1b\[[0-9;]*m/g;
/** The columns a line takes: its colour escapes take none. */
const visibleBy = (textWidth: Measure) => (s: string) => textWidth(s.replace(COLOUR, ''));

/**
 * Breaks a ` · `-separated line into lines of at most `width` columns, between its parts where it
 * can; a message with no parts, between its words: a terminal would cut it mid-word.
 */
export function wrapParts(line: string, width: number, textWidth: Measure = units): string {
  const parts = line.split(' · ');
  // The ` ·` that follows a part stays on its last word's line: never alone, never first on a line.
  const groups = parts.map((part, i) => {
    const words = part.split(' ');
    if (i < parts.length - 1) words[words.length - 1] += ' ·';
    return words;
  });
  return layOut(groups, width, visibleBy(textWidth));
}

/** Below this many columns after the indent, the indent gives way to a word that needs the room. */
const NARROW_ROOM = 20;

/**
 * Words in lines of at most `width` columns, the first after the `llm-batch: ` prefix and the rest
 * indented under it. A group of words (a summary's part) stays on one line when it fits there: one
 * that does not fit where the line stands starts the next line, and one wider than a line breaks
 * between its words. A word is never cut by us: one wider than the room after the indent is left
 * whole for the terminal to wrap (a path, a URL), except on a terminal so narrow that the indent
 * leaves less than `NARROW_ROOM` columns: there, if the indent alone keeps a word from fitting
 * (`2026-03-01` at 20 columns), continuation lines start at the left edge instead.
 */
function layOut(groups: string[][], width: number, visible: Measure): string {
  const widths = groups.map((words) => words.map(visible));
  const narrow = width - PREFIX.length < NARROW_ROOM;
  const indent = narrow && widths.flat().some((w) => w > width - PREFIX.length && w <= width) ? 0 : PREFIX.length;
  const lines: string[] = [];
  let line = '';
  let used = 0;
  let room = width - PREFIX.length;
  const add = (text: string, w: number) => {
    used += (line ? 1 : 0) + w;
    line = line ? `${line} ${text}` : text;
  };
  const fits = (w: number) => (line ? used + 1 : 0) + w <= room;
  const next = () => {
    lines.push(line);
    line = '';
    used = 0;
    room = width - indent;
  };
  groups.forEach((words, g) => {
    const groupWidth = widths[g]!.reduce((sum, w) => sum + w, 0) + words.length - 1;
    if (line && !fits(groupWidth)) next();
    if (fits(groupWidth)) add(words.join(' '), groupWidth);
    else
      words.forEach((word, i) => {
        const w = widths[g]![i]!;
        if (line && !fits(w)) next();
        add(word, w);
      });
  });
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Plain reporter: lines only, no escape codes unless `style` asks for colour (pipes, cron, --quiet). */
export function createPlainReporter(options: ReporterOptions): Reporter {
  const raw = options.write ?? ((text: string) => options.stderr.write(text));
  const out = options.ascii ? (text: string) => raw(toAscii(text)) : raw;
  const write = (line: string) => out(`${PREFIX}${line}\n`);
  // On a terminal, messages break between their ` · ` parts where they have some (a model's
  // figures), else between words; the resume command is left whole to copy and paste.
  const message = (text: string) => {
    // Messages quote servers (an error body, a refusal) and file names: their escape sequences would
    // reach the terminal (retitle it, clear it) or a log read later with `cat`.
    const line = sanitizeName(text);
    const width = options.columns?.();
    write(width ? wrapParts(line, width, options.textWidth) : line);
  };
  return {
    error: (line) => message(line),
    info: (line) => {
      if (!options.quiet) message(line);
    },
    event: () => {},
    row: () => {},
    finish(summary) {
      // With --quiet the summary still reports failures: cron mails stderr, and a run whose every
      // request failed (a wrong URL, an outage) must not pass in silence. Nor an interrupted one (a
      // `timeout`'s SIGTERM), which has no stop line of its own: "to finish the rest, run: …" came
      // alone, with no word of why.
      if (!options.quiet || summary.failed > 0 || summary.skippedFailed > 0 || summary.stopped === 'interrupted') {
        const line = formatSummaryLine(summary, options.style, { retryFailed: options.retryFailed });
        const width = options.columns?.();
        write(width ? wrapParts(line, width, options.textWidth) : line);
      }
      if (summary.resumeHint) write(`to finish the rest, run: ${summary.resumeHint}`);
    },
    close: () => {},
  };
}
