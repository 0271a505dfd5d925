import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concurrencyWithinFdLimit } from '../../src/cli/fd-limit.js';
import { fingerprintFile, inputChange } from '../../src/cli/input-fingerprint.js';
import { keyValue } from '../../src/cli/data-flags.js';

describe('concurrencyWithinFdLimit', () => {
  it.each([
    [256, 256, 176],
    [200, 64, 16], // 48 kept free: node's own descriptors and the cache's
    [200, 100, 52],
    [100, 1024, 100],
    [8, 16, 8], // small -c: never probed
    [16, 20, 16], // up to 16: never probed (any limit of 64 or more allows it)
    [40, 64, 16], // 17-47 too: under 64 they took every descriptor, the cache's too
  ])('-c %d under ulimit -n %d → %d', (c, limit, expected) => {
    expect(concurrencyWithinFdLimit(c, () => limit).concurrency).toBe(expected);
  });

  it('an unknown limit changes nothing', () => {
    expect(concurrencyWithinFdLimit(500, () => undefined)).toEqual({ concurrency: 500 });
  });
});

describe('keyValue (--param)', () => {
  it.each([
    ['seed=7', ['seed', 7]],
    ['logprobs=true', ['logprobs', true]],
    ['user=batch-7', ['user', 'batch-7']],
    ['response_format={"type":"json_object"}', ['response_format', { type: 'json_object' }]],
    ['stop=["a","b"]', ['stop', ['a', 'b']]],
    ['note=""', ['note', '']],
  ])('%s', (arg, pair) => {
    expect(keyValue(arg, undefined)).toEqual([pair]);
  });

  it.each(['=1', 'noequals', '1x=2'])('refuses %j', (arg) => {
    expect(() => keyValue(arg, undefined)).toThrow(/key=value/);
  });

  it("keeps a value that is only a space: --stop ' ' is a stop sequence", () => {
    expect(keyValue('stop= ', undefined)).toEqual([['stop', ' ']]);
  });

  it.each(['note=', 'stop='])('refuses %j, which would send "" on every request (an unset variable)', (arg) => {
    expect(() => keyValue(arg, undefined)).toThrow(/^\w+ has no value \(an unset variable\?\); for an empty string give \w+='""'\.$/);
  });
});

describe('inputChange (resume with a changed input)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-input-change-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'in.txt');

  it('the same input, or one with lines appended, is no change; an edit or a cut is said in words', async () => {
    fs.writeFileSync(file, 'a\nb\n');
    const before = (await fingerprintFile(file))!;
    expect(await inputChange(file, { hash: before.hash, bytes: before.bytes }, before)).toBeNull();
    fs.appendFileSync(file, 'c\n');
    expect(await inputChange(file, { hash: before.hash, bytes: before.bytes }, (await fingerprintFile(file))!)).toBeNull();
    fs.writeFileSync(file, 'A\nb\nc\n');
    expect(await inputChange(file, { hash: before.hash, bytes: before.bytes }, (await fingerprintFile(file))!)).toMatch(
      /was edited since the output was started/,
    );
    fs.writeFileSync(file, 'a\n');
    expect(await inputChange(file, { hash: before.hash, bytes: before.bytes }, (await fingerprintFile(file))!)).toMatch(
      /is shorter than when the output was started \(4 bytes then, 2 bytes now\)/,
    );
    expect(await inputChange(file, { hash: before.hash, bytes: undefined }, (await fingerprintFile(file))!)).toMatch(/older runs recorded only a hash/);
  });

  const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  it.each([
    ['its last line continued', 'alpha\nbeta', 'gamma\n', 2],
    ['a newline first', 'alpha\nbeta', '\ngamma\n', undefined],
    ['a CRLF first', 'alpha\r\nbeta', '\r\ngamma\r\n', undefined],
    ['an old file that ended its last line', 'alpha\nbeta\n', 'gamma\n', undefined],
    ['UTF-16 continued', utf16le('alpha\nbeta'), utf16le('gamma').subarray(2), 2],
    ['UTF-16 with a newline first', utf16le('alpha\nbeta'), utf16le('\ngamma').subarray(2), undefined],
    ['a BOM alone before', Buffer.from([0xef, 0xbb, 0xbf]), 'alpha\n', undefined],
    ['CR-only lines, ended', 'alpha\rbeta\r', 'gamma\r', undefined],
    ['CR-only lines, a CR first', 'alpha\rbeta', '\rgamma\r', undefined],
    ['a first line whose CR comes after', 'alpha', '\rgamma\r', undefined],
    ['CR-only lines, continued', 'alpha\r\rbeta', 'gamma\r', 3],
    ['a lone CR in an LF file, continued', 'alpha\nbeta\r', 'gamma\n', 2],
    ['a lone CR in the first line of an LF file, continued', 'hello\rworld\nbeta', 'gamma\n', 2],
  ])('appended to an input whose last line had no newline: %s', async (_label, before, appended, line) => {
    fs.writeFileSync(file, before);
    const old = (await fingerprintFile(file))!;
    fs.appendFileSync(file, appended);
    const change = await inputChange(file, old, (await fingerprintFile(file))!);
    if (line === undefined) expect(change).toBeNull();
    else
      expect(change).toBe(
        `the input ${file} was edited since the output was started (not just added to: its last line, line ${line}, had no newline, ` +
          'so the text appended joined that line; a line break where it ended keeps it as it was)',
      );
  });
});
