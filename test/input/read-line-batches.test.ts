import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { MAX_LINE_CHARS, readLineBatches, type Line } from '../../src/input/read-lines.js';

/** Each batch as [line, text] pairs, and the error that ended the reading, if one did. */
async function batches(source: AsyncIterable<string | Buffer>): Promise<{ seen: Array<Array<[number, string]>>; error?: unknown }> {
  const seen: Array<Array<[number, string]>> = [];
  try {
    for await (const lines of readLineBatches(source, 'in.txt')) seen.push(lines.map((l: Line) => [l.line, l.text]));
    return { seen };
  } catch (error) {
    return { seen, error };
  }
}

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part;
}

describe('readLineBatches', () => {
  it('hands on the lines each chunk completes together, the rest with the chunk that ends them', async () => {
    const { seen, error } = await batches(chunks('a\nb\nc', '\nd\n', 'e'));
    expect(error).toBeUndefined();
    expect(seen).toEqual([
      [
        [1, 'a'],
        [2, 'b'],
      ],
      [
        [3, 'c'],
        [4, 'd'],
      ],
      [[5, 'e']],
    ]);
  });

  it('reads the next chunk only when the last batch has been taken', async () => {
    const pulled: string[] = [];
    async function* watched(): AsyncGenerator<string> {
      for (const part of ['a\nb\n', 'c\n']) {
        pulled.push(part);
        yield part;
      }
    }
    const lines = readLineBatches(watched(), 'in.txt');
    await lines.next();
    expect(pulled).toEqual(['a\nb\n']);
    await lines.return(undefined);
  });

  it('hands on the lines before a line too long, then fails', async () => {
    const { seen, error } = await batches(chunks(`a\nb\n${'x'.repeat(MAX_LINE_CHARS + 1)}`));
    expect(seen).toEqual([
      [
        [1, 'a'],
        [2, 'b'],
      ],
    ]);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`in.txt:3: line is longer than ${MAX_LINE_CHARS} characters; is this the right file and format?`);
  });

  it.each([
    ['the first line', `${'x'.repeat(MAX_LINE_CHARS + 1)}\nb\n`, 1, []],
    ['a later one', `a\n${'x'.repeat(MAX_LINE_CHARS + 1)}\nb\n`, 2, [[[1, 'a']]]],
    ['one in a classic Mac file', `a\r${'x'.repeat(MAX_LINE_CHARS + 1)}\rb\r`, 2, [[[1, 'a']]]],
  ])('fails %s too long when it ends in the chunk it started in (a file head comes whole)', async (_what, text, line, before) => {
    const { seen, error } = await batches(chunks(text));
    expect(seen).toEqual(before);
    expect((error as Error).message).toBe(`in.txt:${line}: line is longer than ${MAX_LINE_CHARS} characters; is this the right file and format?`);
  });

  it('hands on the whole lines of a head still undecided when the source fails', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield 'one\rtwo';
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    const { seen, error } = await batches(failing());
    expect(seen).toEqual([[[1, 'one']]]);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^in\.txt: cannot read input \(EIO/);
  });
});
