/**
 * A file's name says what it holds, for every file llm-batch writes: a review found `merge -o m.json`
 * and `-o notes.md` writing JSONL, and `report -o rep.jsonl` an HTML page, where a run refuses
 * `-o x.json`. Each is one usage line now, nothing written. Refusals run the bundle's main in a
 * worker (test/helpers/run-in-worker.ts); `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, cleanup } = tempDir('llm-batch-names-');
afterAll(cleanup);

/** A results file made by a --mock run. */
async function results(name: string): Promise<string> {
  const out = path.join(dir, name);
  const r = await runInWorker([writePrompts(dir, `${name}.txt`, ['a', 'b']), '--mock', '--no-cache', '-o', out, '-q']);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

describe('names that say another format', () => {
  it.each(['m.json', 'm.md', 'm.txt'])('merge -o %s: refused, nothing written; .jsonl, .csv and no extension merge', async (name) => {
    const shard = await results(`s-${name}.jsonl`);
    const target = path.join(dir, name);
    const r = await runInWorker(['merge', shard, '-o', target]);
    expect([r.code, r.stderr]).toEqual([2, `llm-batch: merge -o ${target}: merge writes .jsonl or .csv, not "${path.extname(name)}"; rename the file\n`]);
    expect(fs.existsSync(target)).toBe(false);
    // Any other name is JSONL: `all.jsonl.tmp`, moved in place after, as scripts do.
    for (const ok of ['m.jsonl', 'm.csv', 'merged', 'all.jsonl.tmp']) {
      const merged = await runInWorker(['merge', shard, '-o', path.join(dir, `from-${path.extname(name).slice(1)}-${ok}`), '-q']);
      expect(merged.code, merged.stderr).toBe(0);
    }
  });

  it.each(['rep.jsonl', 'rep.csv', 'rep.json', 'rep.txt'])('a report as %s (report -o and a run’s --report): refused, nothing written', async (name) => {
    const out = await results(`r-${name}.jsonl`);
    const target = path.join(dir, name);
    const report = await runInWorker(['report', out, '-o', target]);
    expect([report.code, report.stderr]).toEqual([2, `llm-batch: --output ${target}: a report is an HTML page, not "${path.extname(name)}": name it .html\n`]);
    const run = await runInWorker([
      writePrompts(dir, `rr-${name}.txt`, ['a']),
      '--mock',
      '--no-cache',
      '-o',
      path.join(dir, `rr-${name}.jsonl`),
      '--report',
      target,
    ]);
    expect([run.code, run.stderr]).toEqual([2, `llm-batch: --report ${target}: a report is an HTML page, not "${path.extname(name)}": name it .html\n`]);
    expect(fs.existsSync(target)).toBe(false);
  });
});
