/**
 * Prompt-cached input tokens in CSV results (review 2 of session 9, F4), from the built CLI: the
 * `cached_tokens` column, kept by --resume, --compact and merge (to CSV and to JSONL), so that the
 * report of a CSV prices as the run's summary did; and an older CSV without the column, which still
 * resumes, compacts and reports, the report saying that its cached input could not be priced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCachedUsageServer, type CachedUsageServer } from '../helpers/cached-usage-server.js';
import { CSV_COLUMNS, PRE_CACHED_TOKENS_CSV_COLUMNS } from '../helpers/csv-columns.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { reportDataOf } from '../helpers/report-data.js';

const ctx = useServerAndCaseDir('llm-batch-csv-cached-');
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const headerOf = (file: string) => fs.readFileSync(file, 'utf8').split('\n')[0]!.split(',');

/** The cells of a column, by header name, for every row of a simple CSV (no quoted commas in these files). */
function column(file: string, name: string): string[] {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  const at = head!.split(',').indexOf(name);
  return rows.map((r) => r.split(',')[at]!);
}

// 1000 prompt tokens of which 900 cached, 10 out: at 1000/1000/100 per 1M one answer bills $0.2,
// and $1.01 with its input priced in full.
const PRICE = ['--price', '1000/1000/100'];
let server: CachedUsageServer;
beforeAll(async () => {
  server = await startCachedUsageServer({ prompt: 1000, completion: 10, cached: 900 });
});
afterAll(() => server.close());

async function run(args: readonly string[]) {
  const r = await runCli([...args, '--base-url', server.url, '--no-cache', ...PRICE]);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

async function report(file: string, name = 'r.html') {
  const html = path.join(ctx.dir, name);
  const r = await runInWorker(['report', file, '-o', html, '--overwrite', ...PRICE]);
  expect(r.code, r.stderr).toBe(0);
  return reportDataOf(html);
}

describe('a CSV keeps cached_tokens', () => {
  it('writes the column after completion_tokens; the report of the CSV, and the run’s own --report, price as the summary', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.csv');
    const summary = path.join(ctx.dir, 's.json');
    const runHtml = path.join(ctx.dir, 'run.html');
    await run([input, '-o', out, '--summary-json', summary, '--report', runHtml]);
    expect(headerOf(out)).toEqual(CSV_COLUMNS);
    expect(column(out, 'cached_tokens')).toEqual(['900', '900']);
    expect(readJson(summary).estimatedCost.usd).toBeCloseTo(0.4, 9);

    const own = reportDataOf(runHtml);
    expect(own.figures.cost).toMatchObject({ usd: 0.4, cachedTokens: 1800 });
    expect(own.figures.cost.cachedUnknownRows).toBeUndefined();
    expect(own.run.costUsd).toBeCloseTo(0.4, 9);
    expect((await report(out)).figures.cost).toMatchObject({ usd: 0.4, cachedTokens: 1800 });
  });

  it('--resume appends rows with it; --compact and merge keep it, to CSV and to JSONL', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    const out = path.join(ctx.dir, 'out.csv');
    await run([input, '-o', out, '--limit', '1']);
    await run([input, '-o', out, '--resume']);
    expect(headerOf(out)).toEqual(CSV_COLUMNS);
    expect(column(out, 'cached_tokens')).toEqual(Array(8).fill('900'));

    for (const target of ['c.csv', 'c.jsonl']) {
      const copy = path.join(ctx.dir, target);
      const c = await runInWorker(['--compact', out, '-o', copy]);
      expect(c.code, c.stderr).toBe(0);
      expect((await report(copy)).figures.cost.usd).toBe(1.6);
    }
    expect(parseJsonl(fs.readFileSync(path.join(ctx.dir, 'c.jsonl'), 'utf8')).map((r) => r.usage.cached_tokens)).toEqual(Array(8).fill(900));

    // Two shards of one run, merged.
    const shards = [1, 2].map((n) => path.join(ctx.dir, `s${n}.csv`));
    for (const [i, shard] of shards.entries()) await run([input, '-o', shard, '--shard', `${i + 1}/2`]);
    for (const target of ['m.csv', 'm.jsonl']) {
      const merged = path.join(ctx.dir, target);
      const m = await runInWorker(['merge', ...shards, '-o', merged]);
      expect(m.code, m.stderr).toBe(0);
      expect((await report(merged)).figures.cost.usd).toBe(1.6);
    }
    expect(column(path.join(ctx.dir, 'm.csv'), 'cached_tokens')).toEqual(Array(8).fill('900'));
  });

  it('names a kept input field called cached_tokens input_cached_tokens, and reads it back as that field', async () => {
    const input = path.join(ctx.dir, 'in.csv');
    fs.writeFileSync(input, 'id,prompt,cached_tokens\nx,hello,keep me\n');
    const out = path.join(ctx.dir, 'kept.csv');
    await run([input, '-o', out, '--keep-fields', 'cached_tokens']);
    expect(headerOf(out)).toEqual([...CSV_COLUMNS, 'input_cached_tokens']);
    const copy = path.join(ctx.dir, 'kept.jsonl');
    expect((await runCli(['--compact', out, '-o', copy])).code).toBe(0);
    const [row] = parseJsonl(fs.readFileSync(copy, 'utf8'));
    expect(row.usage.cached_tokens).toBe(900);
    expect(row.input).toEqual({ cached_tokens: 'keep me' });
  });
});

describe('a CSV from before the column', () => {
  it('with other kept fields than the run: refused naming the kept-field columns, as for a current file', async () => {
    const input = path.join(ctx.dir, 'in.csv');
    fs.writeFileSync(input, 'id,prompt,topic\n1,a,x\n');
    const out = path.join(ctx.dir, 'kept-old.csv');
    fs.writeFileSync(out, `${[...PRE_CACHED_TOKENS_CSV_COLUMNS, 'lang'].join(',')}\n`);
    const r = await runInWorker([input, '--base-url', server.url, '-o', out, '--resume', '--keep-fields', 'topic']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /kept-old\.csv carries other input fields than this run: its kept-field columns are \(lang\), this run's --keep-fields gives \(topic\)/,
    );
  });

  it('with a schema field named cached_tokens: resumed with that field in its own column', async () => {
    const schema = path.join(ctx.dir, 'schema.json');
    const properties = { cached_tokens: { type: 'integer' }, label: { type: 'string' } };
    fs.writeFileSync(schema, JSON.stringify({ type: 'object', properties, required: ['cached_tokens', 'label'], additionalProperties: false }));
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const args = [input, '--base-url', ctx.server.url, '--no-cache', '--json-schema', schema, '-q'];
    // A current file names the field apart from the result column.
    const fresh = path.join(ctx.dir, 'fresh.csv');
    expect((await runCli([...args, '-o', fresh])).code).toBe(0);
    expect(headerOf(fresh).slice(0, 3)).toEqual(['id', 'output_cached_tokens', 'label']);
    // One written before the column named it cached_tokens; a resume continues it so.
    const out = path.join(ctx.dir, 'schema-old.csv');
    const header = ['id', 'cached_tokens', 'label', ...PRE_CACHED_TOKENS_CSV_COLUMNS.slice(1)];
    const first = fs.readFileSync(fresh, 'utf8').split('\n')[1]!.split(',');
    first.splice(first.length - 7, 1); // its empty cached_tokens result cell
    fs.writeFileSync(out, `${header.join(',')}\n${first.join(',')}\n`);
    const r = await runCli([...args, '-o', out, '--resume']);
    expect(r.code, r.stderr).toBe(0);
    const table = parse(fs.readFileSync(out, 'utf8')) as string[][];
    expect(table[0]).toEqual(header);
    expect(table).toHaveLength(3);
    expect(table[2]).toHaveLength(header.length);
    expect(JSON.parse(table[2]![header.indexOf('response')]!)).toEqual({ cached_tokens: Number(table[2]![1]), label: table[2]![2] });
  });

  /** A results CSV as llm-batch wrote it before cached_tokens existed: one answered row, and a kept field named cached_tokens. */
  function oldCsv(name: string): string {
    const file = path.join(ctx.dir, name);
    const cells = ['1', '1', 'a', 'hi', '', '', '', '', '1', '5', 'gpt-4o-mini', 'stop', '1000', '10'];
    const added = ['2026-11-01T00:00:00.000Z', '2026-11-01T00:00:01.000Z', '', '', '', ''];
    fs.writeFileSync(file, `${[...PRE_CACHED_TOKENS_CSV_COLUMNS, 'cached_tokens'].join(',')}\n${[...cells, ...added, 'mine'].join(',')}\n`);
    return file;
  }

  it('resumes in its own layout, and its report says that cached input could not be priced', async () => {
    const input = path.join(ctx.dir, 'in.csv');
    fs.writeFileSync(input, 'id,prompt,cached_tokens\n1,a,mine\n2,b,yours\n');
    const out = oldCsv('old.csv');
    const r = await run([input, '-o', out, '--resume', '--force-resume', '--keep-fields', 'cached_tokens']);
    expect(r.stderr).toMatch(/1 ok, 0 failed, 1 already done/);
    expect(headerOf(out)).toEqual([...PRE_CACHED_TOKENS_CSV_COLUMNS, 'cached_tokens']);
    // The new row's kept field is in the kept column, as the old row's: nothing shifted.
    expect(column(out, 'cached_tokens')).toEqual(['mine', 'yours']);

    const data = await report(out);
    // Both rows' 1000 input tokens at the full price: 2 × $1.01, and the report says why.
    expect(data.figures.cost).toMatchObject({ usd: 2.02, cachedTokens: 0, cachedUnknownRows: 2 });

    // A copy keeps lacking the column rather than claiming nothing was cached.
    const copy = path.join(ctx.dir, 'old-copy.csv');
    expect((await runInWorker(['--compact', out, '-o', copy])).code).toBe(0);
    expect(headerOf(copy)).toEqual([...PRE_CACHED_TOKENS_CSV_COLUMNS, 'cached_tokens']);
    expect((await report(copy)).figures.cost.cachedUnknownRows).toBe(2);
    const merged = path.join(ctx.dir, 'old-merged.csv');
    expect((await runInWorker(['merge', copy, '-o', merged, '--force'])).code).toBe(0);
    expect((await report(merged)).figures.cost.cachedUnknownRows).toBe(2);
  });
});
