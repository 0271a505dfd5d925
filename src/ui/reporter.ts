import type { BatchEvent } from '../engine/events.js';
import type { ResultRow } from '../types.js';
import { toAscii } from './plain-text.js';
import { sanitize } from './sanitize.js';
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

/** Breaks a ` · `-separated line into lines of at most `width` columns, continuation lines indented. */
export function wrapParts(line: string, width: number, textWidth: Measure = units): string {
  const visible = visibleBy(textWidth);
  const room = width - PREFIX.length;
  const parts = line.split(' · ');
  const lines: string[] = [];
  let current = '';
  for (const part of parts) {
    // Room is kept for the ` ·` that ends every line but the last.
    if (current && visible(current) + 3 + visible(part) + 2 > room) {
      lines.push(`${current} ·`);
      current = part;
    } else current = current ? `${current} · ${part}` : part;
  }
  lines.push(current);
  // A part wider than a line on its own breaks between its words.
  return lines.map((l) => wrapWords(l, width, textWidth)).join(`\n${' '.repeat(PREFIX.length)}`);
}

/**
 * Breaks a message between words into lines of at most `width` columns, continuation lines indented
 * under the prefix: a terminal would cut it mid-word. A word longer than a line is left whole for
 * the terminal to wrap (a path, a URL).
 */
export function wrapWords(line: string, width: number, textWidth: Measure = units): string {
  const visible = visibleBy(textWidth);
  const room = width - PREFIX.length;
  if (visible(line) <= room || room < 20) return line;
  const lines: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && visible(current) + 1 + visible(word) > room) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  lines.push(current);
  return lines.join(`\n${' '.repeat(PREFIX.length)}`);
}

/** Plain reporter: lines only, no escape codes unless `style` asks for colour (pipes, cron, --quiet). */
export function createPlainReporter(options: ReporterOptions): Reporter {
  const raw = options.write ?? ((text: string) => options.stderr.write(text));
  const out = options.ascii ? (text: string) => raw(toAscii(text)) : raw;
  const write = (line: string) => out(`${PREFIX}${line}\n`);
  // On a terminal, messages break between words; the resume command is left whole to copy and paste.
  const message = (text: string) => {
    // Messages quote servers (an error body, a refusal) and file names: their escape sequences would
    // reach the terminal (retitle it, clear it) or a log read later with `cat`.
    const line = sanitize(text);
    const width = options.columns?.();
    write(width ? wrapWords(line, width, options.textWidth) : line);
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
      // request failed (a wrong URL, an outage) must not pass in silence.
      if (!options.quiet || summary.failed > 0 || summary.skippedFailed > 0) {
        const line = formatSummaryLine(summary, options.style);
        const width = options.columns?.();
        write(width ? wrapParts(line, width, options.textWidth) : line);
      }
      if (summary.resumeHint) write(`to finish the rest, run: ${summary.resumeHint}`);
    },
    close: () => {},
  };
}
