import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvRecordToRow, openFileWriter, readResults, rowToCsvRecord } from '../../src/output/index.js';
import type { ResultRow } from '../../src/types.js';
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
