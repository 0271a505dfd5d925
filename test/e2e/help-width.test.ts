/**
 * Every help, through the BUILT CLI on a pseudo-terminal, at the terminal's width: broken between
 * words by the CLI, never mid-word by the terminal. The Examples, Environment, Exit codes and
 * Response cache sections were written pre-wrapped at ~100 columns, and commander left option
 * descriptions unwrapped below 40 columns of its own: at 80 the terminal cut `--resume` into
 * `-` / `-resume`, at 40 nearly every line.
 */
import { describe, expect, it } from 'vitest';
import { runPty } from '../helpers/run-pty.js';

const COMMANDS = ['', 'report', 'merge', 'status', 'cancel', 'cache', 'cache stats', 'cache clear', 'cache prune'];

/** The help as the CLI wrote it, line by line (before the terminal wraps anything). */
async function helpAt(command: string, cols: number): Promise<string[]> {
  const r = await runPty([...(command ? command.split(' ') : []), '--help'], { cols });
  expect(r.code, r.raw).toBe(0);
  return r.raw.replace(/\r/g, '').replace(/\n$/, '').split('\n');
}

/** A crontab entry: it has no line continuation, so the example stays one line whatever the width. */
const CRONTAB = /^ *[\d*/,-]+( [\d*/,-]+){4} \S/;
/** A line that is one shell word (a quoted argument wider than the terminal), and ` \` if the command goes on. */
const ONE_WORD = /^ *('[^']*'|\S+)( \\)?$/;

describe('--help fits the terminal', () => {
  it.each(COMMANDS)('llm-batch %s --help at 80, 40 and 24 columns: no line wider than the terminal', async (command) => {
    // 24: commander's minWidthToWrap is checked against the width less the indent (nothing wrapped at 20 once).
    for (const cols of [80, 40, 24]) {
      const lines = await helpAt(command, cols);
      const wide = lines.filter((line) => line.length > cols);
      // Only what cannot be broken: the crontab entry, and at 40 a quoted template of 43 characters.
      expect(
        wide.filter((line) => !CRONTAB.test(line) && !(cols < 80 && ONE_WORD.test(line))),
        `${cols} columns:\n${lines.join('\n')}`,
      ).toEqual([]);
      // A command broken across lines: every line but its last ends in ` \`, and goes on further in than its `$`.
      for (const [i, line] of lines.entries()) {
        if (!line.endsWith(' \\')) continue;
        const dollar = lines.slice(0, i + 1).findLast((l) => /^ *\$ /.test(l))!;
        expect(lines[i + 1]!.search(/\S/), `${lines[i]}\n${lines[i + 1]}`).toBeGreaterThan(dollar.search(/\S/));
        expect(lines[i + 1]!.trimStart()).not.toMatch(/^\$ /);
      }
    }
  });

  it('the main help at 80: the exit codes one to a line, the cron entry whole, paragraphs rewrapped', async () => {
    const lines = await helpAt('', 80);
    const text = lines.join('\n');
    expect(text).toContain('\n  2    usage, input or auth error, or a stop that setting must mend (a proxy\n       refusing,');
    expect(text).toContain('\n  141  stdout closed by its reader (| head)\n');
    expect(text).toMatch(/\n {4}15 3 \* \* \* cd \/data && llm-batch nightly\.jsonl -o "out-\$\(date \+\\%F\)\.jsonl" --resume -q\n/);
    expect(text).toContain('\n  OPENAI_API_KEY     API key (never taken on the command line: it would show in\n                     ps and history)\n');
    expect(text).toContain("\n    $ llm-batch articles.csv \\\n        --template 'Summarise in one line: {{title}} {{body}}' --dry-run\n");
  });

  it('at 200 columns the help reads as written: nothing rewrapped', async () => {
    const text = (await helpAt('', 200)).join('\n');
    expect(text).toContain('\n  0 every prompt answered   1 some prompts failed   2 usage, input or auth error, or a stop that\n  setting must mend');
    expect(text).toContain("\n    $ llm-batch articles.csv --template 'Summarise in one line: {{title}} {{body}}' -o summaries.csv\n");
    expect(text).toContain('\n  OPENAI_API_KEY     API key (never taken on the command line: it would show in ps and history)\n');
    expect(text).toContain('\nResponse cache: a whole answer is stored under a hash of the request (endpoint and body, without\n');
    const report = (await helpAt('report', 200)).join('\n');
    expect(report).toContain("\n  $ llm-batch report out.jsonl -o - | ssh host 'cat > run.html'   # the HTML to stdout\n");
  });
});
