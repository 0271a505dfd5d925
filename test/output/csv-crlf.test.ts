/**
 * A CSV output saved again with CRLF line ends (Excel, `unix2dos`) is continued, not refused: its
 * header was compared byte for byte with ours, '\n' and all. The rows appended end in CRLF too: a
 * CSV reader takes the first line end for the whole file, so a '\n'-ended row after CRLF ones would
 * be read as part of the row before it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactFile, loadResumeState, openFileWriter, readResults, type CsvLayout } from '../../src/output/index.js';
import type { ResultRow } from '../../src/types.js';
import { collect, errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

const layout: CsvLayout = { escapeFormulas: false, keptFields: ['url'] };
const kept = (id: string) => ({ input: { url: `https://example.com/${id}` } });

async function write(path: string, rows: ResultRow[], append: boolean): Promise<void> {
  const w = openFileWriter(path, 'csv', { append, csv: layout });
  for (const row of rows) await w.write(row);
  await w.close();
}

/** A CSV of ours, every '\n' made '\r\n' as `unix2dos` does (inside a quoted cell too). */
async function savedWithCrlf(rows: ResultRow[]): Promise<string> {
  const path = join(tmp(), 'out.csv');
  await write(path, rows, false);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/\n/g, '\r\n'));
  return path;
}

/** Every line end of the file is CRLF. */
const allCrlf = (path: string) => !readFileSync(path, 'utf8').replace(/\r\n/g, '').includes('\n');

describe('a CSV output saved again with CRLF line ends', () => {
  it('is continued: the rows appended end in CRLF, and every row reads back whole', async () => {
    const path = await savedWithCrlf([okRow('a', 'one', kept('a')), okRow('b', 'two\nlines', kept('b'))]);
    await write(path, [errRow('c', 'timed out', kept('c')), okRow('d', 'four, "quoted"', kept('d'))], true);
    expect(allCrlf(path)).toBe(true);
    const rows = await collect(readResults(path, 'csv'));
    expect(rows.map((r) => [r.id, r.response, r.input])).toEqual([
      ['a', 'one', kept('a').input],
      ['b', 'two\r\nlines', kept('b').input],
      ['c', null, kept('c').input],
      ['d', 'four, "quoted"', kept('d').input],
    ]);
    expect(rows[2]!.error).toEqual({ type: 'timeout', message: 'timed out' });
  });

  it('a resume finds its answers, and its compaction keeps the CRLF line ends', async () => {
    const path = await savedWithCrlf([errRow('a', 'timed out', kept('a')), okRow('b', 'two', kept('b'))]);
    await write(path, [okRow('a', 'one', kept('a'))], true);
    const state = await loadResumeState(path, 'csv');
    expect([...state.succeeded].sort()).toEqual(['a', 'b']);
    const stats = await compactFile(path, 'csv', layout);
    expect(stats).toMatchObject({ rows: 2, dropped: 1 });
    expect(allCrlf(path)).toBe(true);
    expect((await collect(readResults(path, 'csv'))).map((r) => [r.id, r.response])).toEqual([
      ['b', 'two'],
      ['a', 'one'],
    ]);
  });
});
