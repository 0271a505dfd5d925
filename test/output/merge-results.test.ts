import { appendFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELD_OPEN, mergeResults, type MergeSource } from '../../src/output/merge-results.js';
import type { RowWriter } from '../../src/output/row-writer.js';
import type { ResultRow } from '../../src/types.js';
import { openFileWriter } from '../../src/output/row-writer.js';
import { rowKey } from '../../src/output/row-key.js';
import { errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

function source(dir: string, name: string, rows: ResultRow[], runModel?: string): MergeSource {
  const path = join(dir, name);
  writeFileSync(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  return { path, format: 'jsonl', ...(runModel !== undefined ? { runModel } : {}) };
}

/** A writer that keeps each row's response. */
function collecting(): { rows: string[]; writer: RowWriter } {
  const rows: string[] = [];
  return { rows, writer: { write: async (row: ResultRow) => void rows.push(row.response ?? '') } as unknown as RowWriter };
}

async function merged(sources: MergeSource[]): Promise<{ rows: string[]; seen: string[] }> {
  const { rows, writer } = collecting();
  const seen: string[] = [];
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

  it("a plain run's rows under another model than the merged record's say the model they were asked of", async () => {
    const dir = tmp();
    const a = source(dir, 'a.jsonl', [okRow('r1', 'A1'), okRow('r2', 'A2')], 'ma');
    const b = source(dir, 'b.jsonl', [okRow('r1', 'B1')], 'mb');
    const kept: ResultRow[] = [];
    await mergeResults([a, b], { write: async (row: ResultRow) => void kept.push(row) } as unknown as RowWriter);
    // Keyed again as a resume keys them (the merged record's model is ma's): three answers, none superseded.
    expect(kept.map((row) => [row.response, row.requested_model, row.sample])).toEqual([
      ['A1', undefined, undefined],
      ['A2', undefined, undefined],
      ['B1', 'mb', 0],
    ]);
    expect(new Set(kept.map((row) => rowKey(row, 'ma'))).size).toBe(3);
  });

  it("a file without metadata: its plain rows are the run's model's, as they always were", async () => {
    const dir = tmp();
    const known = source(dir, 'a.jsonl', [okRow('r1', 'old')], 'ma');
    const unknown = source(dir, 'x.jsonl', [okRow('r1', 'new')]);
    expect(await merged([known, unknown])).toEqual({ rows: ['new'], seen: ['r1/undefined/0'] });
  });
});

describe('mergeResults keeps the usage of a row a later one of the same file replaces', () => {
  it('a resumed shard not compacted yet: its aborted row adds to its answer; a row another file replaces does not', async () => {
    const dir = tmp();
    const usage = (prompt_tokens: number) => ({ prompt_tokens, completion_tokens: 1 });
    const aborted = (id: string, tokens: number) => errRow(id, 'stopped', { error: { type: 'aborted', message: 'stopped' }, usage: usage(tokens) });
    // b.jsonl was merged into old.jsonl before b was resumed: old's b1 is a copy of b's first row.
    const old = source(dir, 'old.jsonl', [aborted('b1', 100), aborted('x', 5)]);
    const b = source(dir, 'b.jsonl', [aborted('b1', 100), okRow('b2', 'B2', { usage: usage(7) }), okRow('b1', 'B1', { usage: usage(30) })]);
    const kept: ResultRow[] = [];
    const stats = await mergeResults([old, b], { write: async (row: ResultRow) => void kept.push(row) } as unknown as RowWriter);
    expect(kept.map((row) => [row.id, row.usage?.prompt_tokens])).toEqual([
      ['x', 5],
      ['b2', 7],
      ['b1', 130],
    ]);
    expect(stats.dropped).toBe(2);
  });
});

/** Writes `rows` to `path` as a run writes its output, JSONL or CSV. */
async function writeRows(path: string, format: 'jsonl' | 'csv', rows: ResultRow[], append = false): Promise<void> {
  const writer = openFileWriter(path, format, { append });
  for (const row of rows) await writer.write(row);
  await writer.close();
}

describe('mergeResults reads each output as it was when the merge began', () => {
  // Shard b was resumed: b1 failed, then succeeded. The resume then compacts it, renaming a new file
  // over the path, while the merge is at shard a's rows, between its passes over b.
  const shardB = [errRow('b1'), okRow('b2', 'B2'), okRow('b1', 'B1')];
  const compactedB = [okRow('b2', 'B2'), okRow('b1', 'B1')];

  it.each(['jsonl', 'csv'] as const)('%s: a shard compacted between the passes keeps every answer (it was merged as empty)', async (format) => {
    const dir = tmp();
    const a = join(dir, `a.${format}`);
    const b = join(dir, `b.${format}`);
    await writeRows(a, format, [okRow('a1', 'A1'), okRow('a2', 'A2')]);
    await writeRows(b, format, shardB);
    await writeRows(`${b}.compact.tmp`, format, compactedB);
    let compacted = false;
    const compact = () => {
      if (compacted) return;
      renameSync(`${b}.compact.tmp`, b);
      compacted = true;
    };
    const { rows, writer } = collecting();
    // onRow: the first row written (a's) is in the second pass, before b is read again.
    const stats = await mergeResults(
      [a, b].map((path) => ({ path, format })),
      writer,
      compact,
    );
    expect(compacted).toBe(true);
    expect(rows).toEqual(['A1', 'A2', 'B2', 'B1']);
    expect(stats).toEqual({ rows: 4, failed: 0, dropped: 1, torn: [] });
  });

  it('more files than it keeps open: the rest opened again between the passes; one replaced meanwhile stops the merge', async () => {
    const dir = tmp();
    const paths = Array.from({ length: HELD_OPEN + 3 }, (_, i) => source(dir, `s${i}.jsonl`, [okRow(`r${i}`, `R${i}`)]).path);
    const { rows, writer } = collecting();
    await mergeResults(
      paths.map((path) => ({ path, format: 'jsonl' as const })),
      writer,
    );
    expect(rows).toEqual(paths.map((_, i) => `R${i}`));
    // The last file compacted (renamed over) after the first pass: its rows are not those counted.
    const last = paths.at(-1)!;
    writeFileSync(`${last}.tmp`, `${JSON.stringify(okRow('rX', 'RX'))}\n`);
    let replaced = false;
    const replace = () => {
      if (!replaced) renameSync(`${last}.tmp`, last);
      replaced = true;
    };
    await expect(
      mergeResults(
        paths.map((path) => ({ path, format: 'jsonl' as const })),
        collecting().writer,
        replace,
      ),
    ).rejects.toThrow(/s\d+\.jsonl was replaced while it was being merged/);
  });

  it.each(['jsonl', 'csv'] as const)('%s: a last row without its newline is read from the open file (JSONL), a torn one left out', async (format) => {
    const dir = tmp();
    const whole = join(dir, `whole.${format}`);
    const torn = join(dir, `torn.${format}`);
    await writeRows(whole, format, [okRow('a1', 'A1'), okRow('a2', 'A2')]);
    await writeRows(torn, format, [okRow('b1', 'B1'), okRow('b2', 'B2')]);
    truncateSync(whole, statSync(whole).size - 1);
    truncateSync(torn, statSync(torn).size - 8);
    const { rows, writer } = collecting();
    await mergeResults(
      [whole, torn].map((path) => ({ path, format })),
      writer,
    );
    // A CSV record without its '\n' is torn whatever it parses as (a cut in its last cell looks whole).
    expect(rows).toEqual(format === 'jsonl' ? ['A1', 'A2', 'B1'] : ['A1', 'B1']);
  });

  it('rows a run appends meanwhile are left for the next merge, not counted as superseded', async () => {
    const dir = tmp();
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    await writeRows(a, 'jsonl', [okRow('a1', 'A1')]);
    await writeRows(b, 'jsonl', [okRow('b1', 'B1')]);
    let appended = false;
    const append = () => {
      if (appended) return;
      appendFileSync(b, `${JSON.stringify(okRow('b2', 'B2'))}\n`);
      appended = true;
    };
    const { rows, writer } = collecting();
    const stats = await mergeResults(
      [a, b].map((path) => ({ path, format: 'jsonl' as const })),
      writer,
      append,
    );
    expect(rows).toEqual(['A1', 'B1']);
    expect(stats).toEqual({ rows: 2, failed: 0, dropped: 0, torn: [] });
  });
});
