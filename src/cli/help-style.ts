import { type Command, Help } from 'commander';

/**
 * One way for every command's help to read, as the run's own: what the command does in a sentence
 * (`.description`), each flag and argument as a phrase, `-h, --help  show this help` (Commander's
 * default says "display help for command"), the version only on the main program, and an Examples
 * section of command lines at the end.
 */
export function styleHelp(command: Command, examples: readonly string[] = []): Command {
  command.helpOption('-h, --help', 'show this help');
  if (examples.length > 0) addHelpSections(command, `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
  return command;
}

const SECTIONS = new WeakMap<Command, string>();

/**
 * Text after a command's options (Examples, Environment, Exit codes…), written as it reads on a wide
 * terminal: fitHelp lays it out again at the help's width where a line would not fit. (Commander's
 * addHelpText writes its text as it is: pre-wrapped at 100 columns, a terminal of 80 broke it mid-word.)
 */
export function addHelpSections(command: Command, text: string): Command {
  SECTIONS.set(command, (SECTIONS.get(command) ?? '') + text);
  return command;
}

/**
 * Every help of `command`, and of the commands added to it after, fitted to the help's width
 * (stdout's columns on a terminal, else commander's 80): the usage line, the options and the
 * sections of addHelpSections, broken between words. A description goes under its term when the
 * column beside it would be narrow (commander left it unwrapped below 40 columns).
 */
export function fitHelp(command: Command): Command {
  return command.configureHelp({
    ...command.configureHelp(),
    // Wrapping below 40 columns too: a description under its term gets the width less 6 (14 at a 20-column terminal).
    minWidthToWrap: 10,
    formatItem(this: Help, term: string, termWidth: number, description: string, helper: Help): string {
      const width = this.helpWidth ?? 80;
      if (!description || besideFits(width, ITEM_INDENT + termWidth + 2)) return Help.prototype.formatItem.call(this, term, termWidth, description, helper);
      return stacked(`${pad(ITEM_INDENT)}${term}`, ITEM_INDENT, description, width, helper).join('\n');
    },
    formatItemList(this: Help, heading: string, items: string[], helper: Help): string[] {
      // A group's heading (`OpenAI Batch API (half price, answers within 24 h):`) too.
      return Help.prototype.formatItemList.call(this, helper.boxWrap(heading, this.helpWidth ?? 80), items, helper);
    },
    formatHelp(this: Help, cmd: Command, helper: Help): string {
      const width = helper.helpWidth ?? 80;
      const [usage = '', ...rest] = Help.prototype.formatHelp.call(this, cmd, helper).split('\n');
      const sections = SECTIONS.get(cmd);
      // The text commander wrote after the help, with the newline it added.
      return [...fitUsage(usage, width, helper), ...rest].join('\n') + (sections === undefined ? '' : `${fitSections(sections, width, helper).join('\n')}\n`);
    },
  });
}

const ITEM_INDENT = 2;
const pad = (n: number) => ' '.repeat(n);
const indentOf = (line: string) => line.length - line.trimStart().length;

/** A description beside its term while it keeps 40 columns there, or half the width. */
const besideFits = (width: number, column: number) => width - column >= Math.min(40, width / 2);

/** `term` on a line of its own (words past the width on lines 2 further in), its description 4 further in. */
function stacked(term: string, indent: number, description: string, width: number, helper: Help): string[] {
  const terms = term.length > width ? wrapped(term.trim(), indent, width, helper, indent + 2) : [term];
  return [...terms, ...wrapped(description, indent + 4, width, helper)];
}

/** `text` in lines of at most `width` columns from column `indent` (`hanging` for all but the first). */
function wrapped(text: string, indent: number, width: number, helper: Help, hanging = indent): string[] {
  return helper
    .boxWrap(text, width - Math.max(indent, hanging))
    .split('\n')
    .map((line, i) => pad(i === 0 ? indent : hanging) + line);
}

/** `Usage: llm-batch merge [options] <outputs...>`, its words past the width under the first. */
function fitUsage(usage: string, width: number, helper: Help): string[] {
  const title = 'Usage: ';
  if (usage.length <= width || !usage.startsWith(title)) return [usage];
  return wrapped(usage.slice(title.length), title.length, width, helper).map((line, i) => (i === 0 ? title + line.trimStart() : line));
}

/** A crontab entry: five time fields, then the command (crontab has no line continuation). */
const CRONTAB = /^ *[\d*/,-]+( [\d*/,-]+){4} /;
/** A shell command line: `$ ` and the command; lines ending in ` \` go on to the next. */
const COMMAND = /^ *\$ /;
/** A list of `CODE text` entries three spaces apart: the exit codes. */
const CODES = /^ +\d+ \S.*? {3,}\d+ \S/;
/** `  TERM  description`: an entry of a table such as Environment. */
const ROW = /^( +)(\S.*?)( {2,})(\S.*)$/;

type Block =
  | { kind: 'fixed' | 'prose' | 'command' | 'codes'; lines: string[] }
  | { kind: 'row'; lines: string[]; term: string; indent: number; column: number; description: string };

/**
 * The sections' text at `width`: a block whose lines all fit is kept as written (a wide terminal
 * sees the text as it always was); one that does not is laid out again at the width, as its kind
 * reads: a paragraph rewrapped, a command broken before an option or `|` with ` \` (a deeper
 * indent, so that no part looks like a command of its own) and its comment under it, a table's
 * descriptions wrapped in their column (or under their term when it would be narrow), the exit
 * codes one to a line. A crontab entry cannot be continued and stays whole.
 */
function fitSections(text: string, width: number, helper: Help): string[] {
  const blocks = sectionBlocks(text.split('\n'));
  const out: string[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.kind === 'row') {
      // The rows of one table are laid out alike: beside their terms or under them.
      let end = i;
      while (blocks[end + 1]?.kind === 'row') end++;
      out.push(...fitTable(blocks.slice(i, end + 1) as Array<Extract<Block, { kind: 'row' }>>, width, helper));
      i = end;
    } else if (block.lines.every((line) => line.length <= width) || block.kind === 'fixed') out.push(...block.lines);
    else if (block.kind === 'prose') out.push(...wrapped(block.lines.map((line) => line.trim()).join(' '), indentOf(block.lines[0]!), width, helper));
    else if (block.kind === 'command') out.push(...fitCommand(block.lines, width, helper));
    else out.push(...fitTable(codeRows(block.lines), width, helper));
  }
  return out;
}

function sectionBlocks(lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  /** Lines from i on while `more` holds for the next one (at j). */
  const take = (more: (j: number) => boolean): string[] => {
    const start = i++;
    while (i < lines.length && more(i)) i++;
    return lines.slice(start, i);
  };
  const fixed = (line: string) => line.trim() === '' || /^\S.*:$/.test(line) || CRONTAB.test(line);
  const startsBlock = (j: number) =>
    fixed(lines[j]!) || COMMAND.test(lines[j]!) || CODES.test(lines[j]!) || ROW.test(lines[j]!) || termOnly(lines[j]!, lines[j + 1]);
  while (i < lines.length) {
    const line = lines[i]!;
    const indent = indentOf(line);
    const row = ROW.exec(line);
    if (fixed(line)) blocks.push({ kind: 'fixed', lines: take(() => false) });
    else if (COMMAND.test(line)) blocks.push({ kind: 'command', lines: take((j) => lines[j - 1]!.endsWith(' \\')) });
    else if (CODES.test(line)) blocks.push({ kind: 'codes', lines: take((j) => lines[j]!.trim() !== '' && indentOf(lines[j]!) === indent) });
    else if (row || termOnly(line, lines[i + 1])) {
      const column = row ? row[1]!.length + row[2]!.length + row[3]!.length : indentOf(lines[i + 1]!);
      const rowLines = take((j) => lines[j]!.trim() !== '' && indentOf(lines[j]!) === column && !COMMAND.test(lines[j]!));
      const description = [row ? row[4]! : '', ...rowLines.slice(1).map((l) => l.trim())].filter(Boolean).join(' ');
      blocks.push({ kind: 'row', lines: rowLines, term: row ? row[2]! : line.trim(), indent, column, description });
    } else blocks.push({ kind: 'prose', lines: take((j) => indentOf(lines[j]!) === indent && !startsBlock(j)) });
  }
  return blocks;
}

/** A term on a line of its own, its description on the lines under it, further in (OPENAI_ORG_ID, …). */
function termOnly(line: string, next: string | undefined): boolean {
  return next !== undefined && next.trim() !== '' && indentOf(next) > indentOf(line) && indentOf(line) > 0 && !COMMAND.test(next) && !CRONTAB.test(next);
}

/** The exit codes as table rows: `0    every prompt answered`. */
function codeRows(lines: readonly string[]): Array<Extract<Block, { kind: 'row' }>> {
  const indent = indentOf(lines[0]!);
  const entries = lines
    .map((line) => line.trim())
    .join('\n')
    .split(/ {3,}|\n(?=\d+ )/)
    .map((entry) => /^(\d+) ([\s\S]*)$/.exec(entry.replace(/\n/g, ' '))!);
  const column = indent + Math.max(...entries.map(([, code]) => code!.length)) + 2;
  return entries.map(([, code, description]) => ({ kind: 'row', lines: [], term: code!, indent, column, description: description! }));
}

/** A table's rows, each as written if the whole table fits, else its description wrapped beside or under its term. */
function fitTable(rows: ReadonlyArray<Extract<Block, { kind: 'row' }>>, width: number, helper: Help): string[] {
  const written = rows.flatMap((row) => row.lines);
  if (written.length > 0 && written.every((line) => line.length <= width)) return written;
  const beside = besideFits(width, Math.max(...rows.map((row) => row.column)));
  return rows.flatMap((row) => {
    if (!beside) return stacked(pad(row.indent) + row.term, row.indent, row.description, width, helper);
    if (row.lines.length > 0 && row.lines.every((line) => line.length <= width)) return row.lines;
    const description = wrapped(row.description, row.column, width, helper);
    const term = pad(row.indent) + row.term;
    // A term as wide as its column keeps a line of its own, as written.
    if (term.length + 2 > row.column) return [term, ...description];
    return [term.padEnd(row.column) + description[0]!.trimStart(), ...description.slice(1)];
  });
}

/** A shell word: quoted parts, escapes and the rest up to a space. */
const SHELL_WORD = /(?:[^\s'"\\]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.)+/g;
/** A word that starts a part of a command a line may begin with: an option, a pipe, a redirection. */
const PART_START = /^(--?[A-Za-z]|\||&&$|;$|\d*>|<)/;
/** A comment after a command: `# …`, or `(or …)`, two spaces or more after it. */
const NOTE = /^(.*?\S) {2,}(#.*|\(.*\))$/;

/**
 * A command line (and its continuation lines) at `width`: broken between its parts (an option and
 * its value, `| next command`), each line but the last ending in ` \`, the next 4 further in than
 * the `$`; a part wider than a line broken between its words (a quoted word is one). Its comment
 * goes under it, each line a `#` comment (or a parenthesis hanging in), never a command line.
 */
function fitCommand(lines: readonly string[], width: number, helper: Help): string[] {
  const indent = indentOf(lines[0]!);
  const joined = lines
    .map((line) => line.trim().replace(/ \\$/, ''))
    .join(' ')
    .replace(/^\$ /, '');
  const noted = NOTE.exec(joined);
  const command = noted ? noted[1]! : joined;
  const next = pad(indent + 4);
  const parts: string[][] = [];
  for (const word of command.match(SHELL_WORD) ?? []) {
    if (parts.length === 0 || PART_START.test(word)) parts.push([word]);
    else parts.at(-1)!.push(word);
  }
  // A part too wide for a line of its own goes in its words.
  const units = parts.flatMap((part) => (next.length + part.join(' ').length + 2 <= width ? [part.join(' ')] : part));
  const out: string[] = [];
  let line = `${pad(indent)}$ ${units[0] ?? ''}`;
  for (const [i, unit] of units.entries()) {
    if (i === 0) continue;
    const room = width - (i === units.length - 1 ? 0 : 2);
    if (line.length + 1 + unit.length <= room) line += ` ${unit}`;
    else {
      out.push(`${line} \\`);
      line = next + unit;
    }
  }
  out.push(line);
  if (noted) {
    const note = noted[2]!;
    if (note.startsWith('#')) out.push(...wrapped(note.replace(/^#\s*/, ''), indent + 6, width, helper).map((l) => `${next}# ${l.trimStart()}`));
    else out.push(...wrapped(note, indent + 4, width, helper, indent + 5));
  }
  return out;
}
