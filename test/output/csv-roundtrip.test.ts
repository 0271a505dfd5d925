import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvLayoutOfFile, csvRecordToRow, LEGACY_CSV_COLUMNS, openFileWriter, readResults, rowToCsvRecord } from '../../src/output/index.js';
import type { ResultRow } from '../../src/types.js';
import { outputColumns } from '../../src/structured/columns.js';
import { collect, errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

const tricky: Array<[string, ResultRow]> = [
  ['commas', okRow('a,b', 'one, two, three', { prompt: 'x,y' })],
  ['quotes', okRow('"q"', 'she said "hi"', { prompt: '""' })],
  ['LF newlines', okRow('nl', 'line 1\nline 2\n\n')],
  ['CRLF newlines', okRow('crlf', 'line 1\r\nline 2\r\n')],
  ['lone CR', okRow('cr', 'a\rb\r')],
  ['leading =', okRow('=id', '=SUM(A1:A3)', { prompt: '=1+1' })],
  ['leading + - @', okRow('-1', '+44 20', { prompt: '@mention', model: '-model' })],
  ['leading tab and CR', okRow('tab', '\tindented', { prompt: '\rstart' })],
  ['full-width formula chars', okRow('fw', '＝1', { prompt: '＋2', finish_reason: '＠x' })],
  ["already quote-prefixed '=", okRow("'=id", "'=not a formula", { prompt: "''=two quotes" })],
  ['quote not before a formula char', okRow("'", "'plain", { prompt: "it's" })],
  ['unicode', okRow('日本', 'Grüße 👋🏽 مرحبا\u2028next', { prompt: 'emoji 🧪' })],
  ['empty prompt', okRow('e', 'r', { prompt: '' })],
  ['empty response on success', okRow('empty', '')],
  [
    'null response (error)',
    errRow('err', 'bad\ngateway, "upstream"', { error: { type: 'http', message: 'bad\ngateway, "upstream"', status: 502, code: '=code' } }),
  ],
  ['error with empty message', errRow('err2', '', { error: { type: 'connection', message: '' } })],
  ['numbers', okRow('n', 'x', { line: 123456789, attempts: 0, latency_ms: 12.5, usage: { prompt_tokens: 0, completion_tokens: 0 } })],
  ['all nullable fields null', okRow('nulls', 'x', { latency_ms: null, model: null, finish_reason: null, usage: null })],
];

describe.each([false, true])('CSV round trip (escaped formulas: %s)', (escaped) => {
  const layout = { escapeFormulas: escaped, keptFields: [] };
  it.each(tricky)('%s: rowToCsvRecord → csvRecordToRow', (_name, row) => {
    const cells = rowToCsvRecord(row, escaped);
    expect(cells).toHaveLength(CSV_COLUMNS.length);
    const record = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, cells[i] ?? '']));
    expect(csvRecordToRow(record, escaped)).toEqual(row);
  });

  it('all tricky rows through a file and readResults', async () => {
    const path = join(tmp(), 'out.csv');
    const w = openFileWriter(path, 'csv', { append: false, csv: layout });
    for (const [, row] of tricky) await w.write(row);
    await w.close();
    expect(await collect(readResults(path, 'csv', { escapedFormulas: escaped }))).toEqual(tricky.map(([, r]) => r));
  });

  it('kept input fields come back in row.input, under their own column names', async () => {
    const path = join(tmp(), 'out.csv');
    const kept = { escapeFormulas: escaped, keptFields: ['title', 'id', 'n'] };
    const w = openFileWriter(path, 'csv', { append: false, csv: kept });
    await w.write(okRow('a', '-1', { input: { title: '- Paris', id: 'src-7', n: 3 } }));
    await w.close();
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(`${CSV_COLUMNS.join(',')},title,input_id,n`);
    expect(await collect(readResults(path, 'csv', { escapedFormulas: escaped }))).toEqual([
      okRow('a', '-1', { input: { title: '- Paris', id: 'src-7', n: '3' } }),
    ]);
  });
});

describe('CSV with --csv-escape-formulas', () => {
  it('the file is spreadsheet-safe: no text cell starts with a formula character', async () => {
    const path = join(tmp(), 'out.csv');
    const w = openFileWriter(path, 'csv', { append: false, csv: { escapeFormulas: true, keptFields: [] } });
    for (const [, row] of tricky) await w.write(row);
    await w.close();
    const records = parse(readFileSync(path), { relax_column_count: false }) as string[][];
    for (const cell of records.flat()) if (!/^[+-]?\d+(\.\d+)?$/.test(cell)) expect(cell).not.toMatch(/^[=+\-@\t\r＝＋－＠]/);
    expect(records.flat()).toContain("'=SUM(A1:A3)");
  });
});

describe('timestamps, model × sample, cached and batch columns', () => {
  const full = okRow('m', 'answer', {
    started_at: '2026-11-30T08:00:00.123Z',
    finished_at: '2026-11-30T08:00:01.456Z',
    requested_model: 'gpt-4.1-nano',
    sample: 2,
    cached: true,
    batch_id: 'batch_abc',
    input: { sample: 'kept', topic: '-x' },
  });

  it('come back from a file exactly, beside a kept field named like one of them', async () => {
    const path = join(tmp(), 'out.csv');
    const w = openFileWriter(path, 'csv', { append: false, csv: { escapeFormulas: false, keptFields: ['sample', 'topic'] } });
    await w.write(full);
    await w.close();
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(`${CSV_COLUMNS.join(',')},input_sample,topic`);
    expect(await collect(readResults(path, 'csv'))).toEqual([full]);
  });

  it('a file in the legacy layout is continued in it: its header decides, rows read back without the new fields', async () => {
    const path = join(tmp(), 'old.csv');
    const header = `${LEGACY_CSV_COLUMNS.join(',')},sample,topic\n`;
    writeFileSync(path, `${header}a,1,prompt a,hi,,,,,1,120,gpt-4o-mini,stop,5,7,s1,t1\n`);
    const wanted = { escapeFormulas: false, keptFields: ['sample', 'topic'] };
    expect(csvLayoutOfFile(path, wanted)).toEqual({ ...wanted, legacy: true });
    const w = openFileWriter(path, 'csv', { append: true, csv: wanted });
    await w.write(full);
    await w.close();
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith(`${header}a,1,`)).toBe(true);
    expect(text.split('\n')[2]).toBe('m,1,prompt m,answer,,,,,1,120,gpt-4o-mini,stop,5,7,kept,-x');
    const { started_at: _s, finished_at: _f, requested_model: _r, sample: _n, cached: _c, batch_id: _b, ...legacy } = full;
    expect(await collect(readResults(path, 'csv'))).toEqual([okRow('a', 'hi', { input: { sample: 's1', topic: 't1' } }), legacy]);
    // A file in the current layout, or one not yet written, takes the layout asked for.
    expect(csvLayoutOfFile(join(tmp(), 'none.csv'), wanted)).toBe(wanted);
  });

  it('a legacy schema CSV, whose field named `sample` had that column then, is continued with it', async () => {
    const path = join(tmp(), 'old-schema.csv');
    const fields = outputColumns({ properties: { sample: {}, label: {} } }, CSV_COLUMNS);
    expect(fields.map((c) => c.column)).toEqual(['output_sample', 'label']);
    writeFileSync(path, `id,sample,label,${LEGACY_CSV_COLUMNS.slice(1).join(',')}\na,7,x,1,prompt a,hi,,,,,1,120,gpt-4o-mini,stop,5,7\n`);
    const w = openFileWriter(path, 'csv', { append: true, csv: { escapeFormulas: false, keptFields: [], outputColumns: fields } });
    await w.write(okRow('b', '{}', { output: { sample: 8, label: 'y' }, sample: 1 }));
    await w.close();
    expect(readFileSync(path, 'utf8').split('\n')[2]).toBe('b,8,y,1,prompt b,{},,,,,1,120,gpt-4o-mini,stop,5,7');
    const rows = await collect(readResults(path, 'csv'));
    expect(rows.map((r) => [r.output, r.sample])).toEqual([
      [{ sample: '7', label: 'x' }, undefined],
      [{ sample: '8', label: 'y' }, undefined],
    ]);
  });

  it('a CSV written before case counted (schema ID, kept Model beside id, model) is continued with its own header (EXC s22 F9)', async () => {
    const path = join(tmp(), 'old-case.csv');
    const fields = outputColumns({ properties: { ID: {}, label: {} } }, CSV_COLUMNS);
    expect(fields.map((c) => c.column)).toEqual(['output_ID', 'label']);
    const wanted = { escapeFormulas: false, keptFields: ['Model', 'topic'], outputColumns: fields };
    const header = `id,ID,label,${CSV_COLUMNS.slice(1).join(',')},Model,topic`;
    const first = okRow('a', '{}', { output: { ID: 'A1', label: 'x' }, input: { Model: 'm1', topic: 't1' } });
    writeFileSync(path, `${header}\n`);
    const old = csvLayoutOfFile(path, wanted);
    expect(old).toMatchObject({
      caseSensitiveNames: true,
      outputColumns: [
        { property: 'ID', column: 'ID' },
        { property: 'label', column: 'label' },
      ],
    });
    const w = openFileWriter(path, 'csv', { append: true, csv: wanted });
    await w.write(first);
    await w.close();
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')[0]).toBe(header);
    const [row] = await collect(readResults(path, 'csv'));
    expect([row!.output, row!.input]).toEqual([
      { ID: 'A1', label: 'x' },
      { Model: 'm1', topic: 't1' },
    ]);
  });
});
