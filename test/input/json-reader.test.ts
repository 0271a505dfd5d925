import { parseTree } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { ElementLines } from '../../src/input/element-lines.js';
import { fallbackId } from '../../src/input/index.js';
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

  it.each([
    ['an array a line', '["What is 2+2?"]\n["Name a colour"]\n'],
    ['a string a line', '"a"\n"b"\n'],
  ])('%s named .json: not JSON Lines either (those are objects), said as what it is', async (_label, text) => {
    await expect(read(text, { format: 'json', source: 'arr.json' })).rejects.toThrow(
      /^arr\.json:2: not valid JSON at column 1 \(.*\); this holds one JSON value a line: a \.json file is one array of prompts \(\["…", "…"\]\), and JSONL \(\.jsonl\) one object a line \(\{"prompt": "…"\}\)$/,
    );
  });

  it('text whose first line happens to parse ("2024") named .json: no hint of JSON values a line', async () => {
    await expect(read('2024\nWhat happened this year?\n', { format: 'json', source: 'y.json' })).rejects.toThrow(
      /^y\.json:2: not valid JSON at column 1 \([^)]*\)$/,
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

  it('an error V8 places past blank lines at the end: placed where the text ends, not on a blank line', async () => {
    await expect(read('[\n"a"\n\n\n', { format: 'json', source: 'in.json' })).rejects.toThrow(/^in\.json:2: not valid JSON at column 4 /);
  });

  it('a no-break space after the last element is no white space to JSON: the error is placed on it', async () => {
    await expect(read('[{"prompt":"a"},\n{"prompt":"b"}\n\u00a0\n', { format: 'json', source: 'in.json' })).rejects.toThrow(/^in\.json:3: /);
  });

  it('an input that just stops: placed where its text ends (it named no place, however long the file)', async () => {
    await expect(read('[\n"a",\n', { format: 'json', source: 'in.json' })).rejects.toThrow(
      /^in\.json:2: not valid JSON at column 5 \(Unexpected end of JSON input\)$/,
    );
  });
});

describe('a .json array of strings and objects', () => {
  it('checks the fields of its objects as an array of objects is checked: a misspelt --id-field or --keep-fields is refused', async () => {
    const text = '["a",{"id":"x","prompt":"b"}]';
    await expect(read(text, { format: 'json', source: 'm.json', idField: 'nope' })).rejects.toThrow(/^m\.json:1: element 2: .*no "nope" field for --id-field/);
    await expect(read(text, { format: 'json', source: 'm.json', keepFields: ['nope'] })).rejects.toThrow(
      /^m\.json:1: element 2: .*no "nope" field for --keep-fields/,
    );
    const records = await read(text, { format: 'json', source: 'm.json', idField: 'id' });
    expect(records.map((r) => [r.line, r.id, r.prompt])).toEqual([
      [1, expect.stringMatching(/^1-/), 'a'],
      [2, 'x', 'b'],
    ]);
    expect((await read('["a","b"]', { format: 'json', source: 's.json' })).map((r) => r.prompt)).toEqual(['a', 'b']);
  });
});

/**
 * A record's `line` is its element's position in the array (ids and resume keys are made of it),
 * but a message is read as `file:line`: it names the file line the element begins on, where an
 * editor or `grep -n` lands, and says which element it is.
 */
describe("a .json element's messages", () => {
  // `jq . records.json`: element 1 on lines 2-5, element 2 on lines 6-9, element 3 on lines 10-13.
  const pretty = `${JSON.stringify(
    [
      { id: 'a', prompt: 'hi' },
      { id: 'b', text: 'x' },
      { id: 'a', prompt: 'yo' },
    ],
    null,
    2,
  )}\n`;

  it('name the file line the element begins on, and the element, in the row and its cross-references', async () => {
    const records = await read(pretty, { format: 'json', source: 'pretty.json' });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual([
      'hi',
      'pretty.json:6: element 2: no "prompt" or "messages" field',
      'pretty.json:10: element 3: duplicate id "a" (first in element 1 at line 2); ids must be unique: pick another --id-field, or drop the id to use line-based ids',
    ]);
    // What rows and resume keys are made of stays the position in the array.
    expect(records.map((r) => [r.line, r.id])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, expect.stringMatching(/^3-[0-9a-f]{8}$/)],
    ]);
  });

  it('name an element that is no prompt or an empty one the same way, wherever strings put brackets and quotes', async () => {
    const text = '[\n  "q \\"],{\\\\",\n  "",\n\n  42,\n  {"prompt": "p", "x": ["]", {"}": ","}]}, "",\n  [\n    1\n  ]\n]\n';
    const records = await read(text, { format: 'json', source: 'in.json' });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual([
      'q "],{\\',
      'in.json:3: element 2: empty prompt',
      'in.json:5: element 3: expected a string or an object, got a number',
      'p',
      'in.json:6: element 5: empty prompt',
      'in.json:7: element 6: expected a string or an object, got an array',
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('name the element whose line-based id another one gives, by element and line', async () => {
    const second = { prompt: 'two' };
    const secondsId = fallbackId(2, JSON.stringify(second));
    const text = `[\n  {"id": "${secondsId}", "prompt": "one"},\n  ${JSON.stringify(second)},\n  {\n    "id": "${fallbackId(4, 'four')}",\n    "prompt": "three"\n  },\n  "four"\n]`;
    const records = await read(text, { format: 'json', source: 'in.json' });
    expect(records.map((r) => r.problem?.message)).toEqual([
      undefined,
      `in.json:3: element 2: this row's line-based id "${secondsId}" is the id given in element 1 at line 2; ids must be unique: give this row an id, or change element 1's`,
      undefined,
      `in.json:8: element 4: this row's line-based id "${fallbackId(4, 'four')}" is the id given in element 3 at line 4; ids must be unique: give this row an id, or change element 3's`,
    ]);
  });

  it("name a given id that is an earlier element's line-based id by element and line", async () => {
    const first = '"one"';
    const text = `[\n\n  ${first},\n  {"id": "${fallbackId(1, 'one')}", "prompt": "two"}\n]`;
    const records = await read(text, { format: 'json', source: 'in.json' });
    expect(records[1]!.problem?.message).toBe(
      `in.json:4: element 2: duplicate id "${fallbackId(1, 'one')}" (the line-based id of element 1 at line 3); ids must be unique: pick another --id-field, or drop the id to use line-based ids`,
    );
  });

  it('name the element a field refusal points at by its file line', async () => {
    const text = JSON.stringify(['a', { id: 'x', question: 'b' }], null, 2);
    await expect(read(text, { format: 'json', source: 'm.json' })).rejects.toThrow(
      /^m\.json:3: element 2: its one row has no "prompt" or "messages" field \(fields: "id", "question"\)/,
    );
  });
});

describe('ElementLines', () => {
  /** A small linear congruential generator: the same arrays every run. */
  const random = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };

  it('finds the line each element begins on, as a JSON parser that tracks places does, asked in any order', () => {
    const next = random(58);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const atoms = ['"a"', '"x\\\\"', '"q\\"]},["', '"\\\\\\""', '1', '-2.5e3', 'true', 'null', '"[{"', '""'];
    const blank = () => pick([' ', '', '\n', '\r\n', '\t', '\n\n  ']);
    const value = (depth: number): string => {
      const kind = depth > 3 ? 0 : Math.floor(next() * 3);
      if (kind === 0) return pick(atoms);
      const items = Array.from({ length: Math.floor(next() * 4) }, (_, i) => (kind === 2 ? `"k${i}"${blank()}:${blank()}` : '') + value(depth + 1));
      return kind === 1 ? `[${blank()}${items.join(`${blank()},${blank()}`)}${blank()}]` : `{${blank()}${items.join(`,${blank()}`)}${blank()}}`;
    };
    for (let round = 0; round < 500; round++) {
      const count = Math.floor(next() * 6);
      const text = `${blank()}[${blank()}${Array.from({ length: count }, () => value(0)).join(`${blank()},${blank()}`)}${blank()}]${blank()}`;
      const want = parseTree(text)!.children!.map((element) => text.slice(0, element.offset).split('\n').length);
      const lines = new ElementLines(text);
      const asked = Array.from({ length: count }, (_, i) => i + 1).sort(() => next() - 0.5);
      expect(asked.map((position) => [text, position, lines.lineOf(position)])).toEqual(asked.map((position) => [text, position, want[position - 1]]));
    }
  });
});
