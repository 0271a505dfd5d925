import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPricesFile } from '../../src/budget/prices.js';
import { UsageError } from '../../src/errors.js';
import { closestWord } from '../../src/util/closest-word.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-prices-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Reads `prices` written to a file of its own; returns the map or the refusal's message. */
function read(prices: unknown): Map<string, unknown> | string {
  const file = path.join(dir, 'prices.json');
  fs.writeFileSync(file, JSON.stringify(prices));
  try {
    return readPricesFile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return (err as Error).message.replace(file, 'FILE');
  }
}

describe('readPricesFile: the keys of a price', () => {
  it('takes input, output and cached_input (cachedInput too), and the "IN/OUT" string', () => {
    expect(read({ a: { input: 1, output: 2, cached_input: 0.5 }, b: { input: 1, output: 2, cachedInput: 0.25 }, c: '1/2' })).toEqual(
      new Map([
        ['a', { input: 1, output: 2, cachedInput: 0.5 }],
        ['b', { input: 1, output: 2, cachedInput: 0.25 }],
        ['c', { input: 1, output: 2 }],
      ]),
    );
  });

  it.each([
    [{ input: 1, output: 2, cached_inpt: 0.5 }, '"cached_inpt" (did you mean "cached_input"?)'],
    [{ input: 1, outptu: 2 }, '"outptu" (did you mean "output"?)'],
    [{ Input: 1, output: 2 }, '"Input" (did you mean "input"?)'],
    [{ input: 1, output: 2, 'cached-input': 0.5 }, '"cached-input" (did you mean "cached_input"?)'],
    [{ input: 1, output: 2, currency: 'USD' }, '"currency"'],
  ])('refuses %j, naming the file, the model and the key: %s', (price, said) => {
    expect(read({ ok: '1/2', 'mock-model': price })).toBe(
      `--prices FILE: "mock-model": unknown key ${said}; a price takes "input", "output" and "cached_input"`,
    );
  });

  it('an entry that is no object is told as before', () => {
    expect(read({ m: [1, 2] })).toBe('--prices FILE: "m": expected {"input": N, "output": N} in USD per million tokens');
    expect(read({ m: { input: 'cheap' } })).toBe('--prices FILE: "m": expected {"input": N, "output": N} in USD per million tokens');
    expect(read({ m: '0.15' })).toBe('--prices FILE: "m": expected "IN/OUT" or "IN/OUT/CACHED" in USD per million tokens, got "0.15"');
  });
});

describe('readPricesFile: figures out of the range --price takes', () => {
  // A file's 1e300 priced an answer at a dollar figure 300 digits long; its "99999999999999999999/1" at $1.6e18.
  it.each([
    [{ m: '99999999999999999999/1' }, '"input" is too large: the largest price accepted is 9007199254740991'],
    [{ m: { input: 1e300, output: 1 } }, '"input" is too large: the largest price accepted is 9007199254740991'],
    [{ m: { input: 1, output: 1, cached_input: 9007199254740992 } }, '"cached_input" is too large: the largest price accepted is 9007199254740991'],
    [{ m: '1/1/0.0000000000001' }, '"cached_input" is too small: the smallest price accepted is 0.000000000001'],
    [{ m: { input: 1, output: 1e-13 } }, '"output" is too small: the smallest price accepted is 0.000000000001'],
  ])('refuses %j, naming the file, the model and the limit', (prices, said) => {
    expect(read(prices)).toBe(`--prices FILE: "m": ${said}`);
  });

  it('names a mistyped key first, whatever its figure', () => {
    expect(read({ m: { input: 0.15, outptu: 1e300 } })).toBe(
      '--prices FILE: "m": unknown key "outptu" (did you mean "output"?); a price takes "input", "output" and "cached_input"',
    );
  });

  it('takes the limits themselves, and 0', () => {
    expect(read({ m: '9007199254740991/0.000000000001', n: { input: 0, output: 1e-12 } })).toEqual(
      new Map([
        ['m', { input: 9007199254740991, output: 1e-12 }],
        ['n', { input: 0, output: 1e-12 }],
      ]),
    );
  });
});

describe('closestWord', () => {
  it.each([
    ['cached_inpt', 'cached_input'],
    ['CACHED INPUT', 'cached_input'],
    ['ouptut', 'output'],
    ['inputs', 'input'],
    ['price', undefined],
    ['x', undefined],
  ])('%s → %s', (word, meant) => {
    expect(closestWord(word, ['input', 'output', 'cached_input'])).toBe(meant);
  });
});

describe('readPricesFile: a file that is not JSON (EXC s22 F7)', () => {
  it('names the line and column, as --json-schema does, not a character offset', () => {
    const file = path.join(dir, 'pml.json');
    fs.writeFileSync(file, '{\n  "gpt-4o": "1/2",\n  "my": {"input": 1 "output": 2}\n}\n');
    expect(() => readPricesFile(file)).toThrow(
      new UsageError(`--prices ${file}: not valid JSON at line 3 column 21 (Expected ',' or '}' after property value)`),
    );
  });
});
