/**
 * Finding the subcommands, through the BUILT CLI: `--help` lists every one with a line of its own,
 * and `llm-batch help [command]` shows help (a file named help is `./help`), with no key asked for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/run-cli.js';

const { dir, cleanup } = tempDir('llm-batch-help-');
afterAll(cleanup);

const NO_KEY = { env: { OPENAI_API_KEY: undefined }, cwd: dir };

/** The lines of help's Commands section, up to the blank line that ends it. */
function commandsSection(help: string): string[] {
  const start = help.split('\n').indexOf('Commands:');
  expect(start, help).toBeGreaterThan(0);
  const rest = help.split('\n').slice(start + 1);
  return rest.slice(0, rest.indexOf(''));
}

describe('--help lists the subcommands', () => {
  it('names every subcommand with its argument and a one-line description', async () => {
    const r = await runCli(['--help'], NO_KEY);
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
    const r = await runCli(['help', name], NO_KEY);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(usage);
    expect(r.stdout).toBe((await runCli([name, '--help'], NO_KEY)).stdout);
  });

  it('help of an unknown command: the main help on stderr, exit 2', async () => {
    const r = await runCli(['help', 'nosuch'], NO_KEY);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: llm-batch/);
  });

  it('./help is still an input file', async () => {
    fs.writeFileSync(path.join(dir, 'help'), 'a prompt\n');
    const r = await runCli(['./help', '--mock', '--no-cache'], NO_KEY);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).prompt).toBe('a prompt');
  });
});
