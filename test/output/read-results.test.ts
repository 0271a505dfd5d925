import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunError } from '../../src/errors.js';
import { openSnapshot } from '../../src/output/file-snapshot.js';
import { openFileWriter, readResults } from '../../src/output/index.js';
import { readResultsWithLines } from '../../src/output/read-results.js';
import type { ResultRow } from '../../src/types.js';
import { collect, errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

async function writeFile(path: string, format: 'jsonl' | 'csv', rows: ResultRow[]): Promise<void> {
  const w = openFileWriter(path, format, { append: false });
  for (const r of rows) await w.write(r);
  await w.close();
}

async function readError(path: string, format: 'jsonl' | 'csv'): Promise<RunError> {
  const err = await collect(readResults(path, format)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunError);
  expect((err as RunError).code).toBe('resume');
  return err as RunError;
}

const rows = [okRow('a', 'one'), errRow('b'), okRow('c', 'multi\nline, "cell"')];

describe.each(['jsonl', 'csv'] as const)('readResults (%s)', (format) => {
  it('reads back what was written', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, rows);
    expect(await collect(readResults(path, format))).toEqual(rows);
  });

  it('skips a torn last line', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, rows);
    appendFileSync(path, format === 'jsonl' ? '{"id":"d","line":4,"pro' : 'd,4,prompt d,par');
    expect(await collect(readResults(path, format))).toEqual(rows);
  });

  it('reads a whole JSONL row that lacks its newline (truncate -s -1); a CSV record without it is torn', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, rows);
    truncateSync(path, statSync(path).size - 1);
    // A CSV record cut inside its last unquoted cell parses as whole too: only its '\n' tells.
    expect(await collect(readResults(path, format))).toEqual(format === 'jsonl' ? rows : rows.slice(0, -1));
  });

  it('reads rows many read blocks long, and a torn one that long, as short ones', async () => {
    const path = join(tmp(), `out.${format}`);
    // Each ~300 KB: five 64 KiB blocks without a line end, held until one comes.
    const long = [okRow('a', 'α'.repeat(150_000)), okRow('b', 'b'.repeat(300_000))];
    await writeFile(path, format, long);
    const whole = statSync(path).size;
    appendFileSync(path, format === 'jsonl' ? `{"id":"c","line":3,"prompt":"${'c'.repeat(300_000)}` : `c,3,${'c'.repeat(300_000)}`);
    expect(await collect(readResults(path, format))).toEqual(long);
    if (format === 'jsonl') {
      // The torn row gone, the last whole one without its '\n': handed out whole.
      truncateSync(path, whole - 1);
      expect(await collect(readResults(path, format))).toEqual(long);
    }
  });

  it('can stop early', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(
      path,
      format,
      Array.from({ length: 2000 }, (_, i) => okRow(`id${i}`, 'x'.repeat(100))),
    );
    const seen: string[] = [];
    for await (const row of readResults(path, format)) {
      seen.push(row.id);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['id0', 'id1']);
  });

  it('reads an empty file as no rows', async () => {
    const path = join(tmp(), `out.${format}`);
    writeFileSync(path, '');
    expect(await collect(readResults(path, format))).toEqual([]);
  });

  it('throws RunError(resume) for a missing file', async () => {
    const err = await readError(join(tmp(), `missing.${format}`), format);
    expect(err.message).toMatch(/missing\./);
  });
});

describe('readResults rejects corrupt rows in the middle with file:line', () => {
  it('JSONL: invalid JSON', async () => {
    const path = join(tmp(), 'out.jsonl');
    await writeFile(path, 'jsonl', [okRow('a', '1')]);
    appendFileSync(path, '{"id":"b",\n');
    appendFileSync(path, JSON.stringify(okRow('c', '3')) + '\n');
    const err = await readError(path, 'jsonl');
    expect(err.message).toContain(`${path}:2`);
    expect(err.message).toMatch(/invalid JSON/);
  });

  it('JSONL: valid JSON that is not a row', async () => {
    const path = join(tmp(), 'out.jsonl');
    writeFileSync(path, JSON.stringify(okRow('a', '1')) + '\n' + '\n' + '{"id":5}\n');
    const err = await readError(path, 'jsonl');
    expect(err.message).toContain(`${path}:3`);
    expect(err.message).toMatch(/"id" must be a string/);
  });

  it('CSV: wrong number of cells', async () => {
    const path = join(tmp(), 'out.csv');
    await writeFile(path, 'csv', [okRow('a', 'multi\nline')]);
    appendFileSync(path, 'b,2,oops\n');
    appendFileSync(path, readFileSync(path, 'utf8').split('\n').slice(1, 3).join('\n') + '\n');
    const err = await readError(path, 'csv');
    expect(err.message).toContain(`${path}:4`);
  });

  it('CSV: a number cell that is not a number', async () => {
    const path = join(tmp(), 'out.csv');
    await writeFile(path, 'csv', [okRow('a', 'multi\nline'), okRow('b', 'x')]);
    const text = readFileSync(path, 'utf8').replace('b,1,', 'b,one,');
    writeFileSync(path, text);
    const err = await readError(path, 'csv');
    expect(err.message).toContain(`${path}:4`);
    expect(err.message).toMatch(/line/);
  });

  it('CSV: a header that is not ours', async () => {
    const path = join(tmp(), 'out.csv');
    writeFileSync(path, 'id,text\na,b\n');
    const err = await readError(path, 'csv');
    expect(err.message).toContain(`${path}:1`);
  });
});

describe('readResults (CSV quote left open before whole rows)', () => {
  /** A CSV of rows a..e whose row `c` (line 4) had its answer cell's closing quote cut off. */
  async function damaged(tail = ''): Promise<string> {
    const path = join(tmp(), 'out.csv');
    await writeFile(path, 'csv', [okRow('a', '1'), okRow('b', '2'), okRow('c', '3'), okRow('d', '4'), okRow('e', '5')]);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[3] = 'c,3,prompt c,"3';
    writeFileSync(path, lines.join('\n') + tail);
    return path;
  }

  it.each([
    ['the file ends in a newline', ''],
    ['the file ends in a torn line', 'f,6,prompt f,ans'],
  ])('is refused with file:line, not read as a torn last row (%s)', async (_name, tail) => {
    const path = await damaged(tail);
    const err = await readError(path, 'csv');
    expect(err.message).toContain(`Cannot resume from ${path}:4: a quote opened on this line is never closed, so line 5 and every row after it`);
  });

  it('names the line after blank lines and multi-line cells before it', async () => {
    const path = join(tmp(), 'out.csv');
    await writeFile(path, 'csv', [okRow('a', 'multi\nline'), okRow('b', '2')]);
    const [header, ...rest] = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, [header, '', ...rest.slice(0, -1), 'c,3,"open', ...rest.slice(-2)].join('\n'));
    // header, blank, a (2 lines), b, then the damage on line 6, b again on line 7.
    const err = await readError(path, 'csv');
    expect(err.message).toContain(`${path}:6: a quote opened on this line is never closed, so line 7`);
  });
});

describe('readResults (CSV torn inside a quoted cell)', () => {
  it('skips a last record cut inside a quoted cell, or short of cells, that lacks its newline', async () => {
    const path = join(tmp(), 'out.csv');
    await writeFile(path, 'csv', [okRow('a', '1')]);
    const whole = readFileSync(path, 'utf8');
    for (const torn of ['b,2,prompt b,"first line\nsecond', 'b,2,prompt b,answer b,,,,,1,5']) {
      writeFileSync(path, whole + torn);
      expect(await collect(readResults(path, 'csv')), torn).toEqual([okRow('a', '1')]);
    }
  });

  it('reads every row before a last record torn after an embedded newline, however few', async () => {
    // A parser stream that fails drops the records it had not handed out: all of them in a small file.
    for (const n of [1, 3, 20]) {
      const path = join(tmp(), `few-${n}.csv`);
      const few = Array.from({ length: n }, (_, i) => okRow(`r${i}`, `${i}`));
      await writeFile(path, 'csv', few);
      appendFileSync(path, 'x,9,prompt x,"first line\nsecond, line\n');
      expect(await collect(readResults(path, 'csv')), `${n} rows`).toEqual(few);
      // As merge reads it: through a snapshot of the file, whose chunks come without a pause.
      const snapshot = await openSnapshot(path);
      try {
        const read = await collect(readResultsWithLines(path, 'csv', {}, snapshot));
        expect(
          read.map((r) => r.row),
          `${n} rows, snapshot`,
        ).toEqual(few);
      } finally {
        await snapshot.handle.close();
      }
    }
  });

  it('skips a last record cut right after an embedded newline', async () => {
    const path = join(tmp(), 'out.csv');
    await writeFile(path, 'csv', [okRow('a', '1')]);
    appendFileSync(path, 'b,2,prompt b,"first line\n');
    expect(await collect(readResults(path, 'csv'))).toEqual([okRow('a', '1')]);
  });
});

it('readResults refuses text output', async () => {
  await expect(collect(readResults('x.txt', 'text' as 'jsonl'))).rejects.toThrow(/only jsonl and csv/);
});
