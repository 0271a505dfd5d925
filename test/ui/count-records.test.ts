import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
async function readerCount(p: string, format: 'txt' | 'jsonl' | 'csv'): Promise<number> {
  let n = 0;
  // A template makes any CSV header acceptable.
  const template = format === 'csv' ? '{{id}}' : undefined;
  for await (const _ of readRecords(fs.createReadStream(p), { source: p, format, template })) n++;
  return n;
}

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
