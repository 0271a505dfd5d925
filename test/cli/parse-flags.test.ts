import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { onIo, parseArgv } from '../../src/cli/commander-io.js';
import { positiveInteger, positiveNumber, temperature, wholeNumber } from '../../src/cli/parse-flags.js';
import { plainDecimal } from '../../src/util/plain-decimal.js';
import { createProgram } from '../../src/cli/program.js';
import { takeProgressInput } from '../../src/cli/progress-input.js';
import { memoryIo } from '../helpers/memory-io.js';
import { tempDir } from '../helpers/run-cli.js';

/** What Number() reads as a number but a person does not write as a decimal. */
/** Plain digits all the same: Number() makes them Infinity, and 0. */
const HUGE = `1${'0'.repeat(400)}`;
const TINY = `0.${'0'.repeat(400)}1`;
const NOT_DECIMALS = ['0x10', '0X10', '0b1', '0o7', '1e5', '1E5', '1e-3', '+5', '-1', 'Infinity', '1_000', '1,5', '', '  ', '.', HUGE];

describe('plainDecimal', () => {
  it.each([
    ['2', 2],
    ['1.50', 1.5],
    ['.5', 0.5],
    ['5.', 5],
    [' 3 ', 3],
    ['0', 0],
    ['0.0001', 0.0001],
  ])('%j is %d', (text, n) => {
    expect(plainDecimal(text)).toBe(n);
  });

  it.each(NOT_DECIMALS)('%j is no plain decimal', (text) => {
    expect(plainDecimal(text)).toBeUndefined();
  });
});

describe('numeric flag parsers', () => {
  it('--max-cost and the other decimal flags take 1.50, and refuse what Number() alone would take', () => {
    expect(positiveNumber('1.50')).toBe(1.5);
    expect(temperature('0.7')).toBe(0.7);
    for (const text of [...NOT_DECIMALS.filter((t) => t !== HUGE), '0', '0.000']) {
      expect(() => positiveNumber(text), text).toThrow(/Expected a decimal number greater than 0/);
    }
    for (const text of ['0x1', '1e0', '2.5']) expect(() => temperature(text), text).toThrow(/Expected a decimal number from 0 to 2/);
  });

  it.each(['1.50', '1.0', '1e5', '1E5', '0x10', '+5', '-1', ''])('integer flags refuse %j: no rounding, no exponent', (text) => {
    expect(() => positiveInteger(text)).toThrow(/Expected a whole number greater than 0, in plain digits/);
    expect(() => wholeNumber(text)).toThrow(/Expected a whole number \(0 or more\), in plain digits/);
  });

  it('integer flags take digits', () => {
    expect(positiveInteger(' 100000 ')).toBe(100000);
    expect(wholeNumber('0')).toBe(0);
  });
});

/** Parses a run's command line as main() does: the exit code (undefined: the run goes on) and stderr. */
function parse(args: string[]): { code: number | undefined; stderr: string; opts: Record<string, unknown> } {
  const io = memoryIo();
  const program = onIo(createProgram('0.0.0'), io);
  const code = parseArgv(program, ['in.txt', ...args]);
  return { code, stderr: withoutUsageHint(io.err()), opts: program.opts() };
}

/** A parse error's one line, checked to end with the usage hint, without it (what the cases compare). */
function withoutUsageHint(stderr: string): string {
  if (stderr === '') return stderr;
  expect(stderr).toMatch(/^llm-batch: [^\n]* \(run llm-batch --help for usage\)\n$/);
  return stderr.replace(' (run llm-batch --help for usage)\n', '\n');
}

describe('the numeric flags of a run', () => {
  const DECIMAL_FLAGS = ['--max-cost', '--rpm', '--tpm', '--timeout', '--idle-timeout', '--batch-max-mb', '--poll', '--progress', '--temperature', '--top-p'];
  const INTEGER_FLAGS = ['-c', '--retries', '--repeat', '--max-tokens', '--schema-retries', '--batch-size', '--limit', '--seed'];

  it.each([...DECIMAL_FLAGS, ...INTEGER_FLAGS])('%s 0x10 is a usage error naming the flag (exit 2)', (flag) => {
    const r = parse([flag, '0x10']);
    expect(r.code).toBe(ExitCode.usage);
    const [first] = r.stderr.split('\n');
    expect(first).toMatch(new RegExp(`^llm-batch: option '[^']*${flag}[ ,][^']*' argument '0x10' is invalid\\. Expected a`));
  });

  it.each(INTEGER_FLAGS)('%s 1.50 and 1e5 are usage errors', (flag) => {
    for (const value of ['1.50', '1e5']) expect(parse([flag, value]).code, `${flag} ${value}`).toBe(ExitCode.usage);
  });

  // Plain digits all the same: the line says the value is out of range, and where the range ends.
  it.each(INTEGER_FLAGS)('%s 99999999999999999999 is too large, naming the largest taken; 2^53 - 1 is taken', (flag) => {
    for (const value of ['99999999999999999999', '9007199254740992']) {
      const r = parse([flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(ExitCode.usage);
      expect(r.stderr.split('\n')[0]).toMatch(
        new RegExp(`^llm-batch: option '[^']*${flag}[ ,][^']*' argument '${value}' is invalid\\. Too large: the largest accepted is 9007199254740991\\.$`),
      );
    }
    expect(parse([flag, '9007199254740991']).code).toBeUndefined();
  });

  it('--seed takes a negative seed, as OpenAI does, down to -(2^53 - 1)', () => {
    expect(parse(['--seed', '-1'])).toMatchObject({ code: undefined, opts: { seed: -1 } });
    expect(parse(['--seed', '-9007199254740991'])).toMatchObject({ code: undefined, opts: { seed: -9007199254740991 } });
    const r = parse(['--seed', '-99999999999999999999']);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([
      ExitCode.usage,
      "llm-batch: option '--seed <n>' argument '-99999999999999999999' is invalid. Too small: the smallest accepted is -9007199254740991.",
    ]);
    expect(parse(['--seed', '1.5']).stderr).toMatch(/argument '1\.5' is invalid\. Expected a whole number in plain digits, e\.g\. 7 or -1\.$/m);
  });

  // A 400-digit --max-cost was told "Expected a decimal number greater than 0", which it is.
  it.each(['--max-cost', '--rpm', '--tpm', '--batch-max-mb'])('%s: plain digits out of range are too large or too small, naming the limit', (flag) => {
    for (const [value, said] of [
      [HUGE, 'Too large: the largest accepted is 9007199254740991.'],
      ['9007199254740992', 'Too large: the largest accepted is 9007199254740991.'],
      [TINY, 'Too small: the smallest accepted is 0.000000000001.'],
      ['0.0000000000009', 'Too small: the smallest accepted is 0.000000000001.'],
      ['0', 'Expected a decimal number greater than 0, e.g. 2 or 0.5.'],
    ] as const) {
      const r = parse([flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(ExitCode.usage);
      expect(r.stderr.split('\n')[0]).toBe(`llm-batch: option '${flag} ${flag === '--max-cost' ? '<usd>' : '<n>'}' argument '${value}' is invalid. ${said}`);
    }
    for (const value of ['9007199254740991', '0.000000000001']) expect(parse([flag, value]).code, `${flag} ${value}`).toBeUndefined();
  });

  it('--price: a figure in plain digits too large or too small is said to be, naming the limit (the README says both)', () => {
    const line = (value: string, said: string) => `llm-batch: option '--price <in/out[/cached]>' argument '${value}' is invalid. ${said}`;
    for (const value of [`${HUGE}/1`, `1/1/${HUGE}`, '9007199254740992/1']) {
      expect(parse(['--price', value]).stderr.split('\n')[0]).toBe(line(value, 'Too large: the largest price accepted is 9007199254740991.'));
    }
    for (const value of [`${TINY}/1`, '0.0000000000001/0', '1/0.0000000000001', '1/1/0.0000000000001']) {
      expect(parse(['--price', value]).stderr.split('\n')[0]).toBe(line(value, 'Too small: the smallest price accepted is 0.000000000001.'));
    }
    expect(parse(['--price', '0.000000000001/0/0.0'])).toMatchObject({ code: undefined, opts: { price: { input: 1e-12, output: 0, cachedInput: 0 } } });
  });

  it('--max-cost 1.50 is $1.50, and .5 is half a dollar', () => {
    expect(parse(['--max-cost', '1.50'])).toMatchObject({ code: undefined, opts: { maxCost: 1.5 } });
    expect(parse(['--max-cost', '.5'])).toMatchObject({ code: undefined, opts: { maxCost: 0.5 } });
  });
});

describe('the flags in seconds that reach a timer', () => {
  // Past 2^31 - 1 ms Node fires a timer after 1 ms: a progress line or a status poll every millisecond.
  it.each([
    ['--progress', '0.5'],
    ['--poll', '0.05'],
    ['--timeout', '0.05'],
    ['--idle-timeout', '0.05'],
  ])('%s takes %s to 86400 and refuses anything outside, naming the range', (flag, min) => {
    for (const value of [min, '30', '86400']) expect(parse([flag, value]).code, `${flag} ${value}`).toBeUndefined();
    for (const value of ['0', String(Number(min) / 10), '86400.001', '2147484', '99999999999999999999', HUGE, TINY]) {
      const r = parse([flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(ExitCode.usage);
      expect(r.stderr).toMatch(
        new RegExp(`^llm-batch: option '${flag} [^']*' argument '${value}' is invalid\\. Expected a number of seconds from ${min} to 86400 \\(a day\\)`),
      );
    }
  });

  it('--progress alone still means the default', () => {
    expect(parse(['--progress'])).toMatchObject({ code: undefined, opts: { progress: true } });
  });
});

describe('--progress before the input', () => {
  const { dir, cleanup } = tempDir('llm-batch-progress-input-');
  const input = path.join(dir, 'in.txt');
  fs.writeFileSync(input, 'a\n');
  afterAll(cleanup);

  /** As main() parses: commander, then an input given as --progress's value handed back. */
  function parseRun(args: string[]): { code: number | undefined; stderr: string; args: string[]; progress: unknown } {
    const io = memoryIo();
    const program = onIo(createProgram('0.0.0'), io);
    const code = parseArgv(program, args) ?? takeProgressInput(program, args);
    return { code, stderr: withoutUsageHint(io.err()), args: program.args, progress: program.opts().progress };
  }

  it('--progress FILE (or -) is the input, and --progress its default', () => {
    expect(parseRun(['--progress', input, '-q'])).toMatchObject({ code: undefined, args: [input], progress: true });
    expect(parseRun(['--progress', '-'])).toMatchObject({ code: undefined, args: ['-'], progress: true });
    expect(parseRun(['--progress', '5', input])).toMatchObject({ code: undefined, args: [input], progress: 5 });
  });

  it('--progress given again, with seconds or bare, either side: the file stays the input, the last seconds count', () => {
    expect(parseRun(['--progress', input, '--progress', '5'])).toMatchObject({ code: undefined, args: [input], progress: 5 });
    expect(parseRun(['--progress', '5', '--progress', input])).toMatchObject({ code: undefined, args: [input], progress: 5 });
    expect(parseRun(['--progress', input, '--progress'])).toMatchObject({ code: undefined, args: [input], progress: true });
    expect(parseRun(['--progress', input, '--progress', '5', '--progress'])).toMatchObject({ code: undefined, args: [input], progress: true });
    expect(parseRun(['--progress', input, '--progress=30'])).toMatchObject({ code: undefined, args: [input], progress: 30 });
    const twice = parseRun(['--progress', input, '--progress', input]);
    expect(twice.code).toBe(ExitCode.usage);
    expect(twice.stderr.split('\n')[0]).toBe(
      `llm-batch: option '--progress [seconds]' argument '${input}' is invalid. It would be a second input: ${input} is the first.`,
    );
  });

  it('a path that starts as a number would (./q.txt, 2024.jsonl) is the input too', () => {
    const dated = path.join(dir, '2024.jsonl');
    fs.writeFileSync(dated, '{"prompt":"a"}\n');
    for (const file of [`./${path.relative(process.cwd(), input)}`, path.relative(process.cwd(), dated)].map((f) => (f.startsWith('.') ? f : `./${f}`))) {
      expect(parseRun(['--progress', file])).toMatchObject({ code: undefined, args: [file], progress: true });
    }
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(parseRun(['--progress', '2024.jsonl'])).toMatchObject({ code: undefined, args: ['2024.jsonl'], progress: true });
    } finally {
      process.chdir(cwd);
    }
  });

  it('a value that is no number and no file, a second input, or --progress=FILE: exit 2, saying how to write it', () => {
    for (const args of [['--progress', 'nope.txt'], [input, '--progress', input], [`--progress=${input}`]]) {
      const r = parseRun(args);
      expect(r.code, args.join(' ')).toBe(ExitCode.usage);
      expect(r.stderr.split('\n')[0]).toMatch(
        /^llm-batch: option '--progress \[seconds\]' argument '.*' is invalid\. Expected a number of seconds.*\(taken as --progress's value; put the input first or write --progress=10\)\.$/,
      );
    }
  });
});

describe('--keep-fields given more than once', () => {
  it('adds the lists up, as -m does; "all" in any of them keeps every field', () => {
    expect(parse(['--keep-fields', 'title', '--keep-fields', 'url,body']).opts.keepFields).toBe('title,url,body');
    expect(parse(['--keep-fields', 'title', '--keep-fields', 'all']).opts.keepFields).toBe('all');
    expect(parse(['--keep-fields', 'all', '--keep-fields', 'title']).opts.keepFields).toBe('all');
  });
});

describe('--json-schema: a file, @file or inline JSON', () => {
  it.each([
    ['@schema.json', 'schema.json'],
    ['schema.json', 'schema.json'],
    ['{"type":"object"}', '{"type":"object"}'],
  ])('%s is taken as %s', (value, taken) => {
    expect(parse(['--json-schema', value])).toMatchObject({ code: undefined, opts: { jsonSchema: taken } });
  });

  it.each([
    ['@', /needs a file name after the @ \(--json-schema @schema\.json\)/],
    ['@-', /a schema is not read from stdin: name its file/],
    ['-', /a schema is not read from stdin: name its file/],
  ])('%s is a usage error that says why (it said "no such file")', (value, message) => {
    const r = parse(['--json-schema', value]);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toMatch(message);
  });
});
