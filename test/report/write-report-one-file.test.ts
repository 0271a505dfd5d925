import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createPriceLookup } from '../../src/budget/prices.js';
import { openFileWriter } from '../../src/output/index.js';
import { writeReport } from '../../src/report/write-report.js';
import type { ResultRow } from '../../src/types.js';
import { TABLE_COLUMNS } from '../../src/report/report-data.js';
import { reportDataOf } from '../helpers/report-data.js';
import { errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

async function writeRows(path: string, format: 'jsonl' | 'csv', rows: readonly ResultRow[]): Promise<void> {
  const w = openFileWriter(path, format, { append: false });
  for (const row of rows) await w.write(row);
  await w.close();
}

// A resume that compacts its output renames a new file over it: here between the report's two reads.
it.each(['jsonl', 'csv'] as const)('a %s file renamed over the results between the two reads changes no row of the report', async (format) => {
  const dir = tmp();
  const out = join(dir, `out.${format}`);
  const ids = Array.from({ length: 40 }, (_, i) => `r${i}`);
  // The first 5 failed, then were answered by a resume: the compacted file has them last, answered.
  const failedFirst = ids.map((id, i) => (i < 5 ? errRow(id) : okRow(id, `answer ${id}`)));
  await writeRows(out, format, [...failedFirst, ...ids.slice(0, 5).map((id) => okRow(id, `resumed ${id}`))]);
  const compacted = join(dir, `compacted.${format}`);
  await writeRows(compacted, format, [...ids.slice(5).map((id) => okRow(id, `answer ${id}`)), ...ids.slice(0, 5).map((id) => okRow(id, `resumed ${id}`))]);
  const table = join(dir, 'report.html');
  let renamed = false;
  // Prices are looked up while the figures are built: after the first read, before the second.
  const lookup = createPriceLookup({});
  const renaming = (model: string) => {
    if (!renamed) renameSync(compacted, out);
    renamed = true;
    return lookup(model);
  };
  await writeReport({ input: out, format, output: table, pricing: { lookup: renaming } });
  expect(renamed).toBe(true);
  const data = reportDataOf(table);
  const rows: unknown[][] = data.table.rows;
  const byId = new Map(rows.map((r) => [r[1], r]));
  expect(rows).toHaveLength(40);
  expect(byId.size).toBe(40);
  for (const id of ids) {
    const row = byId.get(id)!;
    expect(row[9]).toBe(`prompt ${id}`);
    expect(row[10]).toBe(ids.indexOf(id) < 5 ? `resumed ${id}` : `answer ${id}`);
  }
});

it('a file rewritten in place between the two reads (an --overwrite run) is read again', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  await writeRows(
    out,
    'jsonl',
    Array.from({ length: 20 }, (_, i) => okRow(`old${i}`, `old answer ${i}`)),
  );
  let rewritten = false;
  const lookup = createPriceLookup({});
  const rewriting = (model: string) => {
    if (!rewritten) {
      rewritten = true;
      // Synchronous, in place: the same file cut back and written again, as openFileWriter does.
      const w = openFileWriter(out, 'jsonl', { append: false });
      for (let i = 0; i < 20; i++) void w.write(errRow(`new${i}`, `new error ${i}`));
      void w.close();
    }
    return lookup(model);
  };
  const table = join(dir, 'report.html');
  await writeReport({ input: out, format: 'jsonl', output: table, pricing: { lookup: rewriting } });
  const data = reportDataOf(table);
  // The figures and the table of the same rows: the new run's failures.
  expect(data.figures).toMatchObject({ rows: 20, ok: 0, failed: 20 });
  const rows: unknown[][] = data.table.rows;
  expect(rows.map((r) => r[1])).toEqual(Array.from({ length: 20 }, (_, i) => `new${i}`));
  expect(rows.map((r) => r[11])).toEqual(Array.from({ length: 20 }, (_, i) => `new error ${i}`));
});

// Read again for their texts, the table's rows lost what the figures count them as (review s55).
it('the table shows a plain row beside samples as sample 0, and a resumed row with the tokens of the row it replaced', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  await writeRows(out, 'jsonl', [
    okRow('a', 'plain answer'),
    okRow('a', 'second sample', { sample: 1 }),
    errRow('b', 'cut off', { usage: { prompt_tokens: 5, completion_tokens: 3 } }),
    okRow('b', 'resumed'),
  ]);
  const table = join(dir, 'report.html');
  await writeReport({ input: out, format: 'jsonl', output: table, pricing: { lookup: createPriceLookup({}) } });
  const rows: unknown[][] = reportDataOf(table).table.rows;
  const at = (name: string) => TABLE_COLUMNS.indexOf(name as (typeof TABLE_COLUMNS)[number]);
  const cells = rows.map((r) => [r[at('id')], r[at('sample')], r[at('promptTokens')], r[at('completionTokens')], r[at('response')]]);
  expect(cells.sort()).toEqual([
    ['a', 0, 5, 7, 'plain answer'],
    ['a', 1, 5, 7, 'second sample'],
    ['b', 0, 10, 10, 'resumed'],
  ]);
});
