/**
 * The closing compaction of an --order input resume (see compact-order.test.ts for its merge): a
 * file in order is left alone whatever the resume's -m, and a reordering that cannot be written is a
 * note, not a stop of a run that has every row. Through the BUILT CLI and --mock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, runShell, tempDir, writePrompts } from '../helpers/run-cli.js';

const root = tempDir('llm-batch-order-resume-');
afterAll(() => root.cleanup());

const lines = (file: string) => parseJsonl<{ line: number; requested_model?: string }>(fs.readFileSync(file, 'utf8')).map((r) => [r.line, r.requested_model]);

describe('an --order input resume', () => {
  it('with -m in another order, or a model left out: a file in order is not rewritten, nor said to be out of order', async () => {
    const dir = fs.mkdtempSync(path.join(root.dir, 'm-'));
    const input = writePrompts(
      dir,
      'in.txt',
      Array.from({ length: 20 }, (_, i) => `q${i}`),
    );
    const out = path.join(dir, 'out.jsonl');
    const first = await runCli([input, '--mock', '-o', out, '--order', 'input', '-m', 'A,B', '-q']);
    expect(first.code, first.stderr).toBe(0);
    const written = lines(out);
    const before = fs.statSync(out);
    // Ranked by the resume's own -m, `-m B,A` rewrote it B before A, and said so ("put back in input order").
    for (const models of ['B,A', 'A']) {
      const r = await runCli([input, '--mock', '-o', out, '--order', 'input', '-m', models, '--resume']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/input order/);
    }
    expect(lines(out)).toEqual(written);
    expect([fs.statSync(out).ino, fs.statSync(out).mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('whose reordering cannot be written (ulimit -f): every row there, the run ends as it would have (exit 0), said in a line', async () => {
    const dir = fs.mkdtempSync(path.join(root.dir, 'f-'));
    const input = writePrompts(
      dir,
      'in.txt',
      Array.from({ length: 100 }, (_, i) => `prompt ${i} ${'x'.repeat(1000)}`),
    );
    const out = path.join(dir, 'out.jsonl');
    expect((await runCli([input, '--mock', '-o', out, '--order', 'input', '-c', '50', '-q'])).code).toBe(0);
    // Out of order as an interrupted run and its resume leave it: its first rows at the end.
    const text = fs.readFileSync(out, 'utf8').split('\n');
    fs.writeFileSync(out, [...text.slice(3, -1), ...text.slice(0, 3), ''].join('\n'));
    const shuffled = fs.readFileSync(out, 'utf8');
    expect(shuffled.length).toBeGreaterThan(100 * 1024);
    // It stopped as output_failed (exit 2, "to finish the rest, run: …") with nothing left to ask.
    const r = await runShell(`ulimit -f 64; $LLM in.txt --mock -o out.jsonl --order input --resume; echo "status=$?" >&2`, dir);
    expect(r.stderr).toMatch(/^llm-batch: out\.jsonl: its rows stay out of input order \(.*EFBIG.*\): the next --resume puts them in order$/m);
    expect(r.stderr).toMatch(/^llm-batch: 0 ok, 0 failed, 100 already done /m);
    expect(r.stderr).toMatch(/status=0\n$/);
    expect(fs.readFileSync(out, 'utf8')).toBe(shuffled);
    expect(fs.readdirSync(dir).filter((name) => name.includes('tmp'))).toEqual([]);
    const again = await runCli([input, '--mock', '-o', out, '--order', 'input', '--resume']);
    expect(again.stderr).toContain(`${out}: its rows put back in input order (--order input)`);
    expect(lines(out).map(([line]) => line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
