import { describe, expect, it } from 'vitest';
import { read } from '../helpers/input-chunks.js';

describe('a .json array that does not parse', () => {
  it('is named by file and line, with the column, as a bad JSONL line is', async () => {
    const text = '[\n  "first prompt",\n  "second prompt" "third prompt"\n]\n';
    await expect(read(text, { format: 'json', source: 'in.json' })).rejects.toThrow(
      /^in\.json:3: not valid JSON at column 19 \(Expected ',' or '\]' after array element\)$/,
    );
  });

  it('an unexpected token (V8 quotes the text around it, newlines and all, with no position) is named by line and column, in one line', async () => {
    const elements = Array.from({ length: 1000 }, (_, i) => `p${i}`);
    const text = JSON.stringify(elements, null, 1).replace('"p500",', '"p500",,');
    await expect(read(text, { format: 'json', source: 'x.json' })).rejects.toThrow(/^x\.json:502: not valid JSON at column 9 \(Unexpected token ','\)$/);
  });

  it.each([
    ['[1,2,]', 6, "Unexpected token ']'"],
    // jsonc-parser names the word that is no literal; V8 only the ']' after it.
    ['[tru]', 2, "Unexpected token ']'"],
    ['{"a": [1, {"b": null}], "c": -1.5e3, "d": }', 43, "Unexpected token '}'"],
    ['[1] x', 5, 'Unexpected non-whitespace character after JSON'],
  ])('%s: column %d (%s)', async (text, column, reason) => {
    await expect(read(text, { format: 'json', source: 'in.json' })).rejects.toThrow(`in.json:1: not valid JSON at column ${column} (${reason})`);
  });

  it.each([
    ['two objects', '{"prompt":"a"}\n{"prompt":"b"}\n', 2],
    ['after blank lines, with CRLF', '\n{"prompt":"a"}\r\n{"prompt":"b"}\r\n', 3],
  ])('JSON Lines named .json (%s): the place, and the hint to name it .jsonl', async (_label, text, line) => {
    await expect(read(text, { format: 'json', source: 'jl.json' })).rejects.toThrow(
      new RegExp(`^jl\\.json:${line}: not valid JSON at column 1 \\(.*\\); this looks like JSON Lines: name it \\.jsonl or pass --input-format jsonl$`),
    );
  });

  it('a broken array whose first line is a whole value but nothing follows gets no such hint', async () => {
    await expect(read('{"prompt":"a"} x', { format: 'json', source: 'in.json' })).rejects.toThrow(/^in\.json:1: not valid JSON at column 16 \([^)]*\)$/);
    await expect(read('[\n{"a":1}\n{"b":2}\n]', { format: 'json', source: 'in.json' })).rejects.toThrow(/^in\.json:3: not valid JSON at column 1 \([^)]*\)$/);
  });

  it('a BOM does not shift the place', async () => {
    await expect(read('\uFEFF[\n{"prompt": "a"},\n{"prompt": "b"\n]', { format: 'json', source: 'in.json' })).rejects.toThrow(
      /^in\.json:4: not valid JSON at column 1 /,
    );
  });

  it('an input that just stops has no place to name: the file and the reason', async () => {
    await expect(read('[\n"a",\n', { format: 'json', source: 'in.json' })).rejects.toThrow(/^in\.json: not valid JSON \(Unexpected end of JSON input\)$/);
  });
});

describe('a .json array of strings and objects', () => {
  it('checks the fields of its objects as an array of objects is checked: a misspelt --id-field or --keep-fields is refused', async () => {
    const text = '["a",{"id":"x","prompt":"b"}]';
    await expect(read(text, { format: 'json', source: 'm.json', idField: 'nope' })).rejects.toThrow(/^m\.json:2: .*no "nope" field for --id-field/);
    await expect(read(text, { format: 'json', source: 'm.json', keepFields: ['nope'] })).rejects.toThrow(/^m\.json:2: .*no "nope" field for --keep-fields/);
    const records = await read(text, { format: 'json', source: 'm.json', idField: 'id' });
    expect(records.map((r) => [r.line, r.id, r.prompt])).toEqual([
      [1, expect.stringMatching(/^1-/), 'a'],
      [2, 'x', 'b'],
    ]);
    expect((await read('["a","b"]', { format: 'json', source: 's.json' })).map((r) => r.prompt)).toEqual(['a', 'b']);
  });
});
