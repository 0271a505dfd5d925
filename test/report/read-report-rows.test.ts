import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFileWriter } from '../../src/output/index.js';
import { readReportRows } from '../../src/report/read-report-rows.js';
import { collect, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

describe.each(['jsonl', 'csv'] as const)('readReportRows (%s)', (format) => {
  it('reports a whole JSONL row that lacks its newline (a CSV record without one is torn), and skips a torn one', async () => {
    const path = join(tmp(), `out.${format}`);
    const w = openFileWriter(path, format, { append: false });
    for (const id of ['a', 'b', 'c']) await w.write(okRow(id, `answer ${id}`));
    await w.close();
    truncateSync(path, statSync(path).size - 1);
    expect((await collect(readReportRows(path, format))).map((r) => r.id)).toEqual(format === 'jsonl' ? ['a', 'b', 'c'] : ['a', 'b']);
    truncateSync(path, statSync(path).size - 10);
    const tail = { tornBytes: 0 };
    expect((await collect(readReportRows(path, format, { tail }))).map((r) => r.id)).toEqual(['a', 'b']);
    expect(tail.tornBytes).toBeGreaterThan(0);
  });
});

it('readReportRows refuses a CSV quote left open before whole rows, naming the line', async () => {
  const path = join(tmp(), 'out.csv');
  const w = openFileWriter(path, 'csv', { append: false });
  for (const id of ['a', 'b', 'c']) await w.write(okRow(id, `answer ${id}`));
  await w.close();
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[2] = 'b,2,prompt b,"answer b';
  writeFileSync(path, lines.join('\n'));
  await expect(collect(readReportRows(path, 'csv'))).rejects.toThrow(`${path}:3: a quote opened on this line is never closed, so line 4`);
});

it('readReportRows calls onTorn for a CSV cut inside a quoted cell, after one of its line breaks', async () => {
  const path = join(tmp(), 'out.csv');
  const w = openFileWriter(path, 'csv', { append: false });
  await w.write(okRow('a', 'answer a'));
  await w.write(okRow('b', 'first line\nsecond line\nthird line'));
  await w.close();
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, text.slice(0, text.indexOf('second line')));
  let torn = 0;
  const rows = await collect(readReportRows(path, 'csv', { onTorn: () => torn++ }));
  expect(rows.map((r) => r.id)).toEqual(['a']);
  expect(torn).toBe(1);
  writeFileSync(path, text);
  await collect(readReportRows(path, 'csv', { onTorn: () => torn++ }));
  expect(torn).toBe(1);
});
