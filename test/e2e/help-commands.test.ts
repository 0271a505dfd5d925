/**
 * Finding the subcommands, through the BUILT CLI: `--help` lists every one with a line of its own,
 * and `llm-batch help [command]` shows help (a file named help is `./help`), with no key asked for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, type CliResult } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, cleanup } = tempDir('llm-batch-help-');
afterAll(cleanup);

const NO_KEY = { env: { OPENAI_API_KEY: undefined }, cwd: dir };
/** NO_KEY in the worker (its cwd, ROOT): for command lines with no path in them, whose help does not depend on cwd. */
const IN_WORKER = { env: NO_KEY.env };

/**
 * `llm-batch <command> --help`, started once for the file: the `help <command>` tests compare with it
 * and the format tests read it, the same command line either way. In the worker (no path in it: its
 * help does not depend on cwd) but for `cache`'s (a child process, as `cache` subcommands stay).
 */
const helpRuns = new Map<string, Promise<CliResult>>();
function commandHelp(words: readonly string[]): Promise<CliResult> {
  const key = words.join(' ');
  let run = helpRuns.get(key);
  if (!run) helpRuns.set(key, (run = words[0] === 'cache' ? runCli([...words, '--help'], NO_KEY) : runInWorker([...words, '--help'], IN_WORKER)));
  return run;
}

/** The lines of help's Commands section, up to the blank line that ends it. */
function commandsSection(help: string): string[] {
  const start = help.split('\n').indexOf('Commands:');
  expect(start, help).toBeGreaterThan(0);
  const rest = help.split('\n').slice(start + 1);
  return rest.slice(0, rest.indexOf(''));
}

describe('--help lists the subcommands', () => {
  it('names every subcommand with its argument and a one-line description', async () => {
    const r = await runInWorker(['--help'], IN_WORKER);
    expect(r.code).toBe(0);
    const lines = commandsSection(r.stdout);
    for (const [name, argument] of [
      ['report', '<results>'],
      ['merge', '<outputs...>'],
      ['status', '<output>'],
      ['cancel', '<output>'],
      ['cache', '<stats|clear|prune>'],
      ['help', '[command]'],
    ]) {
      // One line each: name, argument, then the description on the same line.
      expect(lines, r.stdout).toContainEqual(expect.stringMatching(new RegExp(`^  ${name} ${argument!.replace(/[.[\]|]/g, '\\$&')}\\s+\\S`)));
    }
  });
});

describe('llm-batch help [command]', () => {
  it('help: the main help on stdout, exit 0, no key asked for, even beside a file named help', async () => {
    fs.writeFileSync(path.join(dir, 'help'), 'a prompt\n');
    const r = await runCli(['help'], NO_KEY);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: llm-batch \[options\] \[input\]/);
    expect(r.stdout).toContain('Commands:');
    expect(r.stderr).toBe('');
  });

  it.each([
    ['status', /^Usage: llm-batch status \[options\] <output>/],
    ['cancel', /^Usage: llm-batch cancel \[options\] <output>/],
    ['merge', /^Usage: llm-batch merge \[options\] <outputs\.\.\.>/],
    ['report', /^Usage: llm-batch report \[options\] <results>/],
    ['cache', /^Usage: llm-batch cache \[options\] \[command\]/],
  ])('help %s: that command’s own help, as with --help', async (name, usage) => {
    // `help cache` stays a child process, as `cache` subcommands do.
    const r = name === 'cache' ? await runCli(['help', name], NO_KEY) : await runInWorker(['help', name], IN_WORKER);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(usage);
    const own = await commandHelp([name]);
    expect(own.code, own.stderr).toBe(0);
    expect(r.stdout).toBe(own.stdout);
  });

  it.each(['stats', 'clear', 'prune'])('help cache %s: that cache command’s own help (it printed the help of `cache`)', async (name) => {
    const r = await runCli(['help', 'cache', name], NO_KEY);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: llm-batch cache ${name} \\[options\\]`));
    const own = await commandHelp(['cache', name]);
    expect(r.stdout).toBe(own.stdout);
  });

  it('help cache --cache-dir DIR: the help of `cache` (it said the option missed its argument)', async () => {
    const r = await runCli(['help', 'cache', '--cache-dir', '/tmp/x'], NO_KEY);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: llm-batch cache \[options\] \[command\]/);
  });

  it('help cache bogus: refused as `cache bogus` is, one line, exit 2', async () => {
    const r = await runCli(['help', 'cache', 'bogus'], NO_KEY);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("llm-batch: unknown command 'bogus' (run llm-batch cache --help for usage)\n");
  });

  // These printed the error alone, where the main command and `cache` say where the usage is.
  it.each([
    [['status'], "llm-batch: missing required argument 'output'", 'status'],
    [['status', 'out.jsonl', '--bogus'], "llm-batch: unknown option '--bogus'", 'status'],
    [['cancel'], "llm-batch: missing required argument 'output'", 'cancel'],
    [['cancel', 'out.jsonl', '--poll', '0'], "llm-batch: option '--poll <seconds>' argument '0' is invalid.", 'cancel'],
    [['merge', 'a.jsonl'], "llm-batch: required option '-o, --output <file>' not specified", 'merge'],
    [['merge', 'a.jsonl', '-o', 'm.jsonl', '--bogus'], "llm-batch: unknown option '--bogus'", 'merge'],
  ])('%j: one line ending in the usage hint of its own help, exit 2', async (args, line, command) => {
    // A command line with a (relative) path in it stays a child process in the test's directory.
    const r = args.length === 1 ? await runInWorker(args, IN_WORKER) : await runCli(args, NO_KEY);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(line), r.stderr).toBe(true);
    expect(r.stderr.endsWith(` (run llm-batch ${command} --help for usage)\n`), r.stderr).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('help of an unknown command: says so in one line and the usage hint, exit 2, as `cache nosuch`; help help is the main help', async () => {
    const r = await runCli(['help', 'nosuch'], NO_KEY);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("llm-batch: unknown command 'nosuch' (run llm-batch --help for usage)\n");
    // help takes no option but -h: `help --foo` is an unknown option, not the main help with exit 0.
    for (const option of ['--foo', '-q', '--model=x']) {
      const refused = await runInWorker(['help', option], IN_WORKER);
      expect(refused.code, option).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe(`llm-batch: unknown option '${option}' (run llm-batch --help for usage)\n`);
    }
    const dash = await runInWorker(['help', '-'], IN_WORKER);
    expect([dash.code, dash.stderr]).toEqual([2, "llm-batch: unknown command '-' (run llm-batch --help for usage)\n"]);
    for (const option of ['-h', '--help', '--'])
      expect((await runInWorker(['help', option], IN_WORKER)).stdout).toMatch(/^Usage: llm-batch \[options\] \[input\]/);
    const help = await runInWorker(['help', 'help'], IN_WORKER);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: llm-batch \[options\] \[input\]/);
  });

  it('a mistyped command is said to be one, with the near name; a file of that name is still an input', async () => {
    // Taken for an input file: "too many arguments" (`repot out.jsonl`) or "no such file" (`reprot`).
    for (const [argv, line] of [
      [['repot', 'out.jsonl'], "llm-batch: unknown command 'repot' (Did you mean report?) (run llm-batch --help for usage)\n"],
      [['reprot'], "llm-batch: unknown command 'reprot' (Did you mean report?) (run llm-batch --help for usage)\n"],
      [['stauts', 'out.jsonl'], "llm-batch: unknown command 'stauts' (Did you mean status?) (run llm-batch --help for usage)\n"],
    ] as const) {
      const r = await runCli([...argv], NO_KEY);
      expect([r.code, r.stdout, r.stderr], argv.join(' ')).toEqual([2, '', line]);
    }
    fs.writeFileSync(path.join(dir, 'mrege'), 'a prompt\n');
    const file = await runCli(['mrege', '--mock', '--no-cache'], NO_KEY);
    expect(file.code, file.stderr).toBe(0);
    expect(file.stdout).toContain('a prompt');
  });

  it('./help is still an input file', async () => {
    fs.writeFileSync(path.join(dir, 'help'), 'a prompt\n');
    const r = await runCli(['./help', '--mock', '--no-cache'], NO_KEY);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).prompt).toBe('a prompt');
  });
});

/** A help text's sections: the description paragraph, and each section's entries (name, description). */
function helpParts(help: string): { usage: string; description: string; entries: Array<{ section: string; name: string; text: string }>; examples: string[] } {
  const lines = help.split('\n');
  const description = lines.slice(2, lines.indexOf('', 2)).join(' ');
  const entries: Array<{ section: string; name: string; text: string }> = [];
  const examples: string[] = [];
  let section = '';
  for (const line of lines.slice(lines.indexOf('', 2) + 1)) {
    if (/^\S.*:$/.test(line)) section = line.slice(0, -1);
    else if (section === 'Examples' && line.trim().startsWith('$')) examples.push(line.trim());
    else if (['Arguments', 'Options', 'Commands'].includes(section)) {
      const m = /^ {2}(\S.*?)(?: {2,}(\S.*))?$/.exec(line);
      if (m) entries.push({ section, name: m[1]!, text: m[2] ?? '' });
      // A wrapped description continues the entry before it.
      else if (/^ {4,}\S/.test(line) && entries.length > 0) entries.at(-1)!.text += ` ${line.trim()}`;
    }
  }
  return { usage: lines[0]!, description, entries, examples };
}

describe('every subcommand help is written one way', () => {
  it.each(['status', 'cancel', 'merge', 'report', 'cache', 'cache stats', 'cache clear', 'cache prune'])(
    '%s --help: a sentence, lower-case entries, "-h, --help show this help", no -V, examples',
    async (command) => {
      const words = command.split(' ');
      const r = await commandHelp(words);
      expect(r.code, r.stderr).toBe(0);
      const help = helpParts(r.stdout);
      expect(help.usage).toMatch(new RegExp(`^Usage: llm-batch ${words.join(' ')} `));
      // What the command does: a sentence, capitalised, with its full stop.
      expect(help.description, r.stdout).toMatch(/^[A-Z].*[^.]\.$/);
      expect(help.entries.length).toBeGreaterThan(0);
      for (const entry of help.entries) {
        // An entry says what the flag or argument is: a phrase, with no full stop and no capital
        // (but for names: JSON, HTML, OpenAI), as the run's own --help has them.
        expect(entry.text, `${entry.name} in ${words.join(' ')}`).toMatch(/^([a-z"$(]|JSON|HTML|CSV|DAYS|USD).*[^.]$/);
      }
      expect(help.entries).toContainEqual({ section: 'Options', name: '-h, --help', text: 'show this help' });
      expect(help.entries.map((e) => e.name)).not.toContain('-V, --version');
      expect(r.stdout).not.toMatch(/display help for command/);
      // At least one example, each a command line of this command.
      expect(help.examples.length, r.stdout).toBeGreaterThan(0);
      for (const line of help.examples) expect(line).toMatch(new RegExp(`^\\$ llm-batch ${words[0]} `));
    },
  );
});
