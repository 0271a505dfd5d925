/**
 * CSV result files through the BUILT CLI and the mock server: a model × sample run as one row per
 * answer (requested_model and sample columns), resumed, retried, compacted and merged on (id, model,
 * sample) as JSONL is; started_at/finished_at columns; and a CSV in the legacy layout (no such
 * columns) continued in its own layout, never rewritten.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { fixture, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { CSV_COLUMNS, PRE_CACHED_TOKENS_CSV_COLUMNS } from '../helpers/csv-columns.js';
import { reportDataOf } from '../helpers/report-data.js';

const ctx = useServerAndCaseDir('llm-batch-csv-results-');

const LEGACY_COLUMNS = CSV_COLUMNS.slice(0, CSV_COLUMNS.indexOf('completion_tokens') + 1);

const table = (file: string): string[][] => parse(fs.readFileSync(file, 'utf8')) as string[][];
/** Rows of a CSV as objects keyed by header. */
const records = (file: string): Array<Record<string, string>> => parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Array<Record<string, string>>;
const keys = (rows: ReadonlyArray<Record<string, string>>) => rows.map((r) => `${r['prompt']}|${r['requested_model']}|${r['sample']}`).sort();
const sentKeys = (from: number) =>
  ctx.server.requests
    .slice(from)
    .map((r) => `${r.prompt}|${r.body.model}`)
    .sort();
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('CSV of a model × sample run', () => {
  it('-m A,B --repeat 2 -o out.csv: one row per answer with requested_model, sample and timestamps; --retry-failed, --compact and resume key on (id, model, sample)', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'out.csv');
    const base = [input, '--base-url', ctx.server.url, '-o', out, '-m', 'ma,mb', '--repeat', '2', '--retries', '0', '--no-cache'];
    ctx.server.options.fault = ({ index }) => (index === 1 || index === 6 ? '500' : undefined);
    const first = await runCli([...base, '-c', '1']);
    expect(first.code, first.stderr).toBe(1);
    expect(table(out)[0]).toEqual(CSV_COLUMNS);
    const rows = records(out);
    expect(rows).toHaveLength(8);
    expect(new Set(keys(rows)).size).toBe(8);
    expect(keys(rows)).toEqual(['one', 'two'].flatMap((p) => ['ma|0', 'ma|1', 'mb|0', 'mb|1'].map((k) => `${p}|${k}`)).sort());
    for (const r of rows) {
      expect(r['started_at']).toMatch(ISO_MS);
      expect(r['finished_at']).toMatch(ISO_MS);
      expect(Date.parse(r['finished_at']!)).toBeGreaterThanOrEqual(Date.parse(r['started_at']!));
    }
    const failed = rows.filter((r) => r['error_type'] !== '');
    expect(failed).toHaveLength(2);

    ctx.server.options.fault = undefined;
    const sent = ctx.server.requests.length;
    const retry = await runCli([...base, '--resume', '--retry-failed']);
    expect(retry.code, retry.stderr).toBe(0);
    // Exactly the failed (prompt, model, sample) answers are asked again.
    expect(sentKeys(sent)).toEqual(failed.map((r) => `${r['prompt']}|${r['requested_model']}`).sort());
    // The resume superseded two rows, so the file was compacted: one row per answer, all answered.
    const after = records(out);
    expect(after).toHaveLength(8);
    expect(new Set(keys(after)).size).toBe(8);
    expect(after.every((r) => r['error_type'] === '')).toBe(true);

    // A finished matrix resumed sends nothing; --compact to JSONL keeps every answer.
    const before = ctx.server.requests.length;
    expect((await runCli([...base, '--resume'])).code).toBe(0);
    expect(ctx.server.requests.length).toBe(before);
    const jsonl = path.join(ctx.dir, 'compact.jsonl');
    expect((await runInWorker([out, '--compact', '-o', jsonl])).code).toBe(0);
    const compacted = parseJsonl<{ requested_model: string; sample: number; started_at: string }>(fs.readFileSync(jsonl, 'utf8'));
    expect(compacted.map((r) => `${r.requested_model}|${r.sample}`).sort()).toEqual(['ma|0', 'ma|0', 'ma|1', 'ma|1', 'mb|0', 'mb|0', 'mb|1', 'mb|1']);
    expect(compacted.every((r) => ISO_MS.test(r.started_at))).toBe(true);
  });

  it('-m A -m B -f csv to stdout and --repeat alone are accepted too', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const piped = await runCli([input, '--base-url', ctx.server.url, '-m', 'ma', '-m', 'mb', '-f', 'csv', '--no-cache']);
    expect(piped.code, piped.stderr).toBe(0);
    const rows = parse(piped.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(keys(rows)).toEqual(['one|ma|0', 'one|mb|0']);
    const out = path.join(ctx.dir, 'r.csv');
    const repeated = await runCli([input, '--base-url', ctx.server.url, '--repeat', '3', '-o', out, '--no-cache']);
    expect(repeated.code, repeated.stderr).toBe(0);
    expect(records(out).map((r) => r['sample'])).toEqual(expect.arrayContaining(['0', '1', '2']));
  });

  it('a plain CSV run resumed with --repeat 3 and a second model pays only for what is new', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two', 'three']);
    const out = path.join(ctx.dir, 'out.csv');
    const base = [input, '--base-url', ctx.server.url, '-o', out, '--no-cache'];
    expect((await runCli([...base, '-m', 'ma'])).code).toBe(0);
    // A plain run's rows leave requested_model and sample empty (sample 0 of the run's model).
    expect(records(out).map((r) => [r['requested_model'], r['sample']])).toEqual([
      ['', ''],
      ['', ''],
      ['', ''],
    ]);
    const again = await runCli([...base, '-m', 'ma,mb', '--repeat', '3', '--resume']);
    expect(again.code, again.stderr).toBe(0);
    const counts: Record<string, number> = {};
    for (const r of ctx.server.requests) counts[r.body.model] = (counts[r.body.model] ?? 0) + 1;
    expect(counts).toEqual({ ma: 3 + 6, mb: 9 });
    expect(records(out)).toHaveLength(18);
  });

  it('schema fields and --keep-fields keep their places beside requested_model and sample, and resume', async () => {
    const input = path.join(ctx.dir, 'in.csv');
    fs.writeFileSync(input, 'id,text,topic,sample\nk1,first,alpha,x\nk2,second,beta,y\n');
    const schema = JSON.stringify({
      type: 'object',
      properties: { label: { type: 'string', enum: ['a', 'b'] }, score: { type: 'integer' } },
      required: ['label', 'score'],
      additionalProperties: false,
    });
    const out = path.join(ctx.dir, 'structured.csv');
    const args = [input, '--prompt-field', 'text', '--json-schema', schema, '--keep-fields', 'topic,sample', '-m', 'ma,mb', '-o', out, '--no-cache'];
    const r = await runCli([...args, '--base-url', ctx.server.url, '--limit', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(table(out)[0]).toEqual(['id', 'label', 'score', ...CSV_COLUMNS.slice(1), 'topic', 'input_sample']);
    const again = await runCli([...args, '--base-url', ctx.server.url, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    const rows = records(out);
    expect(rows.map((x) => `${x['id']}|${x['requested_model']}|${x['sample']}|${x['topic']}|${x['input_sample']}`).sort()).toEqual([
      'k1|ma|0|alpha|x',
      'k1|mb|0|alpha|x',
      'k2|ma|0|beta|y',
      'k2|mb|0|beta|y',
    ]);
    expect(rows.every((x) => ['a', 'b'].includes(x['label']!) && /^-?\d+$/.test(x['score']!))).toBe(true);
    expect(ctx.server.requests).toHaveLength(4);
    // The report shows the schema's fields as fields; kept input columns and ours are not answers.
    expect((await runInWorker(['report', out])).code).toBe(0);
    const data = reportDataOf(path.join(ctx.dir, 'structured.html'));
    expect(data.outputFields.map((f: { name: string }) => f.name)).toEqual(['label', 'score']);
    expect(data.figures.hasTimestamps).toBe(true);
  });

  it('merge of CSV shards keeps every (id, model, sample) and the columns', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two', 'three', 'four']);
    const shards = [1, 2].map((i) => path.join(ctx.dir, `s${i}.csv`));
    for (const [i, out] of shards.entries()) {
      const r = await runCli([input, '--base-url', ctx.server.url, '-m', 'ma,mb', '--repeat', '2', '--shard', `${i + 1}/2`, '-o', out, '--no-cache']);
      expect(r.code, r.stderr).toBe(0);
    }
    const all = path.join(ctx.dir, 'all.csv');
    const merged = await runInWorker(['merge', ...shards, '-o', all, '--input', input]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/merged 16 rows from 2 files .*0 superseded rows dropped.*every answer of .* has a row/);
    expect(table(all)[0]).toEqual(CSV_COLUMNS);
    expect(new Set(keys(records(all))).size).toBe(16);
    // The same outputs as JSONL merge the same way.
    const jsonl = path.join(ctx.dir, 'all.jsonl');
    expect((await runInWorker(['merge', ...shards, '-o', jsonl])).code).toBe(0);
    expect(parseJsonl(fs.readFileSync(jsonl, 'utf8'))).toHaveLength(16);
  });

  it('an answer from the response cache says cached=true in its row', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const env = { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'cache') };
    const out = (n: number) => path.join(ctx.dir, `c${n}.csv`);
    expect((await runCli([input, '--base-url', ctx.server.url, '-o', out(1)], { env })).code).toBe(0);
    expect((await runCli([input, '--base-url', ctx.server.url, '-o', out(2)], { env })).code).toBe(0);
    expect(ctx.server.requests).toHaveLength(1);
    expect(records(out(1))[0]!['cached']).toBe('');
    expect(records(out(2))[0]!['cached']).toBe('true');
  });
});

describe('a CSV in the legacy layout (before timestamps and model/sample columns)', () => {
  it('--resume continues it in its own header, --retry-failed compacts it in place, a matrix run is refused, --compact -o copies it into the current layout', async () => {
    const input = path.join(ctx.dir, 'questions.csv');
    const out = path.join(ctx.dir, 'old.csv');
    fs.copyFileSync(fixture('legacy-csv/questions.csv'), input);
    fs.copyFileSync(fixture('legacy-csv/results-old-layout.csv'), out);
    const original = fs.readFileSync(out, 'utf8');
    const header = [...LEGACY_COLUMNS, 'sample'];
    expect(table(out)[0]).toEqual(header);
    const base = [input, '--prompt-field', 'question', '--keep-fields', 'sample', '-o', out, '--base-url', ctx.server.url, '--no-cache'];

    // Only q4 is new; what was there stays byte for byte, the new row has the file's columns.
    const resumed = await runCli([...base, '--resume']);
    // Exit 1: q3's permanent failure is still the file's last word on it.
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(resumed.stderr).toMatch(/1 ok, 0 failed, 3 already done \(1 of them failed/);
    expect(ctx.server.requests.map((r) => r.prompt)).toEqual(['Name a colour']);
    const text = fs.readFileSync(out, 'utf8');
    expect(text.startsWith(original)).toBe(true);
    const rows = table(out);
    expect(rows[0]).toEqual(header);
    expect(rows).toHaveLength(5);
    expect(rows[4]![0]).toBe('q4');
    expect(rows[4]![header.indexOf('sample')]).toBe('s-d');
    expect(rows[4]![header.indexOf('error_type')]).toBe('');

    // A model × sample run cannot say which answer its rows are in this file: refused, nothing written.
    const matrix = await runInWorker([...base, '--resume', '-m', 'gpt-4o-mini,other']);
    expect(matrix.code).toBe(2);
    expect(matrix.stderr).toMatch(/old\.csv is a CSV from an older llm-batch, without requested_model and sample columns.*--compact/);
    expect(fs.readFileSync(out, 'utf8')).toBe(text);

    // --retry-failed re-runs q3 and compacts the file in place, still in the old layout.
    const retried = await runCli([...base, '--resume', '--retry-failed']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(ctx.server.requests.map((r) => r.prompt)).toEqual(['Name a colour', '=1+1 as text']);
    const compacted = table(out);
    expect(compacted[0]).toEqual(header);
    expect(compacted.map((r) => r[0])).toEqual(['id', 'q1', 'q2', 'q4', 'q3']);
    expect(compacted.every((r) => r.length === header.length)).toBe(true);
    expect(compacted[1]![header.indexOf('response')]).toBe('Paris.\n(Written by llm-batch before CSV had timestamp columns.)');
    expect(compacted[4]![header.indexOf('error_type')]).toBe('');

    // --compact to a new file copies it into the current layout (but for cached_tokens, which it never
    // had: an empty cell would say "nothing cached"), which a matrix run continues.
    const copy = path.join(ctx.dir, 'new.csv');
    const c = await runInWorker([out, '--compact', '-o', copy]);
    expect(c.code, c.stderr).toBe(0);
    expect(table(copy)[0]).toEqual([...PRE_CACHED_TOKENS_CSV_COLUMNS, 'input_sample']);
    expect(records(copy).map((r) => `${r['id']}|${r['input_sample']}|${r['started_at']}`)).toEqual(['q1|s-a|', 'q2|s-b|', 'q4|s-d|', 'q3|s-c|']);
    const sent = ctx.server.requests.length;
    const more = await runCli([
      input,
      '--prompt-field',
      'question',
      '--keep-fields',
      'sample',
      '-o',
      copy,
      '--base-url',
      ctx.server.url,
      '--no-cache',
      '--resume',
      '-m',
      'gpt-4o-mini,other',
    ]);
    expect(more.code, more.stderr).toBe(0);
    expect(sentKeys(sent)).toEqual(['Capital of France, in one word?|other', '=1+1 as text|other', 'Name a colour|other', 'Say "hello"|other'].sort());
    expect(records(copy)).toHaveLength(8);
  });

  it('llm-batch report reads it (no time chart) and reads the timestamps of a current CSV', async () => {
    const old = path.join(ctx.dir, 'old.csv');
    fs.copyFileSync(fixture('legacy-csv/results-old-layout.csv'), old);
    const r = await runInWorker(['report', old]);
    expect(r.code, r.stderr).toBe(0);
    const oldData = reportDataOf(path.join(ctx.dir, 'old.html'));
    expect(oldData.figures.ok).toBe(2);
    expect(oldData.figures.hasTimestamps).toBe(false);
    expect(oldData.timeline).toBeNull();

    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two', 'three']);
    const out = path.join(ctx.dir, 'out.csv');
    const html = path.join(ctx.dir, 'run.html');
    const run = await runCli([input, '--base-url', ctx.server.url, '-m', 'ma,mb', '-o', out, '--report', html, '--no-cache']);
    expect(run.code, run.stderr).toBe(0);
    expect((await runCli(['report', out])).code).toBe(0);
    for (const file of [html, path.join(ctx.dir, 'out.html')]) {
      const data = reportDataOf(file);
      expect(data.figures.hasTimestamps).toBe(true);
      expect(data.figures.startedAt).toMatch(ISO_MS);
      expect(data.timeline).not.toBeNull();
      // requested_model and the timestamps are columns of ours, not structured-output fields.
      expect(data.outputFields ?? []).toEqual([]);
      expect(data.comparisons.map((c: { by: string }) => c.by)).toContain('model');
    }
  });
});

describe('kept fields named like what every object inherits', () => {
  it('--keep-fields __proto__,constructor,toString: a row without them has empty cells, not Object’s {}; a row with them, its values', async () => {
    const input = path.join(ctx.dir, 'proto.jsonl');
    fs.writeFileSync(input, '{"prompt":"a","__proto__":{"k":1},"constructor":"c1","toString":2}\n{"prompt":"b"}\n');
    const out = path.join(ctx.dir, 'proto.csv');
    const r = await runCli([input, '--base-url', ctx.server.url, '-o', out, '--keep-fields', '__proto__,constructor,toString', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = table(out);
    expect(header!.slice(-3)).toEqual(['__proto__', 'constructor', 'toString']);
    const kept = new Map(rows.map((row) => [row[header!.indexOf('prompt')], row.slice(-3)]));
    expect(kept.get('a')).toEqual(['{"k":1}', 'c1', '2']);
    expect(kept.get('b')).toEqual(['', '', '']);
  });
});
