import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadResumeState, openFileWriter, readResults, repairPartialLine } from '../../src/output/index.js';
import type { ResultRow } from '../../src/types.js';
import { collect, errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

const rows: ResultRow[] = [
  okRow('a', 'short'),
  okRow('b', 'multi\nline\n"quoted", cell\n'),
  errRow('c', 'boom\nsecond line'),
  okRow('d', '=formula 🌍 ünïcödé'),
  okRow('e', '\r\nstarts with CRLF\r\n'),
];

/**
 * A SIGKILL can stop a write after any byte. Cut a complete file at every byte, then do what
 * resume does (repair, load state, append the missing rows) and check that no row is lost or
 * duplicated and that every row before the cut survives, and a JSONL one that lacks only its '\n' too.
 */
describe.each(['jsonl', 'csv'] as const)('cut at every byte (%s)', (format) => {
  it('repair + resume gives every row exactly once', async () => {
    const dir = tmp();
    const full = join(dir, `full.${format}`);
    const w = openFileWriter(full, format, { append: false });
    const ends: number[] = [];
    for (const r of rows) {
      await w.write(r);
      ends.push(statSync(full).size);
    }
    await w.close();
    const bytes = readFileSync(full);

    const path = join(dir, `cut.${format}`);
    for (let cut = 0; cut <= bytes.length; cut++) {
      writeFileSync(path, bytes.subarray(0, cut));
      await repairPartialLine(path);
      // A cut just before a JSONL row's '\n' leaves that row whole: it is kept (and gets its '\n'
      // back). A CSV record is torn without its '\n' (a cut in its last cell can look whole).
      const survivors = rows.filter((_, i) => (ends[i] ?? Infinity) <= cut + (format === 'jsonl' ? 1 : 0));
      expect(await collect(readResults(path, format)), `cut at ${cut}`).toEqual(survivors);

      const state = await loadResumeState(path, format);
      const resume = openFileWriter(path, format, { append: true });
      for (const r of rows) if (!state.succeeded.has(r.id) && !state.failed.has(r.id) && !state.transient.has(r.id)) await resume.write(r);
      await resume.close();
      expect(await collect(readResults(path, format)), `resume after cut at ${cut}`).toEqual(rows);
    }
  });
});
