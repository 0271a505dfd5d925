import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../src/cli/open-input.js';
import { UsageError } from '../../src/errors.js';

async function* chunks(...parts: string[]) {
  yield* parts;
}

describe('sniffFormat (stdin with --input-format auto)', () => {
  it.each([
    ['CR-only JSONL', ['{"prompt":"one"}\r{"prompt":"two"}\r'], 'jsonl'],
    ['CR-only JSONL after blank lines, a CR and LF cut apart', ['\r', '\n\r  \r{"prompt":"one"}', '\r'], 'jsonl'],
    ['CR-only text', ['hello\rworld\r'], 'txt'],
    ['LF JSONL', ['\uFEFF\n{"prompt":"one"}\n'], 'jsonl'],
    ['a lone CR in the first line of LF text', ['{"prompt":"one"}\r{"prompt"\nnext\n'], undefined],
    // A JSON array is the .json format (was sent line by line as text: `[`, `{…},`, `]`).
    ['a JSON array as jq prints it', ['\n[\n  {"prompt": "a"},\n  {"prompt": "b"}\n]\n'], 'json'],
    ['a JSON array on one line', ['[{"prompt":"a"},"b"]\n'], 'json'],
    ['a JSON array of one element a line', ['[{"prompt":"a"},\n{"prompt":"b"}]\n'], 'json'],
    ['a JSON array of strings, one a line', ['["a",\n"b"]\n'], 'json'],
    ['a JSON array of arrays', ['[[1, 2],\n[3]]\n'], 'json'],
    ['text with a tag in brackets', ['[INST] hi [/INST]\n'], 'txt'],
    ['a numbered text line', ['[1] Summarise this\n'], 'txt'],
    ['a wiki link', ['[[Paris]] in one line\n'], 'txt'],
    ['a placeholder in brackets', ['[{name}] greet them\n'], 'txt'],
  ])('%s', async (_label, parts, format) => {
    const run = sniffFormat(chunks(...parts), '<stdin>');
    if (format === undefined) await expect(run).rejects.toThrow(UsageError);
    else expect((await run).format).toBe(format);
  });

  it.each([
    ['["Fact check"] The moon is cheese\n', `line 1 starts with '["'`],
    ['\n\n[\n  "a"\n]\n', 'line 3 is "["'],
    ['[{"prompt": "a"},\n', 'line 1 starts with "[{"'],
    ['[ [1, 2],\n', 'line 1 starts with "[ ["'],
  ])('says why it took %j for a JSON array (for the message of one that does not parse)', async (text, why) => {
    expect(await sniffFormat(chunks(text), '<stdin>')).toMatchObject({ format: 'json', readAsJson: { because: why } });
  });

  it('tells a CR-only input from its head, without reading it all', async () => {
    const row = '{"prompt":"a"}\r';
    const chunk = row.repeat(Math.ceil(16_384 / row.length));
    async function* endless() {
      for (let i = 0; i < 5; i++) yield chunk;
      throw new Error('read past the head');
    }
    expect((await sniffFormat(endless(), '<stdin>')).format).toBe('jsonl');
  });

  it('a source that fails after CR-only lines: they are the input, the error comes after them', async () => {
    async function* failing() {
      yield 'one\rtwo\r';
      throw new Error('<stdin>:3: not valid UTF-8');
    }
    const { format, stream } = await sniffFormat(failing(), '<stdin>');
    expect(format).toBe('txt');
    const seen: Array<string | Buffer> = [];
    await expect(
      (async () => {
        for await (const c of stream) seen.push(c);
      })(),
    ).rejects.toThrow('<stdin>:3');
    expect(seen).toEqual(['one\rtwo\r']);
  });
});
