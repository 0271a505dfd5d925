import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readLines } from '../../src/input/index.js';
import { LINE_BREAKS_HEAD_CHARS, lineBreaksOf } from '../../src/input/read-lines.js';
import { CHUNKINGS, collect } from '../helpers/input-chunks.js';

const lines = async (source: AsyncIterable<string | Buffer>) => (await collect(readLines(source, 'in.txt'))).map((l) => [l.line, l.text]);

describe('readLines', () => {
  const cases: Array<[label: string, text: string, expected: Array<[number, string]>]> = [
    [
      'LF',
      'a\nb\n',
      [
        [1, 'a'],
        [2, 'b'],
      ],
    ],
    [
      'CRLF',
      'a\r\nb\r\n',
      [
        [1, 'a'],
        [2, 'b'],
      ],
    ],
    [
      'mixed endings',
      'a\r\nb\nc\r\n',
      [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ],
    ],
    [
      'no final newline',
      'a\nb',
      [
        [1, 'a'],
        [2, 'b'],
      ],
    ],
    [
      'UTF-8 BOM',
      '\uFEFFa\nb',
      [
        [1, 'a'],
        [2, 'b'],
      ],
    ],
    ['only the first BOM is dropped', '\uFEFF\uFEFFa', [[1, '\uFEFFa']]],
    [
      'a BOM starting a line in the middle (cat a.jsonl b.jsonl) is dropped too',
      '\uFEFF{"a":1}\n\uFEFF{"b":2}\r\nx\uFEFF\n',
      [
        [1, '{"a":1}'],
        [2, '{"b":2}'],
        [3, 'x\uFEFF'],
      ],
    ],
    [
      'blank lines are kept and counted',
      '\n a \n\r\n\nz',
      [
        [1, ''],
        [2, ' a '],
        [3, ''],
        [4, ''],
        [5, 'z'],
      ],
    ],
    [
      'a lone CR in a file whose lines end in LF is text',
      'a\nb\rc\n',
      [
        [1, 'a'],
        [2, 'b\rc'],
      ],
    ],
    [
      'a lone CR after a first CRLF is text',
      'a\r\nb\rc\r\n',
      [
        [1, 'a'],
        [2, 'b\rc'],
      ],
    ],
    [
      'CR-only line endings (classic Mac), blank lines counted',
      'one\rtwo\r\rthree\r',
      [
        [1, 'one'],
        [2, 'two'],
        [3, ''],
        [4, 'three'],
      ],
    ],
    [
      'a lone CR in the first line of an LF file is text too',
      '\uFEFFhello\rworld\nsecond line\r\nthird\n',
      [
        [1, 'hello\rworld'],
        [2, 'second line'],
        [3, 'third'],
      ],
    ],
    [
      'a classic Mac head: a CRLF or LF later ends lines too, as one break each',
      `a\r${'x'.repeat(LINE_BREAKS_HEAD_CHARS)}\rb\r\nc\nd`,
      [
        [1, 'a'],
        [2, 'x'.repeat(LINE_BREAKS_HEAD_CHARS)],
        [3, 'b'],
        [4, 'c'],
        [5, 'd'],
      ],
    ],
    [
      // Taken for a classic Mac file, it was 3 lines: every later line and id one off.
      'an LF file whose first line holds a lone CR past the first 64K characters: the CR is text',
      `${'A'.repeat(LINE_BREAKS_HEAD_CHARS + 4464)}\r${'B'.repeat(10)}\nsecond\n`,
      [
        [1, `${'A'.repeat(LINE_BREAKS_HEAD_CHARS + 4464)}\r${'B'.repeat(10)}`],
        [2, 'second'],
      ],
    ],
    [
      'a CR-only first line longer than the head, then LF lines: a classic Mac file',
      `a\r${'x'.repeat(LINE_BREAKS_HEAD_CHARS)}\nz`,
      [
        [1, 'a'],
        [2, 'x'.repeat(LINE_BREAKS_HEAD_CHARS)],
        [3, 'z'],
      ],
    ],
    [
      'a CRLF file whose first line is longer than the head: its CRs stay text',
      `${'x'.repeat(LINE_BREAKS_HEAD_CHARS + 10)}\r\nfoo\rbar\r\nbaz\r\n`,
      [
        [1, 'x'.repeat(LINE_BREAKS_HEAD_CHARS + 10)],
        [2, 'foo\rbar'],
        [3, 'baz'],
      ],
    ],
    ['a single line ending in CR', 'a\r', [[1, 'a']]],
    [
      'multi-byte characters',
      'héllo 👋\n日本語\n',
      [
        [1, 'héllo 👋'],
        [2, '日本語'],
      ],
    ],
    ['empty input', '', []],
    ['a single newline', '\n', [[1, '']]],
  ];
  for (const [chunking, toSource] of CHUNKINGS) {
    it.each(cases)(`%s (${chunking})`, async (_label, text, expected) => {
      expect(await lines(toSource(text))).toEqual(expected);
    });
  }

  it('lineBreaksOf tells a head as readLines splits it', () => {
    expect(lineBreaksOf('hello\rworld\nsecond\n', false)).toBe('lf');
    expect(lineBreaksOf('one\rtwo', false)).toBeUndefined();
    expect(lineBreaksOf('one\rtwo', true)).toBe('cr');
    expect(lineBreaksOf(`one\r${'x'.repeat(LINE_BREAKS_HEAD_CHARS)}`, false)).toBe('cr');
    expect(lineBreaksOf(`one\r${'x'.repeat(LINE_BREAKS_HEAD_CHARS)}\n`, false)).toBe('cr');
    // The CR of a CRLF past the head is an LF file's; one that ends the text so far may be one.
    const long = 'x'.repeat(LINE_BREAKS_HEAD_CHARS + 5);
    expect(lineBreaksOf(`${long}\r\nfoo\rbar\n`, false)).toBe('lf');
    expect(lineBreaksOf(`${long}\r`, false)).toBeUndefined();
    expect(lineBreaksOf(`${long}\r`, true)).toBe('cr');
    // A CR past the head tells once 64K characters follow it: with an LF among them, it was text.
    expect(lineBreaksOf(`${long}\rb`, false)).toBeUndefined();
    expect(lineBreaksOf(`${long}\rb\n`, false)).toBe('lf');
    expect(lineBreaksOf(`${long}\r${'b'.repeat(LINE_BREAKS_HEAD_CHARS - 1)}\n`, false)).toBe('lf');
    expect(lineBreaksOf(`${long}\r${'b'.repeat(LINE_BREAKS_HEAD_CHARS + 1)}`, false)).toBe('cr');
  });

  it('turns a failing source into an InputError naming it', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield 'first\n';
      throw Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' });
    }
    const seen: string[] = [];
    const run = async () => {
      for await (const l of readLines(failing(), 'dir/')) seen.push(l.text);
    };
    await expect(run()).rejects.toThrow(InputError);
    await expect(collect(readLines(failing(), 'dir/'))).rejects.toThrow(/^dir\/: cannot read input \(EISDIR/);
    expect(seen).toEqual(['first']);
  });
});
