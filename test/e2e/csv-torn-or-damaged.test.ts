/**
 * A CSV output's torn last record versus damage, through the BUILT CLI against the mock server.
 * A quote left open before whole rows (a hand edit, a bad `sed`) is damage: `--resume`, `merge` and
 * `--compact` refuse it with file:line (it used to be taken for a torn last record, and every row
 * after it was cut off and asked again, or silently left out). And a last record without its '\n'
 * is torn even when it parses whole: cut inside a trailing `--keep-fields` cell, it lost the end of
 * its value and was kept as done.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-csv-torn-');

const ROWS = 8;
/** Runs the built CLI in the case's directory; with `server`, against the mock server, quietly. */
const run = (args: readonly string[], server = true) => runCli(server ? [...args, '--base-url', ctx.server.url, '-q'] : args, { cwd: ctx.dir });
/** A file of the case's directory by its path: for runs in the worker (runInWorker), whose cwd is the repo root. */
const at = (name: string) => path.join(ctx.dir, name);
const url = (i: number) => `https://example.com/articles/${i}/some-long-slug-${i}`;

/** `in.csv` (id, prompt, url) answered into `out.csv` with --keep-fields url; the requests made. */
async function answered(): Promise<void> {
  const lines = ['id,prompt,url', ...Array.from({ length: ROWS }, (_, i) => `r${i + 1},question ${i + 1},${url(i + 1)}`)];
  fs.writeFileSync(path.join(ctx.dir, 'in.csv'), `${lines.join('\n')}\n`);
  const r = await run(['in.csv', '-o', 'out.csv', '--keep-fields', 'url']);
  expect(r.code, r.stderr).toBe(0);
  expect(ctx.server.requests).toHaveLength(ROWS);
}

const read = (name: string) => fs.readFileSync(path.join(ctx.dir, name), 'utf8');
const records = (name: string) => parseCsv(read(name), { columns: true }) as Record<string, string>[];

/** Replaces physical line `n` (1-based) of `out.csv`, as a hand edit would. */
function editLine(n: number, text: string): string {
  const lines = read('out.csv').split('\n');
  lines[n - 1] = text;
  fs.writeFileSync(path.join(ctx.dir, 'out.csv'), lines.join('\n'));
  return lines.join('\n');
}

describe('a quote left open in the middle of a CSV output is damage, not a torn last row', () => {
  it('--resume (and --dry-run): exit 2 naming file and line; the file keeps every byte and nothing is sent', async () => {
    await answered();
    const damaged = editLine(4, 'r3,"unterminated');
    // The --dry-run runs in the worker (the case's files by their paths); the run stays a child process in the case's directory.
    for (const dry of [true, false]) {
      const out = dry ? at('out.csv') : 'out.csv';
      const r = dry
        ? await runInWorker([at('in.csv'), '-o', out, '--keep-fields', 'url', '--resume', '--dry-run', '--base-url', ctx.server.url, '-q'])
        : await run(['in.csv', '-o', out, '--keep-fields', 'url', '--resume']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `Cannot resume from ${out}:4: a quote opened on this line is never closed, so line 5 and every row after it would be read as part of one cell. Fix or delete that line`,
      );
      expect(read('out.csv')).toBe(damaged);
      expect(ctx.server.requests).toHaveLength(ROWS);
    }
  });

  it.each([
    ['merge', 'Cannot merge'],
    ['--compact', 'Cannot compact'],
  ])('%s: exit 2 naming file and line, no -o written (it used to keep only the rows before the quote)', async (command, verb) => {
    await answered();
    // The file also ends in a torn line: still the quote is what is said, and nothing is cut.
    const damaged = `${editLine(4, 'r3,"unterminated')}r9,9,question 9,ANS`;
    fs.writeFileSync(path.join(ctx.dir, 'out.csv'), damaged);
    // In the worker (a merge and a --compact below stay child processes): the case's files by their paths.
    const r = await runInWorker([command, at('out.csv'), '-o', at('all.jsonl')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr, r.stderr).toContain(`${verb} ${at('out.csv')}:4: a quote opened on this line is never closed`);
    expect(fs.existsSync(path.join(ctx.dir, 'all.jsonl'))).toBe(false);
    expect(read('out.csv')).toBe(damaged);
  });

  it('a row torn inside a multi-line cell: merge reads the rows before it, --resume removes it and asks it again', async () => {
    await answered();
    const whole = read('out.csv');
    // The cut landed just after a newline inside the answer cell of a ninth row.
    fs.appendFileSync(path.join(ctx.dir, 'out.csv'), 'r9,9,question 9,"first line, of an answer\nsecond ""line""\n');
    // merge reads every row before it (a failed parse used to drop those not yet handed out: all 8 here).
    const merged = await run(['merge', 'out.csv', '-o', 'all.csv'], false);
    expect(merged.code, merged.stderr).toBe(0);
    expect(records('all.csv')).toHaveLength(ROWS);
    const r = await run(['in.csv', '-o', 'out.csv', '--keep-fields', 'url', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(read('out.csv')).toBe(whole);
    expect(ctx.server.requests).toHaveLength(ROWS);
  });
});

describe('a CSV last record without its newline is torn, whatever it parses as', () => {
  it('--resume asks a row cut inside its trailing --keep-fields cell again and keeps the whole value', async () => {
    await answered();
    const full = fs.statSync(path.join(ctx.dir, 'out.csv')).size;
    fs.truncateSync(path.join(ctx.dir, 'out.csv'), full - 25); // inside the last row's url
    const cut = records('out.csv').at(-1)!;
    expect(url(ROWS).startsWith(cut.url!) && cut.url !== url(ROWS)).toBe(true);

    const r = await run(['in.csv', '-o', 'out.csv', '--keep-fields', 'url', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(ROWS + 1);
    const rows = records('out.csv');
    expect(rows).toHaveLength(ROWS);
    for (const row of rows) expect(row.url).toBe(url(Number(row.id!.slice(1))));
  });

  it('merge and --compact leave such a row out rather than keep its cut value', async () => {
    await answered();
    const ids = records('out.csv').map((row) => row.id);
    const full = fs.statSync(path.join(ctx.dir, 'out.csv')).size;
    fs.truncateSync(path.join(ctx.dir, 'out.csv'), full - 25);
    // The merge in the worker (the case's files by their paths), the --compact a child process in the case's directory.
    for (const command of ['merge', '--compact']) {
      fs.rmSync(path.join(ctx.dir, 'all.csv'), { force: true });
      const r =
        command === 'merge' ? await runInWorker([command, at('out.csv'), '-o', at('all.csv')]) : await run([command, 'out.csv', '-o', 'all.csv'], false);
      expect(r.code, r.stderr).toBe(0);
      const rows = records('all.csv');
      expect(rows.map((row) => row.id)).toEqual(ids.slice(0, -1));
      for (const row of rows) expect(row.url).toBe(url(Number(row.id!.slice(1))));
    }
  });
});
