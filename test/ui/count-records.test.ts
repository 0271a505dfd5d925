import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeInput, type InputEncoding } from '../../src/input/decode-input.js';
import { readRecords } from '../../src/input/index.js';
import { countRecords } from '../../src/ui/count-records.js';
import { ROOT, tempDir } from '../helpers/run-cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function file(name: string, content: string | Buffer): string {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** What the real readers yield for the same file: the count must match it. */
async function readerCount(p: string, format: 'txt' | 'jsonl' | 'csv' | 'json', encoding?: InputEncoding): Promise<number> {
  let n = 0;
  // A template makes any CSV header acceptable.
  const template = format === 'csv' ? '{{id}}' : undefined;
  // Decoded as the run decodes its input (see openFileInput).
  const decoded = decodeInput(fs.createReadStream(p), { source: p, encoding });
  for await (const _ of readRecords(decoded, { source: p, format, template })) n++;
  return n;
}

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);

describe('countRecords', () => {
  it.each([
    ['txt', 'one\ntwo\n\n   \nthree', 3],
    ['txt', '\ufeffa\r\nb\r\n\r\n', 2],
    ['txt', '', 0],
    ['txt', '\n\n\t\n', 0],
    ['txt', 'one\rtwo\r\rthree\r', 3],
    ['txt', 'a\nb\rc\n', 2],
    ['txt', 'hello\rworld\nsecond line\nthird\n', 3],
    ['txt', `one\r${'x'.repeat(70_000)}\ntwo\n`, 3],
    ['jsonl', '{"prompt":"a"}\n\n{"prompt":"b"}\nnot json\n', 3],
    ['csv', 'id,prompt\n1,hello\n2,"multi\nline"\n\n3,"with ""quotes"""\n', 3],
    ['csv', 'id,prompt\r\n1,a\r\n2,b\r\n', 2],
    ['csv', 'id,prompt\n1,"unclosed\n2,fine\n', undefined],
    ['csv', 'id,prompt\n1,a"b\n2,fine\n3,ok\n', 3],
    // A quoted cell closed before other text ends at its line, as the reader splits it.
    ['csv', 'id,prompt\n1,"oops"x, more\n2,fine\n3,"x\n', 3],
    ['csv', 'id\n', 0],
  ] as const)("%s %j → the readers' count", async (format, content, expected) => {
    const p = file(`f-${Math.random().toString(36).slice(2)}.${format}`, content);
    const counted = await countRecords(p, format);
    if (expected !== undefined) expect(counted).toBe(expected);
    expect(counted).toBe(await readerCount(p, format));
  });

  it.each([
    ['txt UTF-16LE with a BOM', 'txt', utf16le('one\r\ntwo\r\n\r\nthree\r\n'), 3],
    ['txt UTF-16BE with a BOM', 'txt', utf16be('one\ntwo\n'), 2],
    ['csv UTF-16LE with a BOM', 'csv', utf16le('id,prompt\r\n1,a\r\n2,b\r\n'), 2],
    ['txt lines of no-break and other wide spaces', 'txt', 'one\n\u00a0\n \u00a0\t\n\u2003\u3000\n\u202f\n\ufeff\ntwo\n\u00a0x\n', 3],
    ['txt a wide space inside text', 'txt', 'a\u2003b\n\u2003c\n', 2],
    ['jsonl a no-break space line', 'jsonl', '{"prompt":"a"}\n\u00a0\u00a0\n{"prompt":"b"}\n', 2],
    ['csv rows of blank cells', 'csv', 'id,prompt\n1,a\n,\n , \n\u00a0,\n2,b\n', 2],
    ['csv a blank row with more cells than the header (an error row)', 'csv', 'id,prompt\n1,a\n,,\n2,b\n', 3],
    ['json a one-line array', 'json', `${JSON.stringify(Array.from({ length: 50 }, (_, i) => `p${i + 1}`))}\n`, 50],
    [
      'json a pretty-printed array',
      'json',
      `${JSON.stringify(
        Array.from({ length: 40 }, (_, i) => ({ prompt: `p${i + 1}` })),
        null,
        2,
      )}\n`,
      40,
    ],
  ] as const)("%s → the readers' count", async (_name, format, content, expected) => {
    const p = file(`g-${Math.random().toString(36).slice(2)}.${format}`, content);
    const counted = await countRecords(p, format);
    expect(counted).toBe(expected);
    expect(counted).toBe(await readerCount(p, format));
  });

  it('decodes Latin-1 as --encoding latin1 says', async () => {
    const p = file('latin1.txt', Buffer.from('caf\xe9\n\xa0\nna\xefve\n', 'latin1'));
    expect(await countRecords(p, 'txt', undefined, undefined, 'latin1')).toBe(2);
    expect(await readerCount(p, 'txt', 'latin1')).toBe(2);
  });

  it.each([
    [';', 'id;prompt\n1;"a\nb"\n2;"c\nd"\n3;";;"\n;\n4;e\n'],
    ['\t', 'id\tprompt\n1\t"a\nb"\n2\tc\n'],
  ])('counts a CSV separated by %j as the reader reads it: quoted line breaks, a row of blank cells', async (csvDelimiter, text) => {
    const p = file(`sep-${csvDelimiter === ';' ? 'semi' : 'tab'}.csv`, text);
    const read = [];
    for await (const r of readRecords(fs.createReadStream(p), { source: p, format: 'csv', csvDelimiter })) read.push(r);
    expect(await countRecords(p, 'csv', undefined, undefined, undefined, csvDelimiter)).toBe(read.length);
    expect(read.length).toBe(csvDelimiter === ';' ? 4 : 2);
  });

  it('rejects where the run would stop reading (no total rather than a wrong one)', async () => {
    const p = file('bad.txt', Buffer.concat([Buffer.from('one\ntwo\n'), Buffer.from([0x61, 0xe9, 0x0a])]));
    await expect(countRecords(p, 'txt')).rejects.toThrow(/not valid UTF-8/);
  });

  it.each([
    ['fixtures/prompts.txt', 'txt'],
    ['fixtures/prompts.jsonl', 'jsonl'],
    ['fixtures/bad.jsonl', 'jsonl'],
    ['fixtures/articles.csv', 'csv'],
  ] as const)('counts %s like the reader', async (name, format) => {
    const p = path.join(ROOT, name);
    expect(await countRecords(p, format)).toBe(await readerCount(p, format));
  });

  it('streams a large file in chunks, reporting the running count', async () => {
    const lines = 200_000;
    const p = file('big.txt', 'a prompt line\n'.repeat(lines));
    const seen: number[] = [];
    expect(await countRecords(p, 'txt', undefined, (n) => seen.push(n))).toBe(lines);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('rejects on a missing file and when aborted', async () => {
    await expect(countRecords(path.join(tmp.dir, 'nope.txt'), 'txt')).rejects.toThrow(/ENOENT/);
    const controller = new AbortController();
    controller.abort();
    await expect(countRecords(file('x.txt', 'a\n'), 'txt', controller.signal)).rejects.toThrow();
  });
});
