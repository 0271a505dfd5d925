/**
 * A flag where a value goes: commander gave an option that takes a value the next argument, whatever
 * it was, so `--stop -o out.jsonl` sent "-o" as the stop sequence and read out.jsonl as the input,
 * and `--stop -q` ran without -q, not a word said. A value that is one of the command's flags is
 * refused (exit 2, one line); a dash value that is no flag (`--stop ---`), or a flag written
 * `--stop=-o`, is still taken. Spawns the BUILT CLI with --mock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

const { dir, cleanup } = tempDir('llm-batch-flag-value-');
afterAll(cleanup);

describe('a flag given where a value goes', () => {
  it('--stop -o out.jsonl and --stop -q: refused in one line naming --stop=VALUE, nothing written', async () => {
    const input = writePrompts(dir, 'in.txt', ['hi']);
    const out = path.join(dir, 'out.jsonl');
    for (const args of [
      ['--mock', '--stop', '-o', out],
      [input, '--mock', '--stop', '-q'],
    ]) {
      const r = await runCli(args, { stdin: 'piped\n', cwd: dir });
      const flag = args[3] === out ? '-o' : '-q';
      expect([r.code, r.stderr]).toEqual([
        2,
        `llm-batch: option '--stop <text>' argument missing: ${flag} is a flag, not its value (for the value ${flag} itself, write --stop=${flag}) (run llm-batch --help for usage)\n`,
      ]);
      expect(r.stdout).toBe('');
    }
    expect(fs.readdirSync(dir)).toEqual(['in.txt']);
  });

  it('flags run together, or a short flag with its value joined, are flags too: --stop -qo, --stop -oout.jsonl', async () => {
    const input = writePrompts(dir, 'joined.txt', ['hi']);
    for (const value of ['-qo', '-oout.jsonl']) {
      const r = await runCli([input, '--mock', '--stop', value, 'x.jsonl'], { cwd: dir });
      expect([r.code, r.stderr]).toEqual([
        2,
        `llm-batch: option '--stop <text>' argument missing: ${value} is a flag, not its value (for the value ${value} itself, write --stop=${value}) (run llm-batch --help for usage)\n`,
      ]);
    }
    expect(fs.readdirSync(dir).filter((f) => f.includes('out') || f.startsWith('x'))).toEqual([]);
  });

  it("a subcommand's flag after the parent's option that takes a value: cache stats --cache-dir --json", async () => {
    const r = await runCli(['cache', 'stats', '--cache-dir', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^llm-batch: option '--cache-dir <dir>' argument missing: --json is a flag, not its value \(for the value --json itself, write --cache-dir=--json\)/,
    );
  });

  it("a subcommand's flags too: report -o -q, cache prune --older-than -q", async () => {
    const report = await runCli(['report', path.join(dir, 'none.jsonl'), '-o', '-q'], { cwd: dir });
    expect([report.code, report.stderr]).toEqual([
      2,
      "llm-batch: option '-o, --output <file>' argument missing: -q is a flag, not its value (for the value -q itself, write --output=-q) (run llm-batch report --help for usage)\n",
    ]);
    const prune = await runCli(['cache', 'prune', '--older-than', '-q'], { cwd: dir });
    expect(prune.code, prune.stderr).toBe(2);
    expect(prune.stderr).toMatch(
      /^llm-batch: option '--older-than <days>' argument missing: -q is a flag, not its value .* \(run llm-batch cache prune --help for usage\)\n$/,
    );
  });

  it('values that start with a dash but name no flag, and a flag written --stop=-o, are sent as stop sequences', async () => {
    const input = writePrompts(dir, 'stops.txt', ['hi']);
    const r = await runCli([input, '--mock', '--dry-run', '--stop', '---', '--stop', '-', '--stop=-o', '--stop', '--', '--seed', '-1'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(/^\{[\s\S]*?^\}$/m.exec(r.stdout)![0]);
    expect(body).toMatchObject({ stop: ['---', '-', '-o', '--'], seed: -1 });
    // A text with a space, or with a letter after the dash that is no flag of ours, was never meant as flags.
    const texts = await runCli([input, '--mock', '--dry-run', '--system', '-v is verbose', '--stop', '-qx'], { cwd: dir });
    expect(texts.code, texts.stderr).toBe(0);
    expect(JSON.parse(/^\{[\s\S]*?^\}$/m.exec(texts.stdout)![0])).toMatchObject({ stop: '-qx' });
    // The advice is one shell word to paste.
    const odd = await runCli([input, '--mock', '--stop', '-o;x'], { cwd: dir });
    expect([odd.code, odd.stderr]).toEqual([
      2,
      "llm-batch: option '--stop <text>' argument missing: -o;x is a flag, not its value (for the value -o;x itself, write '--stop=-o;x') (run llm-batch --help for usage)\n",
    ]);
    const quiet = await runCli([input, '--mock', '-q', '-o', '-'], { cwd: dir });
    expect([quiet.code, quiet.stderr]).toEqual([0, '']);
    expect(parseJsonl(quiet.stdout)).toHaveLength(1);
  });
});
