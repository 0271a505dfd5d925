import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repairPartialLine } from '../../src/output/index.js';
import { useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

describe('repairPartialLine', () => {
  it.each([
    ['complete file is left alone', 'out.jsonl', '{"a":1}\n{"b":2}\n', '{"a":1}\n{"b":2}\n'],
    ['torn last line is cut', 'out.jsonl', '{"a":1}\n{"b":', '{"a":1}\n'],
    ['no newline at all → empty', 'out.jsonl', '{"a":', ''],
    ['empty file', 'out.jsonl', '', ''],
    ['multi-byte torn tail', 'out.jsonl', '{"a":1}\n{"b":"日本', '{"a":1}\n'],
    ['CSV torn line', 'out.csv', 'h1,h2\na,b\nc,"d', 'h1,h2\na,b\n'],
    ['CSV line short of cells', 'out.csv', 'h1,h2,h3\na,b,c\nd,e', 'h1,h2,h3\na,b,c\n'],
    ['CSV header alone, torn', 'out.csv', 'h1,h2', ''],
    ['CSV torn after an embedded newline', 'out.csv', 'h1,h2\na,b\nc,"d\ne\n', 'h1,h2\na,b\n'],
    ['CSV with complete multi-line cell', 'out.csv', 'h1,h2\na,"b\nc"\n', 'h1,h2\na,"b\nc"\n'],
    ['.jsonl is line-based only', 'out.jsonl', 'x\n"open\n', 'x\n"open\n'],
  ])('%s', async (_name, file, before, after) => {
    const path = join(tmp(), file);
    writeFileSync(path, before);
    const removed = await repairPartialLine(path);
    expect(readFileSync(path, 'utf8')).toBe(after);
    expect(removed).toBe(Buffer.byteLength(before) - Buffer.byteLength(after));
  });

  it.each([
    ['JSONL', 'out.jsonl', '{"a":1}\n{"b":2}'],
    ['JSONL, a single row', 'out.jsonl', '{"a":1}'],
  ])('%s: a whole last row without its newline is kept and gets one', async (_name, file, before) => {
    const path = join(tmp(), file);
    writeFileSync(path, before);
    expect(await repairPartialLine(path)).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(`${before}\n`);
  });

  // A CSV cut inside its last unquoted cell (a --keep-fields URL) parses as a whole record: only the
  // missing '\n' shows it is torn, so a CSV record without one is always removed (and asked again).
  it.each([
    ['a cut inside the last unquoted cell', 'h1,h2,url\na,b,https://x.example/1\nc,d,https://x.exa', 'h1,h2,url\na,b,https://x.example/1\n'],
    ['a whole record lacking only its newline', 'h1,h2\na,b\nc,d', 'h1,h2\na,b\n'],
    ['a multi-line cell, closed, then the cut', 'h1,h2\na,b\nc,"d\ne"', 'h1,h2\na,b\n'],
  ])('CSV, %s: the last record without its newline is torn', async (_name, before, after) => {
    const path = join(tmp(), 'out.csv');
    writeFileSync(path, before);
    expect(await repairPartialLine(path)).toBe(before.length - after.length);
    expect(readFileSync(path, 'utf8')).toBe(after);
  });

  // A torn write is one row long: a quote left open before whole rows is damage (a hand edit, a bad
  // byte). Nothing is cut, whether the file ends in '\n' or in a torn line; the readers refuse it.
  it.each([
    ['ends in a newline', 'h1,h2,h3\na,b,c\nd,"broken\ne,f,g\nh,i,j\n'],
    ['ends in a torn line', 'h1,h2,h3\na,b,c\nd,"broken\ne,f,g\nh,i,j\nk,l'],
    ['blank line before the damage', 'h1,h2,h3\na,b,c\n\nd,"broken\ne,f,g\n'],
    ['the header itself', `${'h,'.repeat(13)}"h\n${'x,'.repeat(13)}x\n`],
  ])('CSV quote left open before whole rows (%s) is left as it is', async (_name, before) => {
    const path = join(tmp(), 'out.csv');
    writeFileSync(path, before);
    expect(await repairPartialLine(path)).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('CSV torn inside a multi-line cell whose lines are not rows: the torn record is cut', async () => {
    const path = join(tmp(), 'out.csv');
    const whole = 'h1,h2,h3\na,b,c\n';
    // Answer lines with commas (too few for a row) and doubled quotes (not a record on their own).
    writeFileSync(path, `${whole}d,e,"first, line\nsay ""x"", y, z\n\nthird\n`);
    expect(await repairPartialLine(path)).toBeGreaterThan(0);
    expect(readFileSync(path, 'utf8')).toBe(whole);
  });

  it('uses an explicit format over the extension', async () => {
    const path = join(tmp(), 'results.data');
    writeFileSync(path, 'h\n"a\n');
    expect(await repairPartialLine(path)).toBe(0);
    expect(await repairPartialLine(path, 'csv')).toBe(3);
    expect(readFileSync(path, 'utf8')).toBe('h\n');
  });

  it('returns 0 for a missing file', async () => {
    expect(await repairPartialLine(join(tmp(), 'nope.jsonl'))).toBe(0);
  });

  it('handles torn lines longer than its read block', async () => {
    const path = join(tmp(), 'big.jsonl');
    const good = '{"a":1}\n';
    writeFileSync(path, good + 'x'.repeat(200_000));
    expect(await repairPartialLine(path)).toBe(200_000);
    expect(readFileSync(path, 'utf8')).toBe(good);
  });
});
