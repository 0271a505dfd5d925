import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeResults, type MergeSource } from '../../src/output/merge-results.js';
import type { RowWriter } from '../../src/output/row-writer.js';
import type { ResultRow } from '../../src/types.js';
import { okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

function source(dir: string, name: string, rows: ResultRow[], runModel?: string): MergeSource {
  const path = join(dir, name);
  writeFileSync(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  return { path, format: 'jsonl', ...(runModel !== undefined ? { runModel } : {}) };
}

async function merged(sources: MergeSource[]): Promise<{ rows: string[]; seen: string[] }> {
  const rows: string[] = [];
  const seen: string[] = [];
  const writer = { write: async (row: ResultRow) => void rows.push(row.response ?? '') } as unknown as RowWriter;
  await mergeResults(sources, writer, (row, model) => seen.push(`${row.id}/${model}/${row.sample ?? 0}`));
  return { rows, seen };
}

describe('mergeResults keys an answer by the model it was asked of, whatever file holds it', () => {
  it('a plain run of mb and a -m ma,mb run: their (id, mb, 0) is one answer, the last kept', async () => {
    const dir = tmp();
    const matrix = source(
      dir,
      'ab.jsonl',
      [okRow('r1', 'ma old', { requested_model: 'ma', sample: 0 }), okRow('r1', 'mb old', { requested_model: 'mb', sample: 0 })],
      'ma',
    );
    const plain = source(dir, 'b.jsonl', [okRow('r1', 'mb new')], 'mb');
    expect(await merged([matrix, plain])).toEqual({ rows: ['ma old', 'mb new'], seen: ['r1/ma/0', 'r1/mb/0'] });
  });

  it("a file without metadata: its plain rows are the run's model's, as they always were", async () => {
    const dir = tmp();
    const known = source(dir, 'a.jsonl', [okRow('r1', 'old')], 'ma');
    const unknown = source(dir, 'x.jsonl', [okRow('r1', 'new')]);
    expect(await merged([known, unknown])).toEqual({ rows: ['new'], seen: ['r1/undefined/0'] });
  });
});
