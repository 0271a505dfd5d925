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
    ['CSV', 'out.csv', 'h1,h2\na,b'],
    ['CSV, a multi-line cell', 'out.csv', 'h1,h2\na,"b\nc"'],
  ])('%s: a whole last row without its newline is kept and gets one', async (_name, file, before) => {
    const path = join(tmp(), file);
    writeFileSync(path, before);
    expect(await repairPartialLine(path)).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(`${before}\n`);
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
