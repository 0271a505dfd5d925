/**
 * Review s9 F13: every kind of row carries every key README's row table documents — `started_at` and
 * `finished_at` as null when nothing was sent (cache hits, input errors, rows of a cancelled batch),
 * `input` on every row of a --keep-fields run (empty when the record's fields could not be read) —
 * so a strict reader (`row["started_at"]`, a JSON Schema) never breaks on one kind of row only.
 * The built CLI against the mock server, live and through --batch-api.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROW_FIELDS, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-row-keys-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 30 };
});

type Row = Record<string, unknown> & { id: string; prompt: string; error: { type: string } | null };

const rowsOf = (file: string): Row[] => parseJsonl<Row>(fs.readFileSync(file, 'utf8'));
const live = () => ['--base-url', ctx.server.url, '-m', 'gpt-4o-mini'];
const batch = () => [...live(), '--batch-api', '--poll', '0.05'];
const write = (name: string, text: string) => {
  const file = path.join(ctx.dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('every row kind has every documented key (F13)', () => {
  it('a cache hit has started_at and finished_at, null; live and collected rows keep theirs', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['q1', 'q2']);
    const cacheDir = path.join(ctx.dir, 'cache');
    const first = path.join(ctx.dir, 'first.jsonl');
    const again = path.join(ctx.dir, 'again.jsonl');
    expect((await runCli([input, '-o', first, ...live(), '--cache-dir', cacheDir])).code).toBe(0);
    const r = await runCli([input, '-o', again, ...live(), '--cache-dir', cacheDir]);
    expect(r.code, r.stderr).toBe(0);
    for (const row of rowsOf(first)) {
      expect(Object.keys(row)).toEqual(ROW_FIELDS);
      expect(row['started_at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    const hits = rowsOf(again);
    expect(hits).toHaveLength(2);
    for (const row of hits) {
      expect(Object.keys(row)).toEqual([...ROW_FIELDS, 'cached']);
      expect(row).toMatchObject({ started_at: null, finished_at: null, cached: true, attempts: 0 });
    }
    // Through the Batch API the hits are rows of the same shape, never uploaded.
    const batchOut = path.join(ctx.dir, 'batch.jsonl');
    const b = await runCli([input, '-o', batchOut, ...batch(), '--cache-dir', cacheDir]);
    expect(b.code, b.stderr).toBe(0);
    expect(ctx.server.batchState.uploaded).toHaveLength(0);
    for (const row of rowsOf(batchOut)) {
      expect(Object.keys(row)).toEqual([...ROW_FIELDS, 'cached']);
      expect(row).toMatchObject({ started_at: null, finished_at: null });
    }
  });

  it('--batch-api: an input error row has started_at and finished_at, null', async () => {
    const input = write('in.jsonl', '{"id":"a","prompt":"ok"}\nnot json\n{"id":"c","prompt":""}\n');
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batch()]);
    expect(r.code, r.stderr).toBe(1);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(3);
    for (const row of rows.filter((x) => x.error !== null)) {
      expect(row.error!.type).toBe('input');
      expect(Object.keys(row)).toEqual(ROW_FIELDS);
      expect(row).toMatchObject({ started_at: null, finished_at: null, attempts: 0 });
    }
    const answered = rows.find((x) => x.id === 'a')!;
    expect(Object.keys(answered)).toEqual([...ROW_FIELDS, 'batch_id']);
    expect(answered['started_at']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('llm-batch cancel: the rows of requests that never ran have started_at and finished_at, null', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', ['q1', 'q2', 'q3', 'q4']);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, ...batch(), '--no-wait'])).code).toBe(75);
    const cancelled = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    holding = false;
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const aborted = rowsOf(out).filter((x) => x.error?.type === 'aborted');
    expect(aborted.length).toBeGreaterThan(0);
    for (const row of aborted) {
      expect(Object.keys(row)).toEqual([...ROW_FIELDS, 'batch_id']);
      expect(row).toMatchObject({ started_at: null, finished_at: null, attempts: 0 });
    }
  });

  it.each([
    ['live', live],
    ['--batch-api', batch],
  ])('%s --keep-fields: every row has `input`, a duplicate id keeps its fields, an unreadable row has {}', async (_name, args) => {
    const input = write(
      'in.jsonl',
      ['{"id":"a","title":"T1","prompt":"hi"}', 'not json', '{"id":"a","title":"T2","prompt":"dup"}', '{"id":"b","title":"T3","prompt":""}', ''].join('\n'),
    );
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...args(), '--no-cache', '--keep-fields', 'title']);
    expect(r.code, r.stderr).toBe(1);
    const byLine = new Map(rowsOf(out).map((row) => [row['line'], row]));
    expect(byLine.size).toBe(4);
    for (const row of byLine.values()) expect(Object.keys(row)).toContain('input');
    expect(byLine.get(1)!['input']).toEqual({ title: 'T1' });
    expect(byLine.get(2)!['input']).toEqual({});
    expect(byLine.get(3)!).toMatchObject({ error: { type: 'input' }, input: { title: 'T2' } });
    expect(byLine.get(4)!).toMatchObject({ error: { type: 'input' }, input: { title: 'T3' } });
    for (const line of [2, 3, 4]) expect(Object.keys(byLine.get(line)!)).toEqual([...ROW_FIELDS, 'input']);
  });

  it('--keep-fields with a CSV input: a malformed record has input {}', async () => {
    const input = write('in.csv', 'id,title,prompt\n1,A,hi\n2,"B,x\n');
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...live(), '--no-cache', '--keep-fields', 'title']);
    expect(r.code, r.stderr).toBe(1);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(2);
    expect(rows.find((x) => x.id === '1')!['input']).toEqual({ title: 'A' });
    const bad = rows.find((x) => x.error !== null)!;
    expect(Object.keys(bad)).toEqual([...ROW_FIELDS, 'input']);
    expect(bad['input']).toEqual({});
  });
});
