/**
 * compactResults with `order` (an --order input run's resume): the kept rows in input order, merged
 * from the stretches of the file already in it; nothing written when the file is in order and drops
 * nothing; a file with too many stretches (written in completion order) keeps its order.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactFile, openFileWriter, readResults } from '../../src/output/index.js';
import type { ResultRow } from '../../src/types.js';
import { collect, errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

async function writeFile(path: string, format: 'jsonl' | 'csv', rows: ResultRow[]): Promise<void> {
  const w = openFileWriter(path, format, { append: false });
  for (const r of rows) await w.write(r);
  await w.close();
}

const ok = (line: number, extra: Partial<ResultRow> = {}) => okRow(`${line}-x`, `answer ${line}`, { line, ...extra });
const lines = async (path: string, format: 'jsonl' | 'csv') => (await collect(readResults(path, format))).map((r) => r.line);

describe.each(['jsonl', 'csv'] as const)('compaction in input order (%s)', (format) => {
  it("an interrupted run's held rows, then its resume's: put back in input order", async () => {
    const path = join(tmp(), `out.${format}`);
    // The run wrote 2-4 (held behind the slow line 1) when it was stopped; the resume wrote 1 and 5.
    await writeFile(path, format, [ok(2), ok(3), ok(4), ok(1), ok(5)]);
    expect(await compactFile(path, format, undefined, undefined, { inputOrder: true })).toEqual({ rows: 5, dropped: 0, torn: false, reordered: true });
    expect(await lines(path, format)).toEqual([1, 2, 3, 4, 5]);
  });

  it('drops the superseded rows as before, their usage carried to the kept row, and a stale input error', async () => {
    const path = join(tmp(), `out.${format}`);
    const usage = { prompt_tokens: 5, completion_tokens: 7 };
    await writeFile(path, format, [
      errRow('1-x', 'cut', { line: 1, error: { type: 'aborted', message: 'stopped' }, usage: { prompt_tokens: 100, completion_tokens: 50 } }),
      ok(2),
      errRow('3-old', 'not JSON', { line: 3, error: { type: 'input', message: 'not JSON' } }),
      ok(4),
      ok(1, { usage }),
      ok(3, { id: '3-new' }),
    ]);
    expect(await compactFile(path, format, undefined, undefined, { inputOrder: true })).toEqual({ rows: 4, dropped: 2, torn: false, reordered: true });
    const rows = await collect(readResults(path, format));
    expect(rows.map((r) => [r.id, r.line])).toEqual([
      ['1-x', 1],
      ['2-x', 2],
      ['3-new', 3],
      ['4-x', 4],
    ]);
    expect(rows[0]!.usage).toEqual({ prompt_tokens: 105, completion_tokens: 57 });
  });

  it("a matrix's rows of one line keep the order they were written in: only lines are ordered", async () => {
    // Ranked by the run's -m, a resume with `-m B,A` found a file in order out of it, and turned it round.
    const path = join(tmp(), `out.${format}`);
    const cell = (line: number, sample: number) => ok(line, { id: `${line}`, requested_model: 'm', sample });
    await writeFile(path, format, [cell(1, 1), cell(2, 0), cell(1, 0), cell(2, 1)]);
    await compactFile(path, format, undefined, undefined, { inputOrder: true });
    expect((await collect(readResults(path, format))).map((r) => [r.line, r.sample])).toEqual([
      [1, 1],
      [1, 0],
      [2, 0],
      [2, 1],
    ]);
    const inOrder = join(tmp(), `in-order.${format}`);
    await writeFile(inOrder, format, [cell(1, 1), cell(1, 0), cell(2, 1), cell(2, 0)]);
    expect(await compactFile(inOrder, format, undefined, undefined, { inputOrder: true })).toMatchObject({ unchanged: true });
  });

  it('in order already and nothing to drop: nothing written, the file left as it was', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, [ok(1), ok(3), ok(7)]);
    const before = statSync(path);
    expect(await compactFile(path, format, undefined, undefined, { inputOrder: true })).toEqual({ rows: 3, dropped: 0, torn: false, unchanged: true });
    const after = statSync(path);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('in order with a row to drop: compacted as before, in that order', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, [errRow('1-x', 'cut', { line: 1 }), ok(1), ok(2)]);
    expect(await compactFile(path, format, undefined, undefined, { inputOrder: true })).toEqual({ rows: 2, dropped: 1, torn: false });
    expect(await lines(path, format)).toEqual([1, 2]);
  });

  it('more stretches than it merges (rows written in the order they finished): left as they are, and said', async () => {
    const path = join(tmp(), `out.${format}`);
    // 2, 1, 4, 3, …: 100 stretches of 2 rows each, past the 16 it merges.
    const shuffled = Array.from({ length: 200 }, (_, i) => ok(i % 2 === 0 ? i + 2 : i));
    await writeFile(path, format, shuffled);
    expect(await compactFile(path, format, undefined, undefined, { inputOrder: true })).toEqual({
      rows: 200,
      dropped: 0,
      torn: false,
      unchanged: true,
      unordered: true,
    });
    expect(await lines(path, format)).toEqual(shuffled.map((r) => r.line));
  });
});
