import { statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFileWriter } from '../../src/output/index.js';
import { readReportRows } from '../../src/report/read-report-rows.js';
import { collect, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

describe.each(['jsonl', 'csv'] as const)('readReportRows (%s)', (format) => {
  it('reports a whole last row that lacks its newline, and skips a torn one', async () => {
    const path = join(tmp(), `out.${format}`);
    const w = openFileWriter(path, format, { append: false });
    for (const id of ['a', 'b', 'c']) await w.write(okRow(id, `answer ${id}`));
    await w.close();
    truncateSync(path, statSync(path).size - 1);
    expect((await collect(readReportRows(path, format))).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    truncateSync(path, statSync(path).size - 10);
    const tail = { tornBytes: 0 };
    expect((await collect(readReportRows(path, format, tail))).map((r) => r.id)).toEqual(['a', 'b']);
    expect(tail.tornBytes).toBeGreaterThan(0);
  });
});
